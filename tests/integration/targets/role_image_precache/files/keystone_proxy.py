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
import json
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from http_proxy import Forwarder, serve  # noqa: E402 (after the path to it)


class Proxy(Forwarder):
    log_lock = threading.Lock()
    log_path = None

    def answered(self, started, response, data):
        record = {"time": started, "method": self.command, "path": self.path,
                  "status": response.status}
        if self.command == "POST" and self.path.rstrip("/").endswith("/auth/tokens"):
            record["token"] = response.getheader("X-Subject-Token")
        # Logged before the client has the answer: once a run is over, its log is complete.
        with self.log_lock, open(self.log_path, "a") as log:
            log.write(json.dumps(record) + "\n")
        return data


def main(upstream, port_file, log_path):
    os.close(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    Proxy.log_path = log_path
    serve(Proxy, upstream, port_file)


if __name__ == "__main__":
    main(*sys.argv[1:])
