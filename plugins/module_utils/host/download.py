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

import hashlib
import re

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.download_pipeline import (
    Pipeline)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.sizes import (
    format_bytes)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host import (
    download_rate as speed)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.download_rate import (
    DEFAULT_MIN_RATE, DEFAULT_MIN_RATE_TIME, RateGuard, RateLimiter, _format_rate, _rate_option)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.http_target import (
    DownloadError, Target, ssl_context)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.transfer import Transfer


# Measured on 2 cores (tests/perf/README.md): many 1 MiB buffers ride out the stalls of page
# cache writes better than a few big ones, for the same memory.
DEFAULT_CHUNK_SIZE = 1024 * 1024
# A rate-limited read is at most this fraction of a second's worth of data, so the
# limiter's pauses stay short and the rate smooth.
_RATE_READS_PER_SECOND = 8
_MIN_READ_SIZE = 64 * 1024


def download(url, fileobj, headers=None, size=None, hash_algo=None, hash_value=None,
             checksum=None, timeout=60, retries=3, rate_limit=None, validate_certs=True,
             ca_cert=None, client_cert=None, client_key=None, chunk_size=DEFAULT_CHUNK_SIZE,
             min_rate=DEFAULT_MIN_RATE, min_rate_time=DEFAULT_MIN_RATE_TIME, signature_hash=None,
             tls_pin=None, on_progress=None):
    """Stream ``url`` into ``fileobj`` and verify it; return what was done.

    ``fileobj`` is a binary file open for writing (a new, empty one is best); its content is
    replaced. On any error the file holds partial or unverified data and the caller must
    discard it. ``retries`` is how many failed attempts in a row are retried; an attempt that
    got further than any before it starts the count again, unless it failed as too slow.
    ``rate_limit`` is bytes per second (an int or a size such as ``50M``); ``None`` or 0 means
    no limit. An attempt fails when the bytes it received over any ``min_rate_time`` seconds,
    counted from its request, fall below ``min_rate`` bytes per second (an int or a size);
    ``None`` or 0 turns that check off. ``signature_hash``, a hashlib object, is fed the same
    data in a thread of its own (an image signature's hash). ``tls_pin`` is a site peer's
    certificate fingerprint (peer_tls): an https:// URL must show that certificate.
    ``on_progress(offset)`` is called with the bytes in the file after each chunk and after a
    restart (0); an exception it raises ends the download and reaches the caller as it is.

    Returns a dict: ``size`` (bytes in the file), ``bytes_transferred`` (received in all
    attempts, discarded restarts included), ``bytes_resumed`` (not fetched again thanks to
    Range requests), ``attempts``, ``seconds``, ``hash_algo`` and ``hash_value`` (the digest
    verified, or None when the image has no hash), and ``verified``: ``"hash"`` (the hash, and
    the size when it was given), ``"size"`` (only the given size) or None (nothing could be
    checked: a body cut short by a closed connection would go unnoticed), and
    ``signature_digest``: the raw digest of ``signature_hash``, or None without one.
    """
    target = Target(url, headers, timeout,
                    ssl_context(url, validate_certs, ca_cert, client_cert, client_key, tls_pin),
                    tls_pin)
    algo, expected_digest, hasher = _verifier(hash_algo, hash_value, checksum)
    rate = _rate_option("rate_limit", rate_limit)
    guard = RateGuard(_rate_option("min_rate", min_rate), min_rate_time)
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
        limiter = RateLimiter(rate, burst=read_size)

    started = speed.monotonic()
    if fileobj.seek(0, 2):
        # Only a file with content: ext4 pushes a truncated file's data to disk on close.
        fileobj.seek(0)
        fileobj.truncate()
    hashers = [h for h in (hasher, signature_hash) if h is not None]
    transfer = Transfer(target, size, Pipeline(fileobj, hashers, chunk_size), read_size,
                        limiter, guard, on_progress)
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
        "seconds": round(speed.monotonic() - started, 3),
        "hash_algo": algo,
        "hash_value": digest,
        "verified": "hash" if hasher is not None else "size" if size is not None else None,
        "signature_digest": hashers[-1].digest() if signature_hash is not None else None,
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
