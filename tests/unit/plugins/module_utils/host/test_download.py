# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The streaming download against a real HTTP(S) server on 127.0.0.1 with scripted faults.

The server serves one image body with Range support, like Glance, and each request can be
told to fail in its own way: drop the connection after N bytes, answer with a status, ignore
the Range header, answer a wrong Content-Range, stall, trickle its headers or body, send a
short, chunked or close-delimited body or raw bytes. Backoff and rate-limit pauses go to a
recorder (a virtual clock where time matters), so no test sleeps; only the tests of the
minimum rate's watchdog take real time, a second or so each.
"""
import hashlib
import http.server
import os
import re
import socket
import ssl
import struct
import subprocess
import threading
import time
import traceback
import tracemalloc

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import (
    download_pipeline as buffers)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host import (
    download_rate as speed)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.download import (
    DownloadError,
    download,
)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.sizes import (
    format_bytes)

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.download_doubles import (
    BODY, _FailingFile)

TOKEN = "gAAAAABtest-token-7f3a9c"
CHUNK = 256 * 1024
SHA512 = hashlib.sha512(BODY).hexdigest()
MD5 = hashlib.md5(BODY).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        server = self.server
        with server.lock:
            plan = server.plans.pop(0) if len(server.plans) > 1 else server.plans[0]
            server.requests.append(dict(self.headers.items()))
        body = plan.get("body", server.body)
        if "status" in plan:
            text = plan.get("text", "no").replace("{token}", self.headers.get("X-Auth-Token", ""))
            self._answer(plan["status"], text.replace("{path}", self.path).encode())
            return
        if "raw" in plan:
            self.wfile.write(plan["raw"].replace(b"{path}", self.path.encode()))
            self.close_connection = True
            return
        if "stall" in plan:
            plan["stall"].wait(10)
            return
        if "trickle_headers" in plan:
            self._trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n" + b"X: y\r\n" * 100,
                          plan["trickle_headers"])
            return
        start = 0
        range_header = self.headers.get("Range")
        if range_header and not plan.get("ignore_range"):
            start = int(range_header.split("=")[1].rstrip("-"))
            if start >= len(body):
                self._answer(416, b"")
                return
            self.send_response(206)
            first = plan.get("range_start", start)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (first, len(body) - 1, len(body)))
        else:
            self.send_response(200)
        data = body[start:]
        cut = plan.get("drop_at", plan.get("short_at"))
        if plan.get("chunked"):
            self.send_header("Transfer-Encoding", "chunked")
        elif not plan.get("close_delimited"):
            self.send_header("Content-Length", str(plan.get("length", len(data))))
        self.send_header("Connection", "close")
        self.end_headers()
        if cut is not None:
            data = data[:max(0, cut - start)]
        if "trickle" in plan:
            self._trickle(data, plan["trickle"])
            return
        if plan.get("chunked"):
            for offset in range(0, len(data), 100000):
                piece = data[offset:offset + 100000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            if cut is None:
                self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(data)
        self.wfile.flush()
        if "drop_at" in plan:
            # A reset, not an orderly close: what a killed server looks like.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _trickle(self, data, interval):
        """Send one byte every ``interval`` seconds until the client goes away."""
        self.wfile.flush()
        self.close_connection = True
        try:
            for offset in range(len(data)):
                self.wfile.write(data[offset:offset + 1])
                self.wfile.flush()
                time.sleep(interval)
        except OSError:
            pass

    def _answer(self, status, text):
        self.send_response(status)
        self.send_header("Content-Length", str(len(text)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(text)
        self.close_connection = True

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context=None):
        super().__init__(("127.0.0.1", 0), _Handler)
        if context is not None:
            self.socket = context.wrap_socket(self.socket, server_side=True)
        self.lock = threading.Lock()
        self.body = BODY
        self.plans = [{}]
        self.requests = []
        scheme = "https" if context is not None else "http"
        self.url = "%s://127.0.0.1:%d/v2/images/abc/file" % (scheme, self.server_address[1])

    def handle_error(self, request, client_address):
        pass  # a client that gave up mid-answer is part of the tests


def _start(context=None):
    server = _Server(context)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    return server


@pytest.fixture
def server():
    srv = _start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    """Backoff and rate-limit pauses, recorded instead of slept."""
    recorded = []
    monkeypatch.setattr(speed, "sleep", recorded.append)
    return recorded


def _get(url, path, **kwargs):
    kwargs.setdefault("headers", {"X-Auth-Token": TOKEN})
    kwargs.setdefault("chunk_size", CHUNK)
    with open(path, "wb") as handle:
        return download(url, handle, **kwargs)


def _data(path):
    with open(path, "rb") as handle:
        return handle.read()


# ---- verification


def test_download_verifies_sha512_and_size(server, tmp_path):
    out = tmp_path / "image"
    result = _get(server.url, out, size=len(BODY), hash_algo="sha512", hash_value=SHA512.upper())
    assert _data(out) == BODY
    assert result["size"] == result["bytes_transferred"] == len(BODY)
    assert (result["hash_algo"], result["hash_value"]) == ("sha512", SHA512)
    assert (result["attempts"], result["bytes_resumed"]) == (1, 0)
    assert server.requests[0]["X-Auth-Token"] == TOKEN
    assert "Range" not in server.requests[0]


def test_md5_checksum_is_the_fallback(server, tmp_path):
    result = _get(server.url, tmp_path / "image", checksum=MD5)
    assert (result["hash_algo"], result["hash_value"]) == ("md5", MD5)


@pytest.mark.parametrize("algo", ["sha256", "sha3_512", "blake2b"])
def test_other_glance_algorithms(server, tmp_path, algo):
    expected = hashlib.new(algo, BODY).hexdigest()
    result = _get(server.url, tmp_path / "image", hash_algo=algo, hash_value=expected,
                  checksum="0" * 32)
    assert (result["hash_algo"], result["hash_value"]) == (algo, expected)


def test_without_any_hash_only_the_size_is_checked(server, tmp_path):
    result = _get(server.url, tmp_path / "image", size=len(BODY))
    assert result["hash_algo"] is None and result["hash_value"] is None
    assert result["size"] == len(BODY)
    assert result["verified"] == "size"


@pytest.mark.parametrize("kwargs, verified", [
    ({"size": len(BODY), "hash_algo": "sha512", "hash_value": SHA512}, "hash"),
    ({"checksum": MD5}, "hash"),
    ({"size": len(BODY)}, "size"),
    # Content-Length is the server's word, not a check against Glance's record.
    ({}, None),
])
def test_the_result_says_what_was_verified(server, tmp_path, kwargs, verified):
    assert _get(server.url, tmp_path / "image", **kwargs)["verified"] == verified


def test_a_close_delimited_body_shorter_than_the_size_fails(server, tmp_path):
    server.plans = [{"close_delimited": True, "short_at": 1000000}]
    with pytest.raises(DownloadError) as info:
        _get(server.url, tmp_path / "image", size=len(BODY), retries=0)
    assert str(info.value) == (
        "the connection closed after %s of %s; gave up after 1 attempts (retries: 0)"
        % (format_bytes(1000000), format_bytes(len(BODY))))


def test_a_close_delimited_body_cut_short_resumes(server, tmp_path):
    server.plans = [{"close_delimited": True, "short_at": 1000000}, {"close_delimited": True}]
    out = tmp_path / "image"
    result = _get(server.url, out, size=len(BODY))
    assert _data(out) == BODY
    assert (result["attempts"], result["bytes_resumed"], result["verified"]) == (2, 1000000,
                                                                                 "size")


def test_a_close_delimited_body_without_size_or_hash_is_not_verified(server, tmp_path):
    # Nothing tells a cut from the end: the caller learns that nothing was checked.
    server.plans = [{"close_delimited": True, "short_at": 1000000}]
    result = _get(server.url, tmp_path / "image")
    assert (result["size"], result["verified"]) == (1000000, None)


def test_old_content_of_the_file_is_replaced(server, tmp_path):
    out = tmp_path / "image"
    out.write_bytes(b"x" * (len(BODY) + 999))
    with open(out, "r+b") as handle:
        download(server.url, handle, chunk_size=CHUNK)
    assert _data(out) == BODY


def test_hash_mismatch_is_not_retried(server, tmp_path):
    server.body = BODY[:-1] + bytes([BODY[-1] ^ 1])
    got = hashlib.sha512(server.body).hexdigest()
    with pytest.raises(DownloadError) as info:
        _get(server.url, tmp_path / "image", size=len(BODY), hash_algo="sha512",
             hash_value=SHA512, retries=5)
    msg = str(info.value)
    assert msg == ("sha512 mismatch after %s: expected %s, got %s; the download was discarded"
                   % (format_bytes(len(BODY)), SHA512, got))
    assert not info.value.retryable
    assert len(server.requests) == 1


def test_md5_mismatch_names_md5(server, tmp_path):
    with pytest.raises(DownloadError, match=r"^md5 mismatch after 3158073 bytes \(3\.0 MiB\): "
                                            r"expected 0{32}, got %s" % MD5):
        _get(server.url, tmp_path / "image", checksum="0" * 32)


def test_announced_size_must_match(server, tmp_path):
    with pytest.raises(DownloadError) as info:
        _get(server.url, tmp_path / "image", size=len(BODY) + 1, retries=5)
    assert str(info.value) == (
        "size mismatch: expected %s, the server announces %s (Content-Length); the download "
        "was discarded" % (format_bytes(len(BODY) + 1), format_bytes(len(BODY))))
    assert len(server.requests) == 1


def test_more_data_than_the_size_fails(server, tmp_path):
    server.plans = [{"chunked": True}]
    with pytest.raises(DownloadError, match="expected 1000 bytes, the server sent more"):
        _get(server.url, tmp_path / "image", size=1000)


def test_size_mismatch_without_a_length_header(server, tmp_path):
    server.plans = [{"chunked": True}]
    with pytest.raises(DownloadError) as info:
        _get(server.url, tmp_path / "image", size=len(BODY) + 5, retries=0)
    assert "the connection closed after %s of %s" % (
        format_bytes(len(BODY)), format_bytes(len(BODY) + 5)) in str(info.value)


# ---- retries and resume

def test_resume_after_the_connection_closed_early(server, tmp_path):
    server.plans = [{"short_at": 1000000}, {}]
    out = tmp_path / "image"
    result = _get(server.url, out, size=len(BODY), hash_algo="sha512", hash_value=SHA512)
    assert _data(out) == BODY
    assert server.requests[1]["Range"] == "bytes=1000000-"
    assert result["bytes_resumed"] == 1000000
    assert result["bytes_transferred"] == len(BODY)
    assert result["attempts"] == 2


def test_resume_after_a_reset_connection(server, tmp_path):
    server.plans = [{"drop_at": 1500000}, {"drop_at": 2500000}, {}]
    out = tmp_path / "image"
    result = _get(server.url, out, size=len(BODY), hash_algo="sha512", hash_value=SHA512)
    assert _data(out) == BODY
    assert result["attempts"] == 3
    # How much of the data sent before a reset the client still reads is up to the kernel.
    assert result["bytes_resumed"] <= 1500000 + 2500000
    assert result["bytes_transferred"] == len(BODY)


def test_resume_without_a_known_size(server, tmp_path):
    server.plans = [{"short_at": 777777}, {}]
    out = tmp_path / "image"
    result = _get(server.url, out, checksum=MD5)
    assert _data(out) == BODY
    assert result["bytes_resumed"] == 777777


def test_resume_of_a_chunked_body(server, tmp_path):
    server.plans = [{"chunked": True, "short_at": 2000000}, {}]
    out = tmp_path / "image"
    result = _get(server.url, out, size=len(BODY), hash_algo="sha512", hash_value=SHA512)
    assert _data(out) == BODY
    assert result["attempts"] == 2
    assert "Range" in server.requests[1]


def test_progress_restarts_the_retry_count(server, tmp_path):
    server.plans = [{"short_at": n * 500000} for n in range(1, 6)] + [{}]
    result = _get(server.url, tmp_path / "image", retries=1, checksum=MD5)
    assert result["attempts"] == 6


def test_gives_up_when_no_progress(server, tmp_path, sleeps):
    # Content-Length promises the whole image but the body always stops 10 bytes short.
    server.plans = [{"short_at": len(BODY) - 10}]
    with pytest.raises(DownloadError) as info:
        _get(server.url, tmp_path / "image", retries=2)
    assert str(info.value) == (
        "the connection closed after %s of %s; gave up after 3 attempts (retries: 2)"
        % (format_bytes(len(BODY) - 10), format_bytes(len(BODY))))
    assert info.value.retryable
    assert len(sleeps) == 2


def test_retries_zero_means_one_attempt(server, tmp_path, sleeps):
    server.plans = [{"short_at": 1000}, {}]
    with pytest.raises(DownloadError, match=r"gave up after 1 attempts \(retries: 0\)$"):
        _get(server.url, tmp_path / "image", retries=0)
    assert sleeps == []


def test_server_error_then_success(server, tmp_path, sleeps):
    server.plans = [{"status": 503, "text": "<h1>Service Unavailable</h1>"}, {"status": 500}, {}]
    out = tmp_path / "image"
    result = _get(server.url, out, checksum=MD5)
    assert _data(out) == BODY
    assert result["attempts"] == 3
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0


def test_server_errors_exhaust_the_retries(server, tmp_path):
    server.plans = [{"status": 503,
                     "text": "<html><h1>Service Unavailable</h1>\n try later</html>"}]
    with pytest.raises(DownloadError) as info:
        _get(server.url, tmp_path / "image", retries=2)
    assert str(info.value) == (
        "GET %s returned 503 Service Unavailable: Service Unavailable try later; "
        "gave up after 3 attempts (retries: 2)" % server.url)
    assert len(server.requests) == 3


@pytest.mark.parametrize("status, message", [
    (401, "the token was rejected or has expired (GET {url} returned 401 Unauthorized: "
          "Authentication required); get a fresh token"),
    (403, "access to the image data was refused (GET {url} returned 403 Forbidden: "
          "Authentication required); the token's project may not download this image"),
    (404, "image not found or not visible to the token's project (GET {url} returned 404 "
          "Not Found: Authentication required)"),
    (204, "the image has no data (GET {url} returned 204 No Content)"),
    (400, "GET {url} returned 400 Bad Request: Authentication required"),
    (302, "redirects are not followed (GET {url} returned 302 Found: Authentication required); "
          "give the final URL"),
])
def test_client_errors_fail_at_once(server, tmp_path, status, message):
    server.plans = [{"status": status, "text": "Authentication required"}]
    with pytest.raises(DownloadError) as info:
        _get(server.url, tmp_path / "image", retries=3)
    assert str(info.value) == message.format(url=server.url)
    assert not info.value.retryable
    assert len(server.requests) == 1


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    server.plans = [{"short_at": 1000000}, {"ignore_range": True}]
    out = tmp_path / "image"
    result = _get(server.url, out, size=len(BODY), hash_algo="sha512", hash_value=SHA512)
    assert _data(out) == BODY
    assert server.requests[1]["Range"] == "bytes=1000000-"
    assert result["bytes_resumed"] == 0
    assert result["bytes_transferred"] == 1000000 + len(BODY)


@pytest.mark.parametrize("second", [{}, {"ignore_range": True}])
def test_the_signature_hash_sees_the_data_once_across_resumes_and_restarts(server, tmp_path,
                                                                           second):
    server.plans = [{"short_at": 1000000}, second]
    result = _get(server.url, tmp_path / "image", size=len(BODY), hash_algo="sha512",
                  hash_value=SHA512, signature_hash=hashlib.sha256())
    assert result["signature_digest"] == hashlib.sha256(BODY).digest()
    assert result["hash_value"] == SHA512
    assert _get(server.url, tmp_path / "again", size=len(BODY))["signature_digest"] is None


def test_wrong_content_range_restarts_from_zero(server, tmp_path):
    server.plans = [{"short_at": 1000000}, {"range_start": 999999}, {}]
    out = tmp_path / "image"
    result = _get(server.url, out, size=len(BODY), hash_algo="sha512", hash_value=SHA512)
    assert _data(out) == BODY
    assert "Range" not in server.requests[2]
    assert (result["attempts"], result["bytes_resumed"]) == (3, 0)


def test_range_not_satisfiable_restarts_from_zero(server, tmp_path):
    # The first answer claims more data than there is, so the resume asks beyond the end.
    server.plans = [{"length": len(BODY) + 100}, {}]
    out = tmp_path / "image"
    result = _get(server.url, out, checksum=MD5)
    assert _data(out) == BODY
    assert server.requests[1]["Range"] == "bytes=%d-" % len(BODY)
    assert "Range" not in server.requests[2]
    assert result["attempts"] == 3


def test_read_timeout_is_retried(server, tmp_path):
    stall = threading.Event()
    server.plans = [{"stall": stall}, {}]
    try:
        result = _get(server.url, tmp_path / "image", timeout=0.2, checksum=MD5)
    finally:
        stall.set()
    assert result["attempts"] == 2


def test_timeout_message(server, tmp_path):
    stall = threading.Event()
    server.plans = [{"stall": stall}]
    try:
        with pytest.raises(DownloadError, match=r"^timed out reading %s at 0 bytes; gave up"
                                                % server.url):
            _get(server.url, tmp_path / "image", timeout=0.2, retries=0)
    finally:
        stall.set()


def test_connection_refused_is_retried_then_reported(tmp_path, sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = "http://127.0.0.1:%d/v2/images/abc/file?x=1" % port
    with pytest.raises(DownloadError) as info:
        _get(url, tmp_path / "image", retries=2)
    assert str(info.value).startswith(
        "connection to http://127.0.0.1:%d/v2/images/abc/file at 0 bytes failed: " % port)
    assert "gave up after 3 attempts" in str(info.value)
    assert len(sleeps) == 2


# ---- writing


def test_write_error_fails_without_retry(server):
    with pytest.raises(DownloadError) as info:
        download(server.url, _FailingFile(1000000), chunk_size=CHUNK, retries=3)
    assert str(info.value) == "writing the download failed: [Errno 28] No space left on device"
    assert not info.value.retryable
    assert len(server.requests) == 1


class _UntruncatableFile(_FailingFile):
    def truncate(self):
        raise OSError(5, "Input/output error")


def test_a_restart_that_cannot_empty_the_file_fails_without_retry(server):
    server.plans = [{"short_at": 1000000}, {"ignore_range": True}]
    with pytest.raises(DownloadError) as info:
        download(server.url, _UntruncatableFile(len(BODY)), chunk_size=CHUNK, retries=3)
    assert str(info.value) == ("emptying the download file to start again failed: "
                               "[Errno 5] Input/output error")
    assert not info.value.retryable
    assert len(server.requests) == 2


class _PartialWriter(_FailingFile):
    """An unbuffered file that writes at most 1000 bytes a call."""

    def write(self, data):
        return super().write(data[:1000])


def test_short_writes_are_completed(server):
    target = _PartialWriter(len(BODY))
    download(server.url, target, chunk_size=CHUNK, checksum=MD5)
    assert bytes(target.data) == BODY


def test_memory_stays_bounded(server, tmp_path, monkeypatch):
    monkeypatch.setattr(buffers, "_BUFFER_MEMORY", 512 * 1024)
    server.body = os.urandom(32 * 1024 * 1024)
    tracemalloc.start()
    try:
        _get(server.url, tmp_path / "image", chunk_size=65536, hash_algo="sha512",
             hash_value=hashlib.sha512(server.body).hexdigest())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024  # 8 buffers of 64 KiB, and no copy of a 32 MiB body


# ---- rate limit


def test_rate_limit_keeps_the_long_run_rate(server, tmp_path, clock, monkeypatch):
    sent = []
    original = speed.RateLimiter.consume

    def consume(limiter, count):
        original(limiter, count)
        sent.append((clock.now, count))

    monkeypatch.setattr(speed.RateLimiter, "consume", consume)
    result = _get(server.url, tmp_path / "image", rate_limit="1M", checksum=MD5)
    rate = 1024 * 1024
    assert sum(clock.sleeps) == pytest.approx(len(BODY) / rate)
    assert result["seconds"] == pytest.approx(len(BODY) / rate, abs=0.01)
    # At every moment no more than rate x elapsed has gone through, plus one read's worth.
    total, start = 0, sent[0][0] - sent[0][1] / rate
    for now, count in sent:
        total += count
        assert total <= rate * (now - start) + 1
    assert max(count for dummy, count in sent) == rate // 8


def test_rate_limit_reads_are_small_enough(server, tmp_path, clock, monkeypatch):
    sizes = []
    original = speed.RateLimiter.consume

    def consume(limiter, count):
        sizes.append(count)
        original(limiter, count)

    monkeypatch.setattr(speed.RateLimiter, "consume", consume)
    _get(server.url, tmp_path / "image", rate_limit=100 * 1024)
    assert max(sizes) == 65536  # a floor: tiny reads would cost more than they save


# ---- minimum rate

TOO_SLOW = (r"^reading {url} at (\d+) bytes was too slow: (\d+) bytes in the last 0\.\d s "
            r"\([\d.]+ bytes/s\), below min_rate 1\.0 KiB/s over min_rate_time 0\.5 s; lower "
            r"min_rate \(0 turns the check off\) or raise min_rate_time if the link to Glance "
            r"is this slow; gave up after {attempts} attempts \(retries: {retries}\)$")


def _too_slow(server, tmp_path, retries=0, **kwargs):
    """Download with a short window; return the error and the seconds it took."""
    started = time.monotonic()
    with pytest.raises(DownloadError) as info:
        _get(server.url, tmp_path / "image", timeout=3, retries=retries, min_rate="1K",
             min_rate_time=0.5, **kwargs)
    return info.value, time.monotonic() - started


def test_a_trickling_body_fails_at_the_minimum_rate(server, tmp_path):
    # Each byte comes well within the timeout, so only the rate can end this.
    server.plans = [{"trickle": 0.05}]
    error, seconds = _too_slow(server, tmp_path)
    match = re.match(TOO_SLOW.format(url=re.escape(server.url), attempts=1, retries=0),
                     str(error))
    assert match, str(error)
    assert 0 < int(match.group(2)) < 20
    assert error.retryable
    assert seconds < 3


def test_trickling_headers_fail_at_the_minimum_rate(server, tmp_path):
    server.plans = [{"trickle_headers": 0.05}]
    error, seconds = _too_slow(server, tmp_path)
    assert re.match(TOO_SLOW.format(url=re.escape(server.url), attempts=1, retries=0),
                    str(error)), str(error)
    assert seconds < 3


def test_a_silent_server_fails_at_the_minimum_rate_before_the_timeout(server, tmp_path):
    stall = threading.Event()
    server.plans = [{"stall": stall}]
    try:
        error, seconds = _too_slow(server, tmp_path)
    finally:
        stall.set()
    assert "at 0 bytes was too slow: 0 bytes in the last" in str(error)
    assert seconds < 3


def test_a_tls_handshake_that_never_ends_fails_at_the_minimum_rate(tmp_path):
    # The guard holds the socket from before the TLS handshake: a server that never answers
    # it is ended by the rate, well before the (long) timeout.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = "https://127.0.0.1:%d/v2/images/abc/file" % silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(DownloadError, match=r"^reading %s at 0 bytes was too slow: 0 bytes "
                                                % re.escape(url)):
            _get(url, tmp_path / "image", timeout=10, retries=0, validate_certs=False,
                 min_rate="1K", min_rate_time=0.5)
    assert time.monotonic() - started < 5


def test_a_trickle_is_retried_but_never_counts_as_progress(server, tmp_path, sleeps):
    # Every attempt resumes a few bytes further: a retry count that restarted would never end.
    server.plans = [{"trickle": 0.05}]
    error, dummy = _too_slow(server, tmp_path, retries=2)
    match = re.match(TOO_SLOW.format(url=re.escape(server.url), attempts=3, retries=2),
                     str(error))
    assert match, str(error)
    assert len(sleeps) == 2
    resumed_at = [int(r["Range"][6:-1]) for r in server.requests[1:]]
    assert 0 < resumed_at[0] < resumed_at[1] < int(match.group(1))


def test_a_too_slow_attempt_is_resumed_by_a_fast_one(server, tmp_path):
    server.plans = [{"trickle": 0.05}, {}]
    out = tmp_path / "image"
    result = _get(server.url, out, timeout=3, min_rate="1K", min_rate_time=0.5, checksum=MD5)
    assert _data(out) == BODY
    assert result["attempts"] == 2 and result["bytes_resumed"] > 0


@pytest.mark.parametrize("min_rate", [0, None])
def test_min_rate_0_turns_the_check_off(server, tmp_path, min_rate):
    # 100 bytes/s for a second: too slow for a window of 0.2 s at 1 KiB/s, fine without one.
    server.plans = [{"trickle": 0.01, "body": BODY[:100]}]
    result = _get(server.url, tmp_path / "image", timeout=3, retries=0, min_rate=min_rate,
                  min_rate_time=0.2)
    assert _data(tmp_path / "image") == BODY[:100]
    assert result["attempts"] == 1


def test_the_same_trickle_fails_with_the_check_on(server, tmp_path):
    server.plans = [{"trickle": 0.01, "body": BODY[:100]}]
    with pytest.raises(DownloadError, match="was too slow"):
        _get(server.url, tmp_path / "image", timeout=3, retries=0, min_rate="1K",
             min_rate_time=0.2)


# ---- arguments and secrets

@pytest.mark.parametrize("kwargs, message", [
    ({"hash_algo": "sha512"}, "os_hash_algo and os_hash_value go together"),
    ({"hash_value": SHA512}, "os_hash_algo and os_hash_value go together"),
    ({"hash_algo": "nosuch", "hash_value": "ab"}, "hash algorithm 'nosuch' is not available"),
    ({"hash_algo": "shake_128", "hash_value": "ab"}, "has no fixed digest size"),
    ({"hash_algo": "sha512", "hash_value": "abc"}, "is not a 128-digit hex digest"),
    ({"checksum": "z" * 32}, "is not a 32-digit hex digest"),
    ({"chunk_size": 1024}, "chunk_size must be at least 65536 bytes"),
    ({"rate_limit": "fast"}, "'fast' is not a size"),
    ({"min_rate": "slow"}, "^min_rate: 'slow' is not a size"),
    ({"min_rate_time": 0}, "^min_rate_time must be a positive number of seconds, not 0$"),
    ({"min_rate_time": None}, "^min_rate_time must be a positive number of seconds, not None$"),
    ({"rate_limit": "32K"}, r"^rate_limit 32\.0 KiB/s is below min_rate 64\.0 KiB/s, so "
                            r"every transfer would fail as too slow; raise rate_limit or lower "
                            r"min_rate$"),
    ({"rate_limit": 1000, "min_rate": "1001"}, "^rate_limit 1000.0 bytes/s is below min_rate"),
])
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(DownloadError, match=message):
        _get("http://127.0.0.1:9/x", tmp_path / "image", **kwargs)


def test_only_http_urls(tmp_path):
    with pytest.raises(DownloadError, match=r"^cannot download 'ftp://host/x': only http"):
        _get("ftp://user:pw@host/x?sig=1", tmp_path / "image")


def test_header_with_a_line_break_is_refused_without_its_value(tmp_path):
    with pytest.raises(DownloadError) as info:
        _get("http://127.0.0.1:9/x", tmp_path / "image", headers={"X-Auth-Token": TOKEN + "\n"})
    assert "'X-Auth-Token' has a line break" in str(info.value)
    assert TOKEN not in _exception_text(info.value)


def _exception_text(exc):
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) + repr(exc)


@pytest.mark.parametrize("plans", [
    [{"status": 401}],
    [{"status": 404}],
    [{"status": 500, "text": "echo: X-Auth-Token: {token}"}],
    [{"status": 403, "text": "your token {token} is not allowed"}],
    [{"short_at": 10}],
    [{"drop_at": 10}],
])
def test_the_token_never_appears_in_errors(server, tmp_path, plans):
    server.plans = plans
    with pytest.raises(DownloadError) as info:
        _get(server.url, tmp_path / "image", retries=1, hash_algo="sha512", hash_value="0" * 128)
    assert TOKEN not in _exception_text(info.value)
    assert server.requests[0]["X-Auth-Token"] == TOKEN


def test_the_token_is_redacted_when_a_server_echoes_it(server, tmp_path):
    server.plans = [{"status": 500, "text": "echo: X-Auth-Token: {token}"}]
    with pytest.raises(DownloadError, match="echo: X-Auth-Token: <redacted>"):
        _get(server.url, tmp_path / "image", retries=0)


def _pieces(secret, length=8):
    return [secret[i:i + length] for i in range(len(secret) - length + 1)]


def _leaks(secret, text):
    return [piece for piece in _pieces(secret) if piece in text]


@pytest.mark.parametrize("page", [
    # Across the 300-character cut of the excerpt.
    "<p>%s {token} and more</p>" % ("a" * 290),
    # Across the end of the part of the page that is read; the tags leave little text.
    "<i>" * 1360 + "ab {token}",
])
def test_no_part_of_an_echoed_token_survives_the_excerpt(server, tmp_path, page):
    server.plans = [{"status": 403, "text": page}]
    with pytest.raises(DownloadError) as info:
        _get(server.url, tmp_path / "image")
    assert "<redact" in str(info.value)  # the marker may be cut, the token is gone
    assert _leaks(TOKEN, _exception_text(info.value)) == []


SIG = "5b2a1f09c3d7e8f4a6b0c2d4e6f8a0b2c4d6e8fa"
SIGNED = "/v1/AUTH_demo/images/disk.qcow2?temp_url_sig=%s&temp_url_expires=1893456000" % SIG


@pytest.mark.parametrize("plan", [
    # http.client quotes a bad status line, here one that echoes the request's path and query.
    {"raw": b"HTTP/1.1 abc {path}\r\n\r\n"},
    {"status": 500, "text": "cannot serve {path}"},
    {"status": 404, "text": "no such object: {path}"},
])
def test_the_query_string_never_appears_in_errors(server, tmp_path, plan):
    server.plans = [plan]
    url = server.url.replace("/v2/images/abc/file", SIGNED)
    with pytest.raises(DownloadError) as info:
        _get(url, tmp_path / "image", retries=0)
    assert server.requests
    text = _exception_text(info.value)
    assert _leaks(SIG, text) == [] and "temp_url_expires=1893456000" not in text
    assert "/v1/AUTH_demo/images/disk.qcow2" in str(info.value)


def test_user_info_never_appears_in_errors(server, tmp_path):
    server.plans = [{"raw": b"HTTP/1.1 abc user:pa55word@{path}\r\n\r\n"}]
    url = server.url.replace("http://", "http://user:pa55word@")
    with pytest.raises(DownloadError) as info:
        _get(url, tmp_path / "image", retries=0)
    assert "pa55word" not in _exception_text(info.value)


@pytest.mark.parametrize("url, problem", [
    ("http://127.0.0.1:{port}/v1/AUTH_demo/my image.qcow2?temp_url_sig={sig}",
     "the URL has a space at position "),
    ("http://127.0.0.1:{port}/v2/images/abc/file\n?temp_url_sig={sig}",
     "the URL has the character '\\n' at position "),
    ("http://127.0.0.1:{port}/v2/images/abc/file?temp_url_sig={sig}&x=\x7f",
     "the URL has the character '\\x7f' at position"),
    ("http://127.0.0.1:{port}/v2/images/\u00e9/file?temp_url_sig={sig}",
     "the URL has the character '\u00e9' at position "),
    ("http://127.0.0.1:99999/x?temp_url_sig={sig}", "the port is not a number from 1 to 65535"),
    ("http://127.0.0.1:0/x?temp_url_sig={sig}", "the port is not a number from 1 to 65535"),
    ("http://127.0.0.1:8o/x?temp_url_sig={sig}", "the port is not a number from 1 to 65535"),
    ("http:///x?temp_url_sig={sig}", "the URL has no valid host name"),
    ("http://a..b/x?temp_url_sig={sig}", "the URL has no valid host name"),
    ("http://[::1/x?temp_url_sig={sig}", "Invalid IPv6 URL"),
])
def test_a_malformed_url_fails_at_once_without_its_query(server, tmp_path, sleeps, url, problem):
    port = server.server_address[1]
    url = url.format(port=port, sig=SIG)
    with pytest.raises(DownloadError) as info:
        _get(url, tmp_path / "image", retries=3)
    assert str(info.value).startswith("cannot download ")
    assert problem in str(info.value)
    assert not info.value.retryable
    assert (server.requests, sleeps) == ([], [])
    assert _leaks(SIG, _exception_text(info.value)) == []


# ---- TLS

def _openssl(*args):
    subprocess.run(("openssl",) + args, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A self-signed server certificate for 127.0.0.1 and a self-signed client certificate."""
    folder = tmp_path_factory.mktemp("certs")
    paths = {}
    for name, extra in (("server", ["-addext", "subjectAltName=IP:127.0.0.1"]), ("client", [])):
        paths[name] = str(folder / (name + ".pem"))
        paths[name + "_key"] = str(folder / (name + ".key"))
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=127.0.0.1" if name == "server" else "/CN=precache-client",
                 "-keyout", paths[name + "_key"], "-out", paths[name], *extra)
    return paths


def _tls_server(certs, client_ca=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs["server"], certs["server_key"])
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return _start(context)


@pytest.fixture
def tls_server(certs):
    srv = _tls_server(certs)
    yield srv
    srv.shutdown()
    srv.server_close()


def test_tls_self_signed_is_refused_by_default(tls_server, tmp_path):
    with pytest.raises(DownloadError) as info:
        _get(tls_server.url, tmp_path / "image", retries=3)
    msg = str(info.value)
    assert msg.startswith("TLS certificate verification failed for %s: " % tls_server.url)
    assert msg.endswith("give the CA that signed the server's certificate with ca_cert, or set "
                        "validate_certs to false")
    assert not info.value.retryable
    assert TOKEN not in _exception_text(info.value)


def test_tls_with_ca_cert(tls_server, certs, tmp_path):
    out = tmp_path / "image"
    result = _get(tls_server.url, out, ca_cert=certs["server"], size=len(BODY),
                  hash_algo="sha512", hash_value=SHA512)
    assert _data(out) == BODY and result["hash_value"] == SHA512


def test_tls_resume(tls_server, certs, tmp_path):
    tls_server.plans = [{"short_at": 2000000}, {}]
    result = _get(tls_server.url, tmp_path / "image", ca_cert=certs["server"], checksum=MD5)
    assert result["bytes_resumed"] == 2000000


def test_tls_without_verification(tls_server, tmp_path):
    result = _get(tls_server.url, tmp_path / "image", validate_certs=False, checksum=MD5)
    assert result["size"] == len(BODY)


def test_tls_client_certificate(certs, tmp_path):
    srv = _tls_server(certs, client_ca=certs["client"])
    try:
        result = _get(srv.url, tmp_path / "image", ca_cert=certs["server"], checksum=MD5,
                      client_cert=certs["client"], client_key=certs["client_key"])
        assert result["size"] == len(BODY)
        with pytest.raises(DownloadError):
            _get(srv.url, tmp_path / "image", ca_cert=certs["server"], retries=0)
    finally:
        srv.shutdown()
        srv.server_close()


def test_tls_files_that_cannot_be_loaded(tmp_path):
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(DownloadError, match=r"^cannot load the TLS files \(ca_cert '%s'"
                                            % re.escape(missing)):
        _get("https://127.0.0.1:9/x", tmp_path / "image", ca_cert=missing)


# ---- progress

def test_on_progress_hears_each_chunk_and_a_restart(server, tmp_path):
    server.plans = [{"short_at": 1000000}, {"ignore_range": True}]
    offsets = []
    _get(server.url, tmp_path / "image", size=len(BODY), on_progress=offsets.append)
    restart = offsets.index(0)
    assert offsets[:restart] == sorted(offsets[:restart]) and offsets[restart - 1] == 1000000
    assert offsets[restart + 1:] == sorted(offsets[restart + 1:])
    assert offsets[-1] == len(BODY) and len(offsets) > len(BODY) // CHUNK


class _Cancel(Exception):
    pass


def test_what_on_progress_raises_ends_the_download_as_it_is(server, tmp_path):
    def cancel(offset):
        if offset > CHUNK:
            raise _Cancel(offset)
    before = threading.active_count()
    with pytest.raises(_Cancel):
        _get(server.url, tmp_path / "image", size=len(BODY), min_rate="1K", on_progress=cancel)
    assert len(server.requests) == 1, "a cancelled download was retried"
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before, "the download left a thread running"
