# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Following Nova's aggregate.cache_images notifications: the run's state, and the listener's
wiring to oslo.messaging and kombu (both replaced by doubles)."""

import socket
import sys
import types

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import notification_watch
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.notification_watch import (
    AggregateRun, NotificationWatch, WatchError)

IMG_A = "0c3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f01"
IMG_B = "9d3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f02"
AGG = {"id": 4, "uuid": "cf6aa111-cade-4477-a185-a5c869bc3954", "name": "my-application",
       "hosts": ["compute1", "compute2", "compute3"], "metadata": {}}
OTHER = dict(AGG, id=5, uuid="5d0c1a9e-0000-4000-8000-000000000005", name="other")


def payload(name, data):
    return {"nova_object.name": name, "nova_object.namespace": "nova",
            "nova_object.version": "1.0", "nova_object.data": data}


def start(agg=None):
    return "aggregate.cache_images.start", payload("AggregatePayload", agg or AGG)


def end(agg=None):
    return "aggregate.cache_images.end", payload("AggregatePayload", agg or AGG)


def progress(host, index, cached=(), failed=(), agg=None, total=3):
    agg = agg or AGG
    return "aggregate.cache_images.progress", payload("AggregateCachePayload", {
        "id": agg["id"], "uuid": agg["uuid"], "name": agg["name"], "host": host,
        "index": index, "total": total, "images_cached": list(cached),
        "images_failed": list(failed)})


def feed(run, notes, t0=100.0, step=0.5):
    return [run.feed(event, data, t0 + i * step) for i, (event, data) in enumerate(notes)]


def test_a_whole_run_per_host_in_order():
    run = AggregateRun(4, down=["compute3"])
    taken = feed(run, [start(), progress("compute2", 1, [IMG_A, IMG_B]),
                       progress("compute1", 2, [IMG_A], [IMG_B]),
                       progress("compute3", 3, [], [IMG_A, IMG_B]), end()])
    assert taken == [True] * 5
    result = run.result(now=999)
    assert result["complete"] is True and result["started"] is True
    assert list(result["hosts"]) == ["compute2", "compute1", "compute3"]
    assert result["hosts"]["compute2"] == {
        "index": 1, "total": 3, "images_cached": [IMG_A, IMG_B], "images_failed": [],
        "seconds": 0.5, "status": "ok"}
    assert result["hosts"]["compute1"]["status"] == "failed"
    # Nova skips a down host and reports every image failed: skipped, not failed.
    assert result["hosts"]["compute3"]["status"] == "skipped"
    assert result["hosts_skipped"] == ["compute3"]
    assert result["hosts_failed"] == ["compute1"]
    assert result["image_failures"] == {IMG_B: 1}
    assert result["hosts_pending"] == []
    assert result["elapsed"] == 2.0


def test_a_host_that_was_up_and_failed_everything_is_failed():
    run = AggregateRun("my-application")
    feed(run, [start(), progress("compute3", 1, [], [IMG_A]), end()])
    assert run.result(now=0)["hosts"]["compute3"]["status"] == "failed"


def test_other_aggregates_earlier_runs_and_other_events_are_ignored():
    run = AggregateRun(AGG["uuid"])
    taken = feed(run, [
        progress("compute1", 2, [IMG_A]),            # an earlier run of ours, still going
        end(),                                        # its end
        start(OTHER), progress("compute1", 1, [IMG_A], agg=OTHER),
        ("aggregate.update_metadata.start", payload("AggregatePayload", AGG)),
        ("service.update", payload("ServiceStatusPayload", {"host": "compute1"})),
        start(), progress("compute1", 1, [IMG_A]),
        start(),                                      # a second run of the same aggregate
        end(OTHER), end(),
        progress("compute2", 2, [IMG_A]),             # after our end
    ])
    assert taken == [False, False, False, False, False, False, True, True, False, False, True,
                     False]
    result = run.result(now=0)
    assert list(result["hosts"]) == ["compute1"]
    assert result["hosts_pending"] == ["compute2", "compute3"]
    assert result["complete"] is True


def test_without_an_aggregate_the_first_run_that_starts_is_followed():
    run = AggregateRun()
    feed(run, [progress("compute1", 1, [IMG_A]), start(OTHER),
               progress("compute1", 1, [IMG_A], agg=AGG),
               progress("compute2", 1, [IMG_A], agg=OTHER)])
    assert run.aggregate["name"] == "other"
    assert list(run.result(now=0)["hosts"]) == ["compute2"]


def test_a_run_that_does_not_end_is_incomplete_and_names_the_hosts_not_heard_from():
    run = AggregateRun(4)
    feed(run, [start(), progress("compute1", 1, [IMG_A])], t0=10.0)
    result = run.result(now=40.0)
    assert result["complete"] is False
    assert result["hosts_pending"] == ["compute2", "compute3"]
    assert result["elapsed"] == 30.0


def test_nothing_started():
    result = AggregateRun(4).result(now=5)
    assert result["started"] is False and result["complete"] is False
    assert result["hosts"] == {} and result["elapsed"] == 0.0


@pytest.mark.parametrize("url, expected", [
    ("rabbit://nova:secret@rabbit1:5671,nova:secret@rabbit2:5671/nova", ("rabbit1", 5671)),
    ("rabbit://nova:secret@10.0.0.5/", ("10.0.0.5", 5672)),
])
def test_the_bus_host(url, expected):
    assert notification_watch.bus_host(url) == expected


@pytest.mark.parametrize("url", ["", "rabbit-at-somewhere", "rabbit:///"])
def test_a_bad_transport_url(url):
    with pytest.raises(WatchError, match="transport_url must be an oslo.messaging URL"):
        notification_watch.bus_host(url)


def test_oslo_messaging_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "oslo_messaging", None)
    with pytest.raises(WatchError, match="oslo.messaging"):
        NotificationWatch("rabbit://u:p@127.0.0.1:5672/", AggregateRun(4)).__enter__()


class FakeBus:
    """oslo_messaging, oslo_config.cfg and kombu, recording what the watch does."""

    def __init__(self):
        self.calls = []
        self.endpoints = None
        bus = self

        class Target:
            def __init__(self, topic, exchange):
                self.topic, self.exchange = topic, exchange

        class Listener:
            def start(self):
                bus.calls.append("start")

            def stop(self):
                bus.calls.append("stop")

            def wait(self):
                bus.calls.append("wait")

        class Transport:
            def cleanup(self):
                bus.calls.append("cleanup")

        def get_notification_listener(transport, targets, endpoints, executor, pool):
            bus.calls.append(("listener", [(t.topic, t.exchange) for t in targets], executor,
                              pool))
            bus.endpoints = endpoints
            return Listener()

        class Channel:
            def queue_delete(self, name):
                bus.calls.append(("queue_delete", name))

        class Connection:
            def __init__(self, **kwargs):
                bus.calls.append(("kombu", kwargs))
                self.default_channel = Channel()

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

        class ConfigOpts:
            def __call__(self, **kwargs):
                pass

        self.oslo_messaging = types.SimpleNamespace(
            Target=Target, get_notification_listener=get_notification_listener,
            get_notification_transport=lambda conf, url: Transport())
        self.cfg = types.SimpleNamespace(ConfigOpts=ConfigOpts)
        self.kombu = types.SimpleNamespace(Connection=Connection)


@pytest.fixture
def bus(monkeypatch):
    fake = FakeBus()
    oslo_config = types.ModuleType("oslo_config")
    oslo_config.cfg = fake.cfg
    monkeypatch.setitem(sys.modules, "oslo_messaging", fake.oslo_messaging)
    monkeypatch.setitem(sys.modules, "oslo_config", oslo_config)
    monkeypatch.setitem(sys.modules, "oslo_config.cfg", fake.cfg)
    monkeypatch.setitem(sys.modules, "kombu", fake.kombu)
    monkeypatch.setattr(notification_watch, "check_reachable", lambda url, timeout: None)
    return fake


def test_the_watch_listens_on_a_queue_of_its_own_and_deletes_it(bus):
    run = AggregateRun(4)
    url = "rabbit://nova:s%40cret@rabbit1:5671,nova:s%40cret@rabbit2:5671/nova%2Fvhost"
    with NotificationWatch(url, run) as watch:
        assert bus.calls == [("listener", [("versioned_notifications", "nova")], "threading",
                              watch.pool), "start"]
        assert watch.pool.startswith("openstack-ops-precache-")
        endpoint = bus.endpoints[0]
        for event, data in [start(), progress("compute1", 1, [IMG_A]), end()]:
            endpoint.info({}, "nova-conductor:controller", event, data, {})
        assert watch.wait(lambda: run.ended, timeout=1)
    assert bus.calls[2:] == [
        "stop", "wait", "cleanup",
        ("kombu", dict(hostname="rabbit1", port=5671, userid="nova", password="s@cret",
                       virtual_host="nova/vhost", connect_timeout=10)),
        ("queue_delete", watch.pool)]
    assert list(run.hosts) == ["compute1"]


def test_waiting_ends_at_the_timeout(bus):
    clock = iter(range(0, 100, 1))
    run = AggregateRun(4)
    with NotificationWatch("rabbit://u:p@h:5672/", run, clock=lambda: next(clock)) as watch:
        watch.condition.wait = lambda timeout: None
        assert watch.wait(lambda: run.ended, timeout=5) is False


def test_a_listener_that_cannot_start_is_an_error_without_the_password(bus):
    def broken(*args, **kwargs):
        raise RuntimeError("ACCESS_REFUSED for user nova with password hunter2")

    bus.oslo_messaging.get_notification_listener = broken
    with pytest.raises(WatchError) as failure:
        NotificationWatch("rabbit://nova:hunter2@rabbit:5672/", AggregateRun(4)).__enter__()
    assert "hunter2" not in str(failure.value)
    assert "cannot listen to the message bus at rabbit:5672: ACCESS_REFUSED" in str(failure.value)
    # No queue was made, so none is deleted.
    assert bus.calls == ["cleanup"]


def test_an_unreachable_bus_fails_fast():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    with pytest.raises(WatchError, match="the message bus at 127.0.0.1:%d does not answer" % port):
        notification_watch.check_reachable("rabbit://u:secret@127.0.0.1:%d/" % port, 2)
