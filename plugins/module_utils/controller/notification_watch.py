# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Follow one run of Nova's aggregate image pre-cache through its versioned notifications.

Nova's API answers a pre-cache request with 202 and nothing more; its conductor then emits
`aggregate.cache_images.start`, one `aggregate.cache_images.progress` per host and
`aggregate.cache_images.end` on the topic `versioned_notifications` of the exchange `nova`.

AggregateRun turns those notifications into the run's result, with no I/O, so unit tests feed
it directly. NotificationWatch listens with oslo.messaging on a queue of its own (a listener
pool named for this watch), so that it sees every notification from its start on and takes
none from Nova's other consumers; the queue is deleted when the watch ends.

Nova's payloads carry no request id: a run is told apart by its aggregate and by the start/end
envelope. The first start of the aggregate seen after the watch began opens the run; progress
before it (of an earlier run still going) is ignored; the end closes it. Two pre-cache runs of
the same aggregate at the same time cannot be told apart.
"""

import socket
import threading
import time
import traceback
import uuid
from urllib.parse import unquote, urlsplit

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.oslo_bus import (
    EVENT_PREFIX, import_oslo_messaging)

NOVA_EXCHANGE = "nova"
NOVA_TOPIC = "versioned_notifications"
POOL_PREFIX = "openstack-ops-precache-"


class WatchError(PrecacheError):
    """The notifications cannot be followed; the message says why."""


def _data(payload):
    data = (payload or {}).get("nova_object.data")
    return data if isinstance(data, dict) else {}


class AggregateRun:
    """The state of one pre-cache run of one aggregate, from its notifications.

    `aggregate` is the aggregate's id, uuid or name, or None to follow the first run of any
    aggregate that starts. `down` names the hosts known to be down (Nova skips them and
    reports all their images failed): they are reported as skipped.
    """

    def __init__(self, aggregate=None, down=()):
        self.wanted = None if aggregate is None else str(aggregate)
        self.down = set(down)
        self.aggregate = None
        self.hosts = {}
        self.order = []
        self.started_at = None
        self.ended_at = None
        self.notifications = 0

    @property
    def started(self):
        return self.started_at is not None

    @property
    def ended(self):
        return self.ended_at is not None

    def _ours(self, data):
        if self.aggregate is not None:
            return data.get("id") == self.aggregate["id"]
        return self.wanted is None or self.wanted in (
            str(data.get("id")), str(data.get("uuid")), str(data.get("name")))

    def feed(self, event_type, payload, now):
        """Take one notification; whether it belongs to this run."""
        if not str(event_type).startswith(EVENT_PREFIX):
            return False
        event = event_type[len(EVENT_PREFIX):]
        data = _data(payload)
        if not self._ours(data) or self.ended:
            return False
        if event == "start":
            if self.started:
                return False
            self.aggregate = {"id": data.get("id"), "uuid": data.get("uuid"),
                              "name": data.get("name"), "hosts": list(data.get("hosts") or [])}
            self.started_at = now
        elif not self.started:
            return False
        elif event == "progress":
            host = data.get("host")
            if host not in self.hosts:
                self.order.append(host)
            self.hosts[host] = {
                "index": data.get("index"), "total": data.get("total"),
                "images_cached": list(data.get("images_cached") or []),
                "images_failed": list(data.get("images_failed") or []),
                "seconds": round(now - self.started_at, 3)}
        elif event == "end":
            self.ended_at = now
        else:
            return False
        self.notifications += 1
        return True

    def _status(self, host, record):
        if record["images_failed"] and not record["images_cached"] and host in self.down:
            return "skipped"
        return "failed" if record["images_failed"] else "ok"

    def result(self, now):
        """The run's result (see the aggregate_precache module's RETURN)."""
        hosts = {}
        for host in self.order:
            record = dict(self.hosts[host])
            record["status"] = self._status(host, record)
            hosts[host] = record
        members = (self.aggregate or {}).get("hosts") or []
        failed = sorted(host for host, record in hosts.items() if record["status"] == "failed")
        images_failed = {}
        for host in failed:
            for image_id in hosts[host]["images_failed"]:
                images_failed[image_id] = images_failed.get(image_id, 0) + 1
        until = self.ended_at if self.ended else now
        return {
            "started": self.started,
            "complete": self.ended,
            "hosts": hosts,
            "hosts_skipped": sorted(h for h, r in hosts.items() if r["status"] == "skipped"),
            "hosts_failed": failed,
            "hosts_pending": [host for host in members if host not in hosts],
            "image_failures": dict(sorted(images_failed.items())),
            "elapsed": round(until - self.started_at, 3) if self.started else 0.0,
        }


def _import_oslo_messaging():
    try:
        return import_oslo_messaging()
    except ImportError:
        raise WatchError("%s %s" % (missing_required_lib("oslo.messaging"),
                                    traceback.format_exc().splitlines()[-1])) from None


def bus_host(url):
    """(host, port) of the first broker of a transport URL, without its credentials."""
    parts = urlsplit(url)
    first = urlsplit("//" + parts.netloc.split(",")[0])
    try:
        port = first.port
    except ValueError:
        port = None
    if not parts.scheme or not first.hostname:
        raise WatchError("transport_url must be an oslo.messaging URL such as "
                         "rabbit://USER:PASSWORD@HOST:5672/ (scheme %r, host %r)"
                         % (parts.scheme, first.hostname))
    return first.hostname, port or 5672


def check_reachable(url, timeout):
    """WatchError unless the first broker of a transport URL takes TCP connections.

    oslo.messaging retries an unreachable broker for ever (or logs and drops): fail fast instead.
    """
    host, port = bus_host(url)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as err:
        raise WatchError("the message bus at %s:%s does not answer: %s" % (host, port, err)) \
            from None


class _Endpoint:
    """An oslo.messaging notification endpoint feeding an AggregateRun, thread-safe."""

    def __init__(self, run, condition, clock):
        self.run = run
        self.condition = condition
        self.clock = clock

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        with self.condition:
            if self.run.feed(event_type, payload, self.clock()):
                self.condition.notify_all()


class NotificationWatch:
    """A listener of Nova's versioned notifications, on a queue of its own, for one run.

    Use as a context manager: the queue exists (and nothing is missed) once __enter__
    returns; __exit__ stops the listener and deletes the queue.
    """

    def __init__(self, url, run, exchange=NOVA_EXCHANGE, topic=NOVA_TOPIC, connect_timeout=10,
                 clock=time.monotonic):
        self.url = url
        self.run = run
        self.exchange = exchange
        self.topic = topic
        self.connect_timeout = connect_timeout
        self.clock = clock
        self.pool = POOL_PREFIX + uuid.uuid4().hex[:12]
        self.condition = threading.Condition()
        self._transport = None
        self._listener = None
        self._listening = False

    def __enter__(self):
        oslo_messaging, cfg = _import_oslo_messaging()
        check_reachable(self.url, self.connect_timeout)
        conf = cfg.ConfigOpts()
        conf(args=[], default_config_files=[], default_config_dirs=[])
        try:
            self._transport = oslo_messaging.get_notification_transport(conf, url=self.url)
            self._listener = oslo_messaging.get_notification_listener(
                self._transport, [oslo_messaging.Target(topic=self.topic, exchange=self.exchange)],
                [_Endpoint(self.run, self.condition, self.clock)], executor="threading",
                pool=self.pool)
            # Declares and binds the queue before it returns.
            self._listener.start()
            self._listening = True
        except Exception as err:
            self._close()
            raise WatchError("cannot listen to the message bus at %s:%s: %s"
                             % (bus_host(self.url) + (self._redact(err),))) from None
        return self

    def _redact(self, err):
        """An error as one line, without the bus password should the driver repeat it."""
        text = _one_line(err)
        password = urlsplit("//" + urlsplit(self.url).netloc.split(",")[0]).password
        return text.replace(password, "********") if password else text

    def wait(self, until, timeout):
        """Wait until `until()` (called under the lock) is true or `timeout` seconds passed;
        whether it became true."""
        deadline = self.clock() + timeout
        with self.condition:
            while not until():
                remaining = deadline - self.clock()
                if remaining <= 0:
                    return False
                self.condition.wait(min(remaining, 1.0))
        return True

    def __exit__(self, *exc_info):
        self._close()
        return False

    def _close(self):
        if self._listener is not None:
            try:
                self._listener.stop()
                self._listener.wait()
            finally:
                self._listener = None
        if self._transport is not None:
            self._transport.cleanup()
            self._transport = None
        if self._listening:
            self._listening = False
            self._delete_queue()

    def _delete_queue(self):
        """oslo.messaging leaves a pool's queue behind; delete it (RabbitMQ only)."""
        parts = urlsplit(self.url)
        if not parts.scheme.startswith("rabbit"):
            return
        import kombu  # a dependency of oslo.messaging's rabbit driver

        first = urlsplit("//" + parts.netloc.split(",")[0])
        vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
        with kombu.Connection(hostname=first.hostname, port=first.port or 5672,
                              userid=unquote(first.username or "guest"),
                              password=unquote(first.password or "guest"),
                              virtual_host=vhost, connect_timeout=self.connect_timeout) as conn:
            conn.default_channel.queue_delete(self.pool)


def _one_line(err):
    return " ".join(str(err).split())
