"""A stand-in for Neutron that knows no networks, so that Nova can show servers booted without one.

Nova's server views ask Neutron for the instance's ports on every read, and nova-compute lists
them again when it deletes an instance; with no network service in the catalog both fail ("The
service catalog is empty"), so servers booted with `networks: none` could be created but never
listed nor deleted. This server answers every `GET /v2.0/<collection>` with an empty
collection, which is all Nova asks of it for such servers, and is in Keystone's catalog as the
`network` service (see keystone.CATALOG): Nova finds it through the caller's token, as it finds
Neutron in a real cloud. It checks no token and accepts no writes.
"""
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bed import common, layout, procs

PORT = layout.PORTS["neutron"]
ENDPOINT = layout.url("neutron")
_COLLECTION = re.compile(r"^/v2\.0/([a-z][a-z0-9_-]*)(?:\.json)?/?$")


class _Handler(BaseHTTPRequestHandler):
    server_version = "testbed-neutron"

    def _reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, code, message):
        self._reply(code, {"NeutronError": {"type": "HTTPNotFound" if code == 404 else
                                            "HTTPNotImplemented", "message": message,
                                            "detail": ""}})

    def do_GET(self):  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        if path in ("/", ""):
            self._reply(200, {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [
                {"rel": "self", "href": ENDPOINT + "/v2.0/"}]}]})
            return
        match = _COLLECTION.match(path)
        if match:
            self._reply(200, {match.group(1).replace("-", "_"): []})
        else:
            self._refuse(404, "the test bed's stand-in Neutron has no %s" % path)

    def _no_writes(self):
        self._refuse(501, "the test bed's stand-in Neutron accepts no writes")

    do_POST = do_PUT = do_DELETE = do_PATCH = _no_writes

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))


def serve():
    ThreadingHTTPServer((layout.HOST, PORT), _Handler).serve_forever()


def _paths():
    base = layout.service_dir("neutron")
    return {"base": base, "log": base / "neutron.log", "pid": base / "neutron.pid"}


def _healthy():
    return procs.running(_paths()["pid"]) and procs.http_ok(ENDPOINT + "/", codes=(200,))


def up(state):
    paths = _paths()
    if not _healthy():
        common.stop([paths["pid"]], [PORT])
        procs.start("neutron", [sys.executable, "-m", "bed.neutron"], paths["log"], paths["pid"],
                    cwd=Path(__file__).resolve().parents[1])
        procs.wait_until(_healthy, "neutron", paths["log"], paths["pid"], timeout=30)
    state["neutron"] = {"endpoint": ENDPOINT}


def down():
    common.stop([_paths()["pid"]], [PORT])


def status():
    return [common.status_row("neutron (stand-in)", _paths()["pid"], ENDPOINT, _healthy)]


if __name__ == "__main__":
    serve()
