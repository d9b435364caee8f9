"""An HTTP proxy in front of the test bed's Keystone that logs every request it passes on.

    keystone_proxy.py UPSTREAM PORT_FILE LOG

Listens on an ephemeral port of 127.0.0.1 (written to PORT_FILE once it listens) and passes
each request to UPSTREAM (host:port) unchanged, Host header included, so that Keystone's
version document sends the client back through the proxy. Appends one JSON line per request to
LOG: time (seconds since the epoch, when the request arrived), method, path, status and, for a
token issued (POST /v3/auth/tokens), the token Keystone returned in X-Subject-Token, so that a
test can count the tokens a run took, tell when, and look for them in the run's output.
LOG is created 0600: it holds live tokens.
"""
import http.client
import http.server
import json
import os
import sys
import threading
import time

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "trailer", "upgrade"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None
    log_lock = threading.Lock()
    log_path = None

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
        record = {"time": started, "method": self.command, "path": self.path,
                  "status": response.status}
        if self.command == "POST" and self.path.rstrip("/").endswith("/auth/tokens"):
            record["token"] = response.getheader("X-Subject-Token")
        # Logged before the client has the answer: once a run is over, its log is complete.
        with self.log_lock, open(self.log_path, "a") as log:
            log.write(json.dumps(record) + "\n")
        self.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = do_DELETE = do_PUT = do_PATCH = _forward

    def log_message(self, *args, **kwargs):
        """The log above is the proxy's only output."""


def main(upstream, port_file, log_path):
    os.close(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    Proxy.upstream, Proxy.log_path = upstream, log_path
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    with open(port_file + ".tmp", "w") as handle:
        handle.write("%d\n" % server.server_address[1])
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
