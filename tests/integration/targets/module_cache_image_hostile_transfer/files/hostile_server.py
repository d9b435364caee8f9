"""Hostile HTTP servers for cache_image: one holds a transfer, one echoes the token.

On 127.0.0.1: `--trickle PORT` answers 200 with a Content-Length of `--size` and then sends one
byte every `--interval` seconds, each well within any timeout; `--echo PORT` answers 403 with a
page that echoes the request's X-Auth-Token across the 300-character cut of cache_image's
excerpt of error pages. The path of each request is appended to `--log`.
"""
import argparse
import http.server
import threading
import time

# Where the token starts in the page's text: it runs across the excerpt's cut at 300.
TOKEN_AT = 280


def handler(args, mode, log_lock):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's naming)
            with log_lock, open(args.log, "a") as log:
                log.write("%s %s\n" % (mode, self.path))
            self.close_connection = True
            if mode == "echo":
                page = "<html><body><p>%s %s is not allowed here</p></body></html>" % (
                    "x" * (TOKEN_AT - 1), self.headers.get("X-Auth-Token", ""))
                self._send(403, len(page))
                self.wfile.write(page.encode())
                return
            self._send(200, args.size)
            try:
                for dummy in range(args.size):
                    self.wfile.write(b"\0")
                    time.sleep(args.interval)
            except OSError:
                pass  # the client gave up, as it should

        def _send(self, status, length):
            self.send_response(status)
            self.send_header("Content-Length", str(length))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.flush()

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trickle", type=int, required=True)
    parser.add_argument("--echo", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--size", type=int, default=1024 * 1024)
    parser.add_argument("--interval", type=float, default=1.5)
    args = parser.parse_args()
    log_lock = threading.Lock()
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", port), handler(args, mode, log_lock))
               for mode, port in (("trickle", args.trickle), ("echo", args.echo))]
    # The log's existence tells runme.sh that both servers listen.
    open(args.log, "a").close()
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
