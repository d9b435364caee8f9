# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A download's speed: the token bucket of rate_limit and the min_rate watchdog, in virtual time.

The conftest's `clock` fixture makes download_rate's monotonic and sleep a virtual clock.
"""
import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import (
    download_rate as speed)


# ---- rate limit

def test_token_bucket_delays(clock):
    limiter = speed.RateLimiter(1000, burst=500)
    assert limiter.delay(250) == pytest.approx(0.25)  # starts empty
    clock.now += 0.25
    assert limiter.delay(0) == 0
    clock.now += 10  # idle: the bucket refills, but only up to the burst
    assert limiter.delay(500) == 0
    assert limiter.delay(1000) == pytest.approx(1.0)


# ---- minimum rate

@pytest.fixture
def guard(clock, monkeypatch):
    """A guard whose watchdog never wakes: the test takes its samples, in virtual time."""
    monkeypatch.setattr(speed, "_GUARD_TICK", 3600)
    received = [0]
    watched = speed.RateGuard(1000, 10)
    watched.start(lambda: received[0])
    yield watched, received
    assert watched.stop() is None


def test_the_window_slides(guard, clock):
    watched, received = guard
    for dummy in range(9):
        clock.now += 1
        received[0] += 2000  # a fast start ...
        assert watched.check() is None
    for dummy in range(5):
        clock.now += 1
        assert watched.check() is None  # ... is still in the window
    clock.now += 1
    received[0] += 1
    assert watched.check() == ("8001 bytes (7.8 KiB) in the last 10.0 s (800.1 bytes/s), below "
                               "min_rate 1000.0 bytes/s over min_rate_time 10 s")


def test_no_judgement_before_a_whole_window(guard, clock):
    watched, received = guard
    clock.now += 9.9
    assert watched.check() is None
    clock.now += 0.1
    assert watched.check().startswith("0 bytes in the last 10.0 s (0.0 bytes/s)")


def test_the_rate_limiters_pauses_do_not_count(guard, clock):
    watched, received = guard
    received[0] = 5000
    clock.now += 5
    with watched.paused():
        clock.now += 3600
        assert watched.check() is None
    clock.now += 4.9
    assert watched.check() is None
    received[0] += 4999
    clock.now += 0.1
    assert watched.check().startswith("9999 bytes")
