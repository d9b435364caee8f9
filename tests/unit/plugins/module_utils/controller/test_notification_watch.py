# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Following Nova's aggregate.cache_images notifications: the listener's wiring to
oslo.messaging and kombu (both replaced by doubles)."""

import logging
import socket
import sys
import types

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import notification_watch
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.aggregate_run import (
    AggregateRun)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.notification_watch import (
    NotificationWatch, WatchError)

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.controller.test_aggregate_run import (
    IMG_A, end, progress, start)


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
    assert run.hosts["compute1"]["images_cached"] == [IMG_A]


def test_waiting_ends_at_the_timeout(bus):
    clock = iter(range(0, 100, 1))
    run = AggregateRun(4)
    with NotificationWatch("rabbit://u:p@h:5672/", run, clock=lambda: next(clock)) as watch:
        watch.condition.wait = lambda timeout: None
        assert watch.wait(lambda: run.ended, timeout=5) is False


@pytest.mark.parametrize("level, message", [
    (logging.ERROR, "[c0ffee] AMQP server on rabbit:5672 is unreachable: Connection refused (user "
                    "nova, hunter2). Trying again in 1 seconds."),
    # A broker back within the reconnect interval: only INFO records.
    (logging.INFO, "A recoverable connection/channel error occurred, trying to reconnect: "
                   "[Errno 104] Connection reset by peer"),
    (logging.INFO, "[c0ffee] Reconnected to AMQP server on rabbit:5672 via [amqp] client with "
                   "port 56804."),
])
def test_a_lost_bus_connection_is_an_outage_and_ends_the_wait(bus, level, message):
    """oslo.messaging's rabbit driver only logs a lost broker, and reconnects: the watch takes
    the record as an outage, without the password, and stops waiting at once."""
    # oslo_log.log.getLogger("oslo_messaging._drivers.impl_rabbit") logs under this name.
    rabbit = logging.getLogger("oslo.messaging._drivers.impl_rabbit")
    run = AggregateRun(4)
    with NotificationWatch("rabbit://nova:hunter2@rabbit:5672/", run) as watch:
        rabbit.info("[c0ffee] Connected to AMQP server on rabbit:5672 via [amqp] client")
        rabbit.warning("Heartbeat support requested but it is not supported")
        rabbit.log(level, message)
        assert watch.wait(lambda: run.ended, timeout=30) is False
    assert len(watch.outages) == 1
    assert watch.outages[0]["message"] == message.replace("hunter2", "********")
    rabbit.error("[x] AMQP server on rabbit:5672 is unreachable: later. Trying again in 1 seconds.")
    assert len(watch.outages) == 1, "the handler outlived the watch"
    assert logging.getLogger("oslo.messaging").level == logging.NOTSET


def test_oslo_log_names_the_drivers_loggers_as_the_watch_listens_to_them():
    oslo_log = pytest.importorskip("oslo_log.log")
    adapter = oslo_log.getLogger("oslo_messaging._drivers.impl_rabbit")
    assert adapter.logger.name == "oslo.messaging._drivers.impl_rabbit"


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
