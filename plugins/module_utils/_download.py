# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Streaming HTTP(S) download of image data into a file the caller has opened.

The body is read in fixed-size chunks from a small pool of buffers, so memory stays bounded
whatever the image size and however slow the disk. Reading, hashing and writing run in three
threads (hashlib and file and socket I/O release the GIL on large buffers), so verifying
Glance's sha512 on the fly costs little throughput. Size and hash (``os_hash_algo`` and
``os_hash_value``, else the md5 ``checksum``) are verified as the data streams; connection
errors, timeouts and 5xx answers are retried with jittered exponential backoff, resuming with
an HTTP Range request where the broken transfer stopped; an optional token bucket caps the
rate. Header values (the X-Auth-Token) never appear in an error message.
"""

import hashlib
import http.client
import queue
import random
import re
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

from ansible_collections.openstack_ops.precache.plugins.module_utils._sizes import (
    format_bytes, parse_size)

# Measured on 2 cores (tests/perf/README.md): many 1 MiB buffers ride out the stalls of page
# cache writes better than a few big ones, for the same memory.
DEFAULT_CHUNK_SIZE = 1024 * 1024
# Memory for the buffers in flight between reader, hasher and writer, whatever the image size.
_BUFFER_MEMORY = 16 * 1024 * 1024
_MIN_BUFFERS = 3
# A rate-limited read is at most this fraction of a second's worth of data, so the
# limiter's pauses stay short and the rate smooth.
_RATE_READS_PER_SECOND = 8
_MIN_READ_SIZE = 64 * 1024
_BACKOFF_BASE = 1.0
_BACKOFF_CAP = 30.0
_USER_AGENT = "openstack_ops.precache"

# Indirections that tests replace with a virtual clock.
_monotonic = time.monotonic
_sleep = time.sleep

_CONTENT_RANGE_RE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
# TLS errors that mean the peer went away mid-stream (worth a retry); any other SSLError is a
# certificate or protocol problem that a retry cannot fix.
_SSL_TRANSIENT = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)


class DownloadError(Exception):
    """A download failed; ``retryable`` tells whether trying again could help."""

    def __init__(self, msg, retryable=False):
        super().__init__(msg)
        self.retryable = retryable


def download(url, fileobj, headers=None, size=None, hash_algo=None, hash_value=None,
             checksum=None, timeout=60, retries=3, rate_limit=None, validate_certs=True,
             ca_cert=None, client_cert=None, client_key=None, chunk_size=DEFAULT_CHUNK_SIZE):
    """Stream ``url`` into ``fileobj`` and verify it; return what was done.

    ``fileobj`` is a binary file open for writing (a new, empty one is best); its content is
    replaced. On any error the file holds partial or unverified data and the caller must
    discard it. ``retries`` is how many failed attempts in a row are retried; an attempt that
    got further than any before it starts the count again. ``rate_limit`` is bytes per second
    (an int or a size such as ``50M``); ``None`` or 0 means no limit.

    Returns a dict: ``size`` (bytes in the file), ``bytes_transferred`` (received in all
    attempts, discarded restarts included), ``bytes_resumed`` (not fetched again thanks to
    Range requests), ``attempts``, ``seconds``, ``hash_algo`` and ``hash_value`` (the digest
    verified, or None when the image has no hash).
    """
    target = _Target(url, headers, timeout, _ssl_context(url, validate_certs, ca_cert,
                                                         client_cert, client_key))
    algo, expected_digest, hasher = _verifier(hash_algo, hash_value, checksum)
    try:
        rate = parse_size(rate_limit) if rate_limit else 0
    except ValueError as err:
        raise DownloadError("rate_limit: %s" % err) from None
    if chunk_size < _MIN_READ_SIZE:
        raise DownloadError("chunk_size must be at least %d bytes" % _MIN_READ_SIZE)
    read_size = chunk_size
    limiter = None
    if rate:
        read_size = max(_MIN_READ_SIZE, min(chunk_size, rate // _RATE_READS_PER_SECOND))
        limiter = _RateLimiter(rate, burst=read_size)

    started = _monotonic()
    if fileobj.seek(0, 2):
        # Only a file with content: ext4 pushes a truncated file's data to disk on close.
        fileobj.seek(0)
        fileobj.truncate()
    transfer = _Transfer(target, size, _Pipeline(fileobj, hasher, chunk_size), read_size, limiter)
    try:
        transfer.run(retries)
        transfer.pipeline.drain()
    finally:
        transfer.pipeline.close()
    fileobj.flush()

    # run() only returns once the announced or expected size has arrived in full.
    got = transfer.offset
    digest = None
    if hasher is not None:
        digest = transfer.pipeline.hasher.hexdigest()
        if digest != expected_digest:
            raise DownloadError(
                "%s mismatch after %s: expected %s, got %s; the download was discarded"
                % (algo, format_bytes(got), expected_digest, digest))
    return {
        "size": got,
        "bytes_transferred": transfer.transferred,
        "bytes_resumed": transfer.resumed,
        "attempts": transfer.attempts,
        "seconds": round(_monotonic() - started, 3),
        "hash_algo": algo,
        "hash_value": digest,
    }


def _verifier(hash_algo, hash_value, checksum):
    """The algorithm, the expected hex digest and an empty hasher (all None: nothing to check)."""
    if hash_algo or hash_value:
        if not (hash_algo and hash_value):
            raise DownloadError("os_hash_algo and os_hash_value go together; only one was given")
        algo, expected = str(hash_algo).lower(), str(hash_value).strip().lower()
    elif checksum:
        algo, expected = "md5", str(checksum).strip().lower()
    else:
        return None, None, None
    try:
        # Integrity check against Glance's record, so md5 must work on FIPS hosts too.
        hasher = hashlib.new(algo, usedforsecurity=False)
    except ValueError:
        raise DownloadError("hash algorithm %r is not available in this host's Python hashlib"
                            % algo) from None
    if not hasher.digest_size:
        raise DownloadError("hash algorithm %r has no fixed digest size; Glance cannot use it"
                            % algo)
    if not re.match(r"^[0-9a-f]{%d}$" % (2 * hasher.digest_size), expected):
        raise DownloadError("expected %s hash %r is not a %d-digit hex digest"
                            % (algo, expected, 2 * hasher.digest_size))
    return algo, expected, hasher


def _ssl_context(url, validate_certs, ca_cert, client_cert, client_key):
    if not url.lower().startswith("https:"):
        return None
    try:
        if validate_certs:
            # ca_cert replaces the system's CAs, as openstacksdk's cacert does.
            context = ssl.create_default_context(cafile=ca_cert)
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if client_cert:
            context.load_cert_chain(client_cert, client_key)
    except (OSError, ValueError) as exc:
        raise DownloadError("cannot load the TLS files (ca_cert %r, client_cert %r, client_key "
                            "%r): %s" % (ca_cert, client_cert, client_key, exc)) from None
    return context


class _Target:
    """Where and how to ask: connection settings and the headers, kept out of every message."""

    def __init__(self, url, headers, timeout, context):
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise DownloadError("cannot download %r: only http:// and https:// URLs are supported"
                                % _safe_url(url))
        self.parts = parts
        self.url = _safe_url(url)
        self.path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        self.timeout = timeout
        self.context = context
        self.headers = {"User-Agent": _USER_AGENT}
        for name, value in (headers or {}).items():
            # http.client would quote a bad value in its exception: check it ourselves.
            if any(c in str(name) + str(value) for c in "\r\n\0"):
                raise DownloadError("HTTP header %r has a line break or NUL in its name or value "
                                    "(a token read from a file with its newline?)"
                                    % str(name).strip())
            self.headers[str(name)] = str(value)
        self.secrets = [v for v in self.headers.values() if len(v) >= 4 and v != _USER_AGENT]

    def connect(self):
        port = self.parts.port
        if self.context is None:
            return http.client.HTTPConnection(self.parts.hostname, port, timeout=self.timeout)
        return http.client.HTTPSConnection(self.parts.hostname, port, timeout=self.timeout,
                                           context=self.context)

    def redact(self, text):
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text


def _safe_url(url):
    """The URL without user info, query or fragment, fit for a message."""
    parts = urlsplit(str(url))
    host = parts.netloc.rpartition("@")[2]
    return "%s://%s%s" % (parts.scheme, host, parts.path)


class _Transfer:
    """One download across attempts: where it stands, and how each attempt moves it on."""

    def __init__(self, target, size, pipeline, read_size, limiter):
        self.target = target
        self.size = size
        self.total = size
        self.pipeline = pipeline
        self.read_size = read_size
        self.limiter = limiter
        self.offset = 0
        self.transferred = 0
        self.resumed = 0
        self.attempts = 0

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
            error = DownloadError(self.target.redact(str(error)), error.retryable)
            if not error.retryable:
                raise error
            if self.offset > furthest:
                furthest = self.offset
                failures = 0
            failures += 1
            if failures > retries:
                raise DownloadError("%s; gave up after %d attempts (retries: %d)"
                                    % (error, self.attempts, retries), retryable=True)
            _sleep(_backoff(failures))

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
        conn = self.target.connect()
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
        detail = _body_excerpt(response)
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

    def _read_body(self, response):
        pipeline = self.pipeline
        while True:
            buf = pipeline.buffer()
            try:
                count = response.readinto(memoryview(buf)[:self.read_size])
            except BaseException:
                pipeline.release(buf)
                raise
            if not count:
                pipeline.release(buf)
                break
            pipeline.submit(buf, count)
            self.offset += count
            self.transferred += count
            if self.total is not None and self.offset > self.total:
                raise DownloadError("size mismatch: expected %s, the server sent more; the "
                                    "download was discarded" % format_bytes(self.total))
            if self.limiter is not None:
                self.limiter.consume(count)
        if self.total is not None and self.offset < self.total:
            raise DownloadError("the connection closed after %s of %s"
                                % (format_bytes(self.offset), format_bytes(self.total)),
                                retryable=True)


def _body_excerpt(response, limit=300):
    """The start of an error page as one line of text (Glance explains its refusals there)."""
    try:
        body = response.read(4096)
    except (OSError, http.client.HTTPException):
        return ""
    text = re.sub(r"<[^>]*>", " ", body.decode("utf-8", "replace"))
    text = " ".join(text.split())
    return text[:limit]


def _backoff(failures):
    """Seconds to wait after ``failures`` failed attempts in a row: exponential, jittered."""
    ceiling = min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (failures - 1))
    # Half fixed, half random: hosts that failed together do not retry together.
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class _RateLimiter:
    """Token bucket: a long-run rate of ``rate`` bytes/s with bursts of at most ``burst``."""

    def __init__(self, rate, burst):
        self.rate = float(rate)
        self.burst = burst
        self._tokens = 0.0
        self._stamp = _monotonic()

    def delay(self, count):
        """Take ``count`` bytes from the bucket; return how long to wait to pay them back."""
        now = _monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate) - count
        self._stamp = now
        return max(0.0, -self._tokens / self.rate)

    def consume(self, count):
        wait = self.delay(count)
        if wait > 0:
            _sleep(wait)


class _Pipeline:
    """Hash and write chunks in two threads behind the reader, over a fixed pool of buffers.

    The reader takes a free buffer, fills it and submits it; the hasher passes it to the
    writer, which returns it to the pool. The pool's size bounds memory: when the disk is
    slow the reader waits for a buffer instead of piling up data. A failed worker records its
    error and keeps passing buffers on, so the reader can never wait forever.
    """

    def __init__(self, fileobj, hasher, chunk_size, depth=None):
        self.fileobj = fileobj
        self.hasher = hasher
        self._empty_hasher = hasher.copy() if hasher is not None else None
        self._depth = depth or max(_MIN_BUFFERS, _BUFFER_MEMORY // chunk_size)
        self._free = queue.Queue()
        for dummy in range(self._depth):
            self._free.put(bytearray(chunk_size))
        self._to_hash = queue.Queue()
        self._to_write = queue.Queue()
        self._error = None
        self._threads = [threading.Thread(target=self._hash_loop, name="download-hash"),
                         threading.Thread(target=self._write_loop, name="download-write")]
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    def buffer(self):
        buf = self._free.get()
        if self._error is not None:
            self._free.put(buf)
            self._raise()
        return buf

    def submit(self, buf, count):
        self._to_hash.put((buf, count))

    def release(self, buf):
        self._free.put(buf)

    def drain(self):
        """Wait until every submitted chunk is hashed and written."""
        bufs = [self._free.get() for dummy in range(self._depth)]
        for buf in bufs:
            self._free.put(buf)
        if self._error is not None:
            self._raise()

    def restart(self):
        """Forget everything: empty the file and start the hash again."""
        self.drain()
        try:
            self.fileobj.seek(0)
            self.fileobj.truncate()
        except OSError as exc:
            # Not a network error: a retry would not help.
            raise DownloadError("emptying the download file to start again failed: %s"
                                % exc) from None
        if self.hasher is not None:
            self.hasher = self._empty_hasher.copy()

    def close(self):
        self._to_hash.put(None)
        for thread in self._threads:
            thread.join()

    def _raise(self):
        raise DownloadError("writing the download failed: %s" % self._error)

    def _hash_loop(self):
        while True:
            item = self._to_hash.get()
            if item is not None and self._error is None and self.hasher is not None:
                try:
                    self.hasher.update(memoryview(item[0])[:item[1]])
                except Exception as exc:
                    self._error = exc
            self._to_write.put(item)
            if item is None:
                return

    def _write_loop(self):
        while True:
            item = self._to_write.get()
            if item is None:
                return
            buf, count = item
            if self._error is None:
                try:
                    _write_all(self.fileobj, memoryview(buf)[:count])
                except Exception as exc:
                    self._error = exc
            self._free.put(buf)


def _write_all(fileobj, data):
    # A raw (unbuffered) file may write less than asked.
    while data:
        written = fileobj.write(data)
        data = data[written:]
