# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What a site's seed answers its peers: one run's staged images, to holders of the run's token.

The order of the checks is the point: the token comes first, so that without it nothing tells
whether a path or an image exists (403, no body); then the one path shape there is,
`/images/<Glance id>` (404 for anything else, any method, any listing); then the staged file,
opened by descriptor without following a link (site_staging); then a free transfer slot (503);
then the range. The bytes go out with sendfile, from the kernel's page cache, in bounded
chunks. Nothing is logged and no header names the software: the peers verify Glance's hash
themselves, so the server owes them bytes, not explanations.
"""

import hmac
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    CacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.site_staging import (
    check_image_id)

TOKEN_HEADER = "X-Precache-Token"
RETRY_AFTER = 5
CONNECTION_TIMEOUT = 60
_CHUNK = 8 * 1024 * 1024
_IMAGE_PATH = re.compile(r"^/images/([^/?#]+)$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


def byte_range(header, size):
    """(first, last) of a `Range` header for a file of `size` bytes; None to send it all
    (no header, or a form we do not serve: suffixes, several ranges); ValueError when the
    range selects nothing of the file (416)."""
    match = _RANGE.match(header.strip()) if header else None
    if not match:
        return None
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else size - 1
    if first >= size or last < first:
        raise ValueError("unsatisfiable range")
    return first, min(last, size - 1)


class TransferStats:
    """What was served: requests, bytes and bytes per image; shared by the handler threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.requests = 0
        self.bytes_served = 0
        self.images = {}

    def started(self, image_id):
        with self._lock:
            self.requests += 1
            self.images.setdefault(image_id, 0)

    def sent(self, image_id, count):
        with self._lock:
            self.bytes_served += count
            self.images[image_id] += count

    def as_dict(self):
        with self._lock:
            return {"requests": self.requests, "bytes_served": self.bytes_served,
                    "images": dict(self.images)}


class PeerHandler(BaseHTTPRequestHandler):
    """One connection, one request (Connection: close). The server gives `token` (bytes),
    `staging`, `stats`, `slots` (a semaphore of max_peers) and `request_stop()`."""

    protocol_version = "HTTP/1.1"
    timeout = CONNECTION_TIMEOUT

    def __getattr__(self, name):
        # Every method goes through the token check before anything else is decided.
        if name.startswith("do_"):
            return self._answer
        raise AttributeError(name)

    def version_string(self):
        return "precache"

    def log_message(self, *_args):
        pass

    def send_error(self, code, message=None, explain=None):
        self._bare(code)

    def _answer(self):
        self.close_connection = True
        if not self._authorized():
            return self._bare(403)
        if self.command == "POST" and self.path == "/shutdown":
            return self._shutdown()
        match = _IMAGE_PATH.match(self.path)
        if self.command != "GET" or not match:
            return self._bare(404)
        try:
            image_id = check_image_id(match.group(1))
        except CacheError:
            return self._bare(404)
        fd = self.server.staging.open_image(image_id)
        if fd is None:
            return self._bare(404)
        with os.fdopen(fd, "rb") as image:
            if not self.server.slots.acquire(blocking=False):
                return self._bare(503, {"Retry-After": str(RETRY_AFTER)})
            try:
                self._send_image(image_id, image)
            finally:
                self.server.slots.release()
        return None

    def _authorized(self):
        given = self.headers.get(TOKEN_HEADER)
        if given is None:
            return False
        # Header values arrive decoded as latin-1: every one of them encodes back.
        return hmac.compare_digest(given.encode("latin-1"), self.server.token)

    def _send_image(self, image_id, image):
        size = os.fstat(image.fileno()).st_size
        try:
            wanted = byte_range(self.headers.get("Range"), size)
        except ValueError:
            return self._bare(416, {"Content-Range": "bytes */%d" % size})
        first, last = wanted if wanted else (0, size - 1)
        headers = {"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        if wanted:
            headers["Content-Range"] = "bytes %d-%d/%d" % (first, last, size)
        self._head(206 if wanted else 200, last - first + 1, headers)
        self.server.stats.started(image_id)
        offset, left = first, last - first + 1
        while left > 0:
            sent = self.connection.sendfile(image, offset, min(left, _CHUNK))
            if not sent:
                break
            self.server.stats.sent(image_id, sent)
            offset += sent
            left -= sent
        return None

    def _shutdown(self):
        stats = self.server.request_stop()
        body = json.dumps(stats).encode("ascii")
        self._head(200, len(body), {"Content-Type": "application/json"})
        self.wfile.write(body)
        self.server.answered.set()

    def _head(self, code, length, headers):
        self.send_response(code)
        for name, value in sorted(headers.items()):
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()

    def _bare(self, code, headers=None):
        """A status with no body and nothing in it that explains."""
        self.close_connection = True
        self._head(code, 0, headers or {})
