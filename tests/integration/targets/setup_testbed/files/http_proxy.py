"""A loopback HTTP proxy for the targets: each request goes to the test bed's service unchanged.

The Host header is passed on too, so that the links in the service's answers lead back through
the proxy. A target's proxy subclasses Forwarder, overrides answered(), and calls serve(): it
listens on an ephemeral port of 127.0.0.1 and writes the port to PORT_FILE once it listens.
"""
import http.client
import http.server
import os
import time

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "trailer", "upgrade"}


class Forwarder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None

    def answered(self, started, response, data):
        """The body to send for the service's answer; called before the client has it."""
        return data

    def _forward(self):
        started = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(self.upstream, timeout=120)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        data = self.answered(started, response, data)
        self.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP | {"content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = do_DELETE = do_PUT = do_PATCH = _forward

    def log_message(self, *args, **kwargs):
        """Quiet: a target reads what its proxy records, not a request log."""


def serve(handler, upstream, port_file):
    """Pass requests to UPSTREAM (host:port) with `handler`, for ever."""
    handler.upstream = upstream
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    with open(port_file + ".tmp", "w") as handle:
        handle.write("%d\n" % server.server_address[1])
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()
