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
rate, and a minimum rate over a window (curl's --speed-limit/--speed-time) ends a transfer that a
broken or hostile server trickles. Header values (the X-Auth-Token) and the URL's query string
and user info never appear in an error message.
"""

import collections
import contextlib
# Loaded now: socket looks host names up through this codec, and the download runs as Nova's
# user, who may not be able to read this interpreter's library (say, a venv in root's home).
import encodings.idna  # noqa: F401 pylint: disable=unused-import
import hashlib
import http.client
import queue
import random
import re
import socket
import ssl
import threading
import time
from urllib.parse import unquote, urlsplit

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.sizes import (
    format_bytes, parse_size)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)

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
# A transfer slower than this (4.5 hours a GiB) holds Nova's lock on the image for hours; a
# working link, even a rate-limited WAN to an edge site, is far faster. The window rides out
# the pauses of a working Glance (a store reconnecting, TCP retransmits) and is half the
# default timeout.
DEFAULT_MIN_RATE = 64 * 1024
DEFAULT_MIN_RATE_TIME = 30
# The minimum rate's watchdog looks at the transfer this often (at most; short windows more).
_GUARD_TICK = 1.0
_ERROR_PAGE_READ = 4096

# Indirections that tests replace with a virtual clock.
_monotonic = time.monotonic
_sleep = time.sleep

_CONTENT_RANGE_RE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
# TLS errors that mean the peer went away mid-stream (worth a retry); any other SSLError is a
# certificate or protocol problem that a retry cannot fix.
_SSL_TRANSIENT = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)


class DownloadError(PrecacheError):
    """A download failed; ``retryable`` tells whether trying again could help."""

    def __init__(self, msg, retryable=False):
        super().__init__(msg)
        self.retryable = retryable


class _TooSlow(DownloadError):
    """An attempt fell below the minimum rate: retried, but it never counts as progress."""

    def __init__(self, msg):
        super().__init__(msg, retryable=True)


def download(url, fileobj, headers=None, size=None, hash_algo=None, hash_value=None,
             checksum=None, timeout=60, retries=3, rate_limit=None, validate_certs=True,
             ca_cert=None, client_cert=None, client_key=None, chunk_size=DEFAULT_CHUNK_SIZE,
             min_rate=DEFAULT_MIN_RATE, min_rate_time=DEFAULT_MIN_RATE_TIME, signature_hash=None):
    """Stream ``url`` into ``fileobj`` and verify it; return what was done.

    ``fileobj`` is a binary file open for writing (a new, empty one is best); its content is
    replaced. On any error the file holds partial or unverified data and the caller must
    discard it. ``retries`` is how many failed attempts in a row are retried; an attempt that
    got further than any before it starts the count again, unless it failed as too slow.
    ``rate_limit`` is bytes per second (an int or a size such as ``50M``); ``None`` or 0 means
    no limit. An attempt fails when the bytes it received over any ``min_rate_time`` seconds,
    counted from its request, fall below ``min_rate`` bytes per second (an int or a size);
    ``None`` or 0 turns that check off. ``signature_hash``, a hashlib object, is fed the same
    data in a thread of its own (an image signature's hash).

    Returns a dict: ``size`` (bytes in the file), ``bytes_transferred`` (received in all
    attempts, discarded restarts included), ``bytes_resumed`` (not fetched again thanks to
    Range requests), ``attempts``, ``seconds``, ``hash_algo`` and ``hash_value`` (the digest
    verified, or None when the image has no hash), and ``verified``: ``"hash"`` (the hash, and
    the size when it was given), ``"size"`` (only the given size) or None (nothing could be
    checked: a body cut short by a closed connection would go unnoticed), and
    ``signature_digest``: the raw digest of ``signature_hash``, or None without one.
    """
    target = _Target(url, headers, timeout,
                     ssl_context(url, validate_certs, ca_cert, client_cert, client_key))
    algo, expected_digest, hasher = _verifier(hash_algo, hash_value, checksum)
    rate = _rate_option("rate_limit", rate_limit)
    guard = _RateGuard(_rate_option("min_rate", min_rate), min_rate_time)
    if rate and rate < guard.rate:
        raise DownloadError("rate_limit %s/s is below min_rate %s/s, so every transfer would "
                            "fail as too slow; raise rate_limit or lower min_rate"
                            % (_format_rate(rate), _format_rate(guard.rate)))
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
    hashers = [h for h in (hasher, signature_hash) if h is not None]
    transfer = _Transfer(target, size, _Pipeline(fileobj, hashers, chunk_size), read_size,
                         limiter, guard)
    try:
        transfer.run(retries)
        transfer.pipeline.drain()
    finally:
        transfer.pipeline.close()
    fileobj.flush()

    # run() only returns once the announced or expected size has arrived in full.
    got = transfer.offset
    digest = None
    hashers = transfer.pipeline.hashers
    if hasher is not None:
        digest = hashers[0].hexdigest()
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
        "verified": "hash" if hasher is not None else "size" if size is not None else None,
        "signature_digest": hashers[-1].digest() if signature_hash is not None else None,
    }


def _rate_option(name, value):
    """Bytes per second from an int or a size such as ``64K``; 0 for None, 0 or ``""``."""
    try:
        return parse_size(value) if value else 0
    except ValueError as err:
        raise DownloadError("%s: %s" % (name, err)) from None


def _format_rate(rate):
    """``64.0 KiB`` (followed by ``/s`` in messages): a rate, readable for people."""
    value, unit = float(rate), "bytes"
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            break
        value /= 1024
    return "%.1f %s" % (value, unit)


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


def ssl_context(url, validate_certs, ca_cert, client_cert, client_key):
    """The TLS context for ``url`` (None for http://), with openstacksdk's meaning of the options."""
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
    """Where and how to ask: connection settings and the secrets kept out of every message.

    The secrets are the header values (the token), the URL's query string (a Swift temp URL's
    signature) and its user info, each also piece by piece, since an error text may quote
    them in parts or decoded.
    """

    def __init__(self, url, headers, timeout, context):
        url = str(url)
        self.url = _safe_url(url)
        try:
            parts = urlsplit(url)
        except ValueError as err:
            raise DownloadError("cannot download %r: %s" % (self.url, err)) from None
        if parts.scheme.lower() not in ("http", "https"):
            raise DownloadError("cannot download %r: only http:// and https:// URLs are supported"
                                % self.url)
        self.host, self.port = _check_url(url, parts, self.url)
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
        secrets = [v for v in self.headers.values() if v != _USER_AGENT]
        userinfo = parts.netloc.rpartition("@")[0]
        for text in (parts.query, parts.fragment, userinfo):
            pieces = [text] + re.split(r"[&;:]", text)
            secrets += pieces + [p.partition("=")[2] for p in pieces]
        secrets += [unquote(s) for s in secrets]
        # Longest first, so that a whole query goes before its parts.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def connect(self, guard):
        """A connection with its socket open, which ``guard`` may shut to end a slow attempt."""
        sock = socket.create_connection((self.host, self.port), self.timeout)
        try:
            guard.watch(sock)
            if self.context is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            else:
                conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                                   context=self.context)
                sock = self.context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        conn.sock = sock
        return conn

    def redact(self, text, cut=False):
        """``text`` without secrets; with ``cut``, also without a secret's start at its end."""
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        if cut:
            for secret in self.secrets:
                for length in range(min(len(secret), len(text)) - 1, 0, -1):
                    if text.endswith(secret[:length]):
                        text = text[:-length] + "<redacted>"
                        break
        return text


def _check_url(url, parts, safe):
    """The host and port to connect to; a clear error, never a retry, for a malformed URL."""
    bad = re.search(r"[^\x21-\x7e]", url)
    if bad:
        raise DownloadError(
            "cannot download %r: the URL has %s at position %d; percent-encode it (a space is "
            "%%20)" % (safe, "a space" if bad.group() == " " else "the character %r"
                       % bad.group(), bad.start()))
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise DownloadError("cannot download %r: the port is not a number from 1 to 65535"
                            % safe)
    host = parts.hostname
    try:
        # What socket.create_connection would do to it: no empty or over-long labels.
        valid = bool(host) and bool(host.encode("idna"))
    except UnicodeError:
        valid = False
    if not valid:
        raise DownloadError("cannot download %r: the URL has no valid host name" % safe)
    return host, port or (443 if parts.scheme.lower() == "https" else 80)


def _safe_url(url):
    """The URL without user info, query or fragment, fit for a message (even if malformed)."""
    scheme, sep, rest = re.split(r"[?#]", str(url), maxsplit=1)[0].partition("://")
    netloc, slash, path = rest.partition("/")
    return scheme + sep + netloc.rpartition("@")[2] + slash + path


class _Transfer:
    """One download across attempts: where it stands, and how each attempt moves it on."""

    def __init__(self, target, size, pipeline, read_size, limiter, guard):
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
            too_slow = isinstance(error, _TooSlow)
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
        self.guard.start(lambda: self.transferred)
        try:
            self._exchange()
        except (OSError, http.client.HTTPException, DownloadError):
            # The guard shut the socket down, which breaks a read in many ways: the slowness
            # is the cause.
            self._raise_if_too_slow()
            raise
        # Even a body that seemed to end: the shut socket looks like the end of its data.
        self._raise_if_too_slow()

    def _raise_if_too_slow(self):
        too_slow = self.guard.stop()
        if too_slow is not None:
            raise _TooSlow("reading %s at %s was too slow: %s; lower min_rate (0 turns the "
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


def _body_excerpt(response, target, limit=300):
    """The start of an error page as one line of text (Glance explains its refusals there).

    Redacted before it is cut, so that no part of a secret the page echoes survives the cut.
    """
    try:
        body = response.read(_ERROR_PAGE_READ)
    except (OSError, http.client.HTTPException):
        return ""
    text = re.sub(r"<[^>]*>", " ", body.decode("utf-8", "replace"))
    text = target.redact(" ".join(text.split()), cut=len(body) == _ERROR_PAGE_READ)
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


class _RateGuard:
    """The minimum rate, as curl's --speed-limit/--speed-time: an attempt fails when the bytes
    it received over any ``window`` seconds, counted from its request, fall below ``rate`` a
    second.

    A watchdog thread samples the attempt's progress, because a server can stall a read
    anywhere (TLS handshake, headers, chunk sizes, body) and nothing in http.client can be
    told to stop; it ends a slow attempt by shutting its socket down. Time the reader spends
    in the rate limiter's pauses is ours, not the server's, and does not count.
    """

    def __init__(self, rate, window):
        if rate and (isinstance(window, bool) or not isinstance(window, (int, float))
                     or window <= 0):
            raise DownloadError("min_rate_time must be a positive number of seconds, not %r"
                                % (window,))
        self.rate = rate
        self.window = window
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = None

    def start(self, progress):
        """Watch a new attempt; ``progress()`` is the count of bytes received, ever growing."""
        if not self.rate:
            return
        self._progress = progress
        self._paused_for = 0.0
        self._paused_at = None
        self._sock = None
        self.failure = None
        self._samples = collections.deque([(self._clock(), progress())])
        self._stopped.clear()
        self._thread = threading.Thread(target=self._watch, name="download-min-rate")
        self._thread.daemon = True
        self._thread.start()

    def watch(self, sock):
        """Shut ``sock`` down when the attempt is too slow (a copy: TLS takes the original)."""
        if not self.rate:
            return
        with self._lock:
            self._sock = sock.dup()
            if self.failure is not None:
                self._shut()

    @contextlib.contextmanager
    def paused(self):
        """Stop the clock while the rate limiter holds the reader back."""
        if not self.rate:
            yield
            return
        with self._lock:
            self._paused_at = _monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._paused_for += _monotonic() - self._paused_at
                self._paused_at = None

    def stop(self):
        """End the attempt's watch; return why it was too slow, or None."""
        if self._thread is None:
            return None
        self._stopped.set()
        self._thread.join()
        self._thread = None
        if self._sock is not None:
            self._sock.close()
        return self.failure

    def check(self):
        """Take a sample; return why the last window fell short of the rate, or None."""
        now = self._clock()
        received = self._progress()
        samples = self._samples
        samples.append((now, received))
        # The newest sample at least a window old opens the window to judge.
        while len(samples) > 1 and samples[1][0] <= now - self.window:
            samples.popleft()
        since, count = samples[0]
        if now - since < self.window or received - count >= self.rate * self.window:
            return None
        return ("%s in the last %.1f s (%s/s), below min_rate %s/s over min_rate_time %s s"
                % (format_bytes(received - count), now - since,
                   _format_rate((received - count) / (now - since)), _format_rate(self.rate),
                   self.window))

    def _clock(self):
        with self._lock:
            now = _monotonic() if self._paused_at is None else self._paused_at
            return now - self._paused_for

    def _shut(self):
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # closed already

    def _watch(self):
        while not self._stopped.wait(min(_GUARD_TICK, self.window / 8)):
            failure = self.check()
            if failure is None:
                continue
            with self._lock:
                self.failure = failure
                if self._sock is not None:
                    self._shut()
            return


class _Pipeline:
    """Hash and write chunks in threads behind the reader, over a fixed pool of buffers.

    The reader takes a free buffer, fills it and submits it; each hasher, in its own thread,
    passes it to the next, and the last to the writer, which returns it to the pool. The
    pool's size bounds memory: when the disk is slow the reader waits for a buffer instead of
    piling up data. A failed worker records its error and keeps passing buffers on, so the
    reader can never wait forever.
    """

    def __init__(self, fileobj, hashers, chunk_size, depth=None):
        self.fileobj = fileobj
        self.hashers = list(hashers)
        self._empty_hashers = [hasher.copy() for hasher in self.hashers]
        self._depth = depth or max(_MIN_BUFFERS, _BUFFER_MEMORY // chunk_size)
        self._free = queue.Queue()
        for dummy in range(self._depth):
            self._free.put(bytearray(chunk_size))
        # The queue in front of each hasher, then the writer's.
        self._queues = [queue.Queue() for dummy in range(len(self.hashers) + 1)]
        self._error = None
        self._threads = [threading.Thread(target=self._hash_loop, args=(index,),
                                          name="download-hash-%d" % index)
                         for index in range(len(self.hashers))]
        self._threads.append(threading.Thread(target=self._write_loop, name="download-write"))
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
        self._queues[0].put((buf, count))

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
        """Forget everything: empty the file and start the hashes again."""
        self.drain()
        try:
            self.fileobj.seek(0)
            self.fileobj.truncate()
        except OSError as exc:
            # Not a network error: a retry would not help.
            raise DownloadError("emptying the download file to start again failed: %s"
                                % exc) from None
        self.hashers = [empty.copy() for empty in self._empty_hashers]

    def close(self):
        self._queues[0].put(None)
        for thread in self._threads:
            thread.join()

    def _raise(self):
        raise DownloadError("writing the download failed: %s" % self._error)

    def _hash_loop(self, index):
        source, sink = self._queues[index], self._queues[index + 1]
        while True:
            item = source.get()
            if item is not None and self._error is None:
                try:
                    self.hashers[index].update(memoryview(item[0])[:item[1]])
                except Exception as exc:
                    self._error = exc
            sink.put(item)
            if item is None:
                return

    def _write_loop(self):
        while True:
            item = self._queues[-1].get()
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
