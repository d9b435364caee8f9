# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A download's speed: the token bucket of rate_limit, and the watchdog of min_rate.

The minimum rate over a window is curl's --speed-limit/--speed-time: it ends a transfer that a
broken or hostile server trickles, which would otherwise hold Nova's lock on the image.
"""

import collections
import contextlib
import socket
import threading
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.sizes import (
    format_bytes, parse_size)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.http_target import (
    DownloadError)


# A transfer slower than this (4.5 hours a GiB) holds Nova's lock on the image for hours; a
# working link, even a rate-limited WAN to an edge site, is far faster. The window rides out
# the pauses of a working Glance (a store reconnecting, TCP retransmits) and is half the
# default timeout.
DEFAULT_MIN_RATE = 64 * 1024
DEFAULT_MIN_RATE_TIME = 30
# The minimum rate's watchdog looks at the transfer this often (at most; short windows more).
_GUARD_TICK = 1.0
# Indirections that tests replace with a virtual clock, for the whole download.
monotonic = time.monotonic
sleep = time.sleep


class TooSlow(DownloadError):
    """An attempt fell below the minimum rate: retried, but it never counts as progress."""

    def __init__(self, msg):
        super().__init__(msg, retryable=True)


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


class RateLimiter:
    """Token bucket: a long-run rate of ``rate`` bytes/s with bursts of at most ``burst``."""

    def __init__(self, rate, burst):
        self.rate = float(rate)
        self.burst = burst
        self._tokens = 0.0
        self._stamp = monotonic()

    def delay(self, count):
        """Take ``count`` bytes from the bucket; return how long to wait to pay them back."""
        now = monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate) - count
        self._stamp = now
        return max(0.0, -self._tokens / self.rate)

    def consume(self, count):
        wait = self.delay(count)
        if wait > 0:
            sleep(wait)


class RateGuard:
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
            self._paused_at = monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._paused_for += monotonic() - self._paused_at
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
            now = monotonic() if self._paused_at is None else self._paused_at
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
