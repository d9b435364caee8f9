"""A TCP proxy that breaks transfers: Glance stopping in the middle of a download.

The first `--cuts` connections are closed after `--after` bytes of the server's answer; later
ones pass through whole, or, with `--exit`, the proxy stops listening (Glance is gone).
"""
import argparse
import socket
import threading


def pipe(source, sink, limit=None):
    sent = 0
    try:
        while limit is None or sent < limit:
            data = source.recv(min(65536, limit - sent) if limit else 65536)
            if not data:
                break
            sink.sendall(data)
            sent += len(data)
    except OSError:
        pass
    for sock in (source, sink):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--target", required=True, help="host:port")
    parser.add_argument("--after", type=int, required=True)
    parser.add_argument("--cuts", type=int, required=True)
    parser.add_argument("--exit", action="store_true", help="stop after the cut connections")
    args = parser.parse_args()
    host, port = args.target.rsplit(":", 1)
    server = socket.create_server(("127.0.0.1", args.listen))
    count = 0
    while True:
        client, _addr = server.accept()
        count += 1
        upstream = socket.create_connection((host, int(port)))
        cut = count <= args.cuts
        threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
        answer = threading.Thread(target=pipe, args=(upstream, client, args.after if cut else None),
                                  daemon=True)
        answer.start()
        if args.exit and count == args.cuts:
            answer.join()
            server.close()
            return


if __name__ == "__main__":
    main()
