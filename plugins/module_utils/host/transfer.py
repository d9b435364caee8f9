# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""One download's attempts: requests, resumption with HTTP ranges, retries with backoff.

Connection errors, timeouts and 5xx answers are retried with jittered exponential backoff,
resuming with an HTTP Range request where the broken transfer stopped.
"""

import http.client
import random
import re
import socket
import ssl

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.sizes import (
    format_bytes)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host import (
    download_rate as speed)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.download_rate import (
    TooSlow)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.http_target import (
    DownloadError, _body_excerpt)


_BACKOFF_BASE = 1.0
_BACKOFF_CAP = 30.0
_CONTENT_RANGE_RE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
# TLS errors that mean the peer went away mid-stream (worth a retry); any other SSLError is a
# certificate or protocol problem that a retry cannot fix.
_SSL_TRANSIENT = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)


class Transfer:
    """One download across attempts: where it stands, and how each attempt moves it on."""

    def __init__(self, target, size, pipeline, read_size, limiter, guard, on_progress=None):
        self.target = target
        self.size = size
        self.total = size
        self.pipeline = pipeline
        self.read_size = read_size
        self.limiter = limiter
        self.guard = guard
        self.offset = 0
        self.transferred = 0
        self.resumed = 0
        self.attempts = 0
        # Told the offset after each chunk and restart; what it raises ends the transfer.
        self.on_progress = on_progress

    def run(self, retries):
        failures = 0
        furthest = 0
        while True:
            self.attempts += 1
            try:
                self._attempt()
                return
            except DownloadError as exc:
                error = exc
            except (OSError, http.client.HTTPException) as exc:
                error = self._classify(exc)
            too_slow = isinstance(error, TooSlow)
            error = DownloadError(self.target.redact(str(error)), error.retryable)
            if not error.retryable:
                raise error
            if self.offset > furthest:
                furthest = self.offset
                # Else a server that trickles a few bytes an attempt is retried for ever.
                if not too_slow:
                    failures = 0
            failures += 1
            if failures > retries:
                raise DownloadError("%s; gave up after %d attempts (retries: %d)"
                                    % (error, self.attempts, retries), retryable=True)
            speed.sleep(_backoff(failures))

    def _classify(self, exc):
        where = "%s at %s" % (self.target.url, format_bytes(self.offset))
        if isinstance(exc, ssl.SSLCertVerificationError):
            return DownloadError(
                "TLS certificate verification failed for %s: %s; give the CA that signed the "
                "server's certificate with ca_cert, or set validate_certs to false"
                % (self.target.url, exc.verify_message or exc))
        if isinstance(exc, ssl.SSLError) and not isinstance(exc, _SSL_TRANSIENT):
            return DownloadError("TLS error with %s: %s; check the URL's scheme, client_cert "
                                 "and client_key" % (self.target.url, exc))
        if isinstance(exc, socket.timeout):
            return DownloadError("timed out reading %s" % where, retryable=True)
        return DownloadError("connection to %s failed: %s"
                             % (where, str(exc) or type(exc).__name__), retryable=True)

    def _attempt(self):
        self.guard.start(lambda: self.transferred)
        try:
            self._exchange()
        except (OSError, http.client.HTTPException, DownloadError):
            # The guard shut the socket down, which breaks a read in many ways: the slowness
            # is the cause.
            self._raise_if_too_slow()
            raise
        except BaseException:
            # on_progress's own error (a cancelled run): the watchdog must not outlive it.
            self.guard.stop()
            raise
        # Even a body that seemed to end: the shut socket looks like the end of its data.
        self._raise_if_too_slow()

    def _raise_if_too_slow(self):
        too_slow = self.guard.stop()
        if too_slow is not None:
            raise TooSlow("reading %s at %s was too slow: %s; lower min_rate (0 turns the "
                          "check off) or raise min_rate_time if the link to Glance is this slow"
                          % (self.target.url, format_bytes(self.offset), too_slow))

    def _exchange(self):
        conn = self.target.connect(self.guard)
        try:
            request_headers = dict(self.target.headers)
            if self.offset:
                request_headers["Range"] = "bytes=%d-" % self.offset
            conn.request("GET", self.target.path, headers=request_headers)
            response = conn.getresponse()
            self._check_status(response)
            self._start_body(response)
            self._read_body(response)
        finally:
            conn.close()

    def _check_status(self, response):
        status = response.status
        if status in (200, 206):
            return
        if status == 416:
            # Nothing left at this offset by the server's reckoning: start over.
            self._restart()
            raise DownloadError("the server refused the range request for %s (416); "
                                "starting again from 0" % self.target.url, retryable=True)
        detail = _body_excerpt(response, self.target)
        where = "GET %s returned %d %s%s" % (
            self.target.url, status, response.reason, ": " + detail if detail else "")
        if status == 401:
            msg = "the token was rejected or has expired (%s); get a fresh token" % where
        elif status == 403:
            msg = ("access to the image data was refused (%s); the token's project may not "
                   "download this image" % where)
        elif status == 404:
            msg = "image not found or not visible to the token's project (%s)" % where
        elif status == 204:
            msg = "the image has no data (%s)" % where
        elif 300 <= status < 400:
            msg = "redirects are not followed (%s); give the final URL" % where
        else:
            raise DownloadError(where, retryable=status >= 500)
        raise DownloadError(msg)

    def _start_body(self, response):
        """Check the answer fits where we are; restart from 0 if the server ignored our Range."""
        length = response.getheader("Content-Length")
        length = int(length) if length and length.strip().isdigit() else None
        if response.status == 206:
            match = _CONTENT_RANGE_RE.match(response.getheader("Content-Range") or "")
            whole = None
            if match and match.group(3) != "*":
                whole = int(match.group(3))
            # Usable only if it starts where we stand and runs to the end of the image.
            if (not match or not self.offset or int(match.group(1)) != self.offset
                    or (whole is not None and int(match.group(2)) + 1 != whole)):
                self._restart()
                raise DownloadError("the server answered the range request for %s with "
                                    "Content-Range %r; starting again from 0"
                                    % (self.target.url, response.getheader("Content-Range")),
                                    retryable=True)
            self._expect_total(whole, "Content-Range")
            if length is not None:
                self._expect_total(self.offset + length, "Content-Length")
            self.resumed += self.offset
            return
        if self.offset:
            # A 200 to a range request is the whole image again: use it from its first byte.
            self._restart()
        if length is not None:
            self._expect_total(length, "Content-Length")

    def _expect_total(self, total, source):
        if total is None:
            return
        if self.total is None:
            self.total = total
        elif total != self.total:
            raise DownloadError(
                "size mismatch: expected %s, the server announces %s (%s); the download was "
                "discarded" % (format_bytes(self.total), format_bytes(total), source))

    def _restart(self):
        self.pipeline.restart()
        self.offset = 0
        self.total = self.size
        if self.on_progress is not None:
            self.on_progress(0)

    def _read_body(self, response):
        read = _packet_reader(response)
        pipeline = self.pipeline
        count = None
        while count != 0:
            buf = pipeline.buffer()
            view = memoryview(buf)[:self.read_size]
            filled = 0
            try:
                while filled < len(view):
                    count = read(view[filled:])
                    if not count:
                        break
                    filled += count
                    self.transferred += count
            finally:
                # What arrived before an error is good data: resume after it.
                self._commit(buf, filled)
            if self.limiter is not None and filled:
                with self.guard.paused():
                    self.limiter.consume(filled)
        if self.total is not None and self.offset < self.total:
            raise DownloadError("the connection closed after %s of %s"
                                % (format_bytes(self.offset), format_bytes(self.total)),
                                retryable=True)

    def _commit(self, buf, count):
        if not count:
            self.pipeline.release(buf)
            return
        self.pipeline.submit(buf, count)
        self.offset += count
        if self.total is not None and self.offset > self.total:
            raise DownloadError("size mismatch: expected %s, the server sent more; the "
                                "download was discarded" % format_bytes(self.total))
        if self.on_progress is not None:
            self.on_progress(self.offset)


def _packet_reader(response):
    """A function that reads into a buffer what the next packet brings: 0 at the end.

    ``response.readinto`` waits until the whole buffer is full, so a server sending a byte a
    second would hold each read for days. Reading one packet at a time lets the minimum rate
    see a trickle; a body of known length is read straight into the buffer, without a copy.
    """
    if response.chunked:
        def read_chunked(view):
            data = response.read1(len(view))
            view[:len(data)] = data
            return len(data)
        return read_chunked

    fp = response.fp

    def read(view):
        # http.client's own bookkeeping of what is left, as its readinto() keeps it.
        if response.length is not None:
            if not response.length:
                return 0
            view = view[:response.length]
        count = fp.readinto1(view)
        if response.length is not None:
            response.length -= count
        return count
    return read


def _backoff(failures):
    """Seconds to wait after ``failures`` failed attempts in a row: exponential, jittered."""
    ceiling = min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (failures - 1))
    # Half fixed, half random: hosts that failed together do not retry together.
    return ceiling / 2 + random.uniform(0, ceiling / 2)
