# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Listen to Nova's versioned notifications for the runs of its aggregate image pre-cache.

Nova's API answers a pre-cache request with 202 and nothing more; its conductor then emits
`aggregate.cache_images.start`, one `aggregate.cache_images.progress` per host and
`aggregate.cache_images.end` on the topic `versioned_notifications` of the exchange `nova`.

NotificationWatch listens with oslo.messaging on a queue of its own (a listener pool named for
this watch), so that it sees every notification from its start on and takes none from Nova's
other consumers, and hands each to an AggregateRun (aggregate_run.py), which makes the result;
the queue is deleted when the watch ends.

A bus outage mid-run (RabbitMQ restarted, the connection cut) loses the notifications Nova sent
meanwhile, and oslo.messaging only logs it and reconnects, or only logs the reconnection when it
was quick: the watch takes those log records as `outages`, and wait() then stops, so that the run is reported as not followed, with what was
seen until then, rather than waited for until its timeout or taken as complete.
"""

import logging
import re
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
    import_oslo_messaging)

NOVA_EXCHANGE = "nova"
NOVA_TOPIC = "versioned_notifications"
POOL_PREFIX = "openstack-ops-precache-"
# What oslo.messaging's drivers log when they lose the broker and when they reconnect (at INFO:
# a reconnection soon enough logs no error). oslo.log names their loggers `oslo.messaging...`.
_BUS_LOGGER = "oslo.messaging"
_OUTAGE = re.compile(r"unreachable|closed the connection|Connection failed|Failed to consume|"
                     r"recoverable connection/channel error|Reconnected to AMQP server",
                     re.IGNORECASE)


class WatchError(PrecacheError):
    """The notifications cannot be followed; the message says why."""


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


class _OutageLog(logging.Handler):
    """Takes the rabbit driver's log records of a lost connection as outages of a watch."""

    def __init__(self, watch):
        super().__init__(logging.INFO)
        self.watch = watch

    def emit(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: not ours to judge
            return
        if _OUTAGE.search(message):
            self.watch.outage(message)


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
        self.outages = []
        self._started = None
        self._outage_log = _OutageLog(self)
        self._transport = None
        self._listener = None
        self._listening = False

    def __enter__(self):
        oslo_messaging, cfg = _import_oslo_messaging()
        check_reachable(self.url, self.connect_timeout)
        self._started = self.clock()
        bus_logger = logging.getLogger(_BUS_LOGGER)
        self._bus_level = bus_logger.level
        bus_logger.setLevel(logging.INFO)
        bus_logger.addHandler(self._outage_log)
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

    def outage(self, message):
        """Record that the bus connection was lost (`message`: the driver's words)."""
        with self.condition:
            self.outages.append({"seconds": round(self.clock() - self._started, 3),
                                 "message": self._redact(message)})
            self.condition.notify_all()

    def wait(self, until, timeout):
        """Wait until `until()` (called under the lock) is true, `timeout` seconds passed or the
        bus connection was lost; whether `until()` became true with no outage."""
        deadline = self.clock() + timeout
        with self.condition:
            while not until() and not self.outages:
                remaining = deadline - self.clock()
                if remaining <= 0:
                    return False
                self.condition.wait(min(remaining, 1.0))
            return not self.outages

    def __exit__(self, *exc_info):
        self._close()
        return False

    def _close(self):
        bus_logger = logging.getLogger(_BUS_LOGGER)
        if self._outage_log in bus_logger.handlers:
            bus_logger.removeHandler(self._outage_log)
            bus_logger.setLevel(self._bus_level)
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
