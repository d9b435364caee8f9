# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The progress notifications: Nova's versioned-notification envelope, and their sender.

The envelope and the event names are Nova's (aggregate.cache_images.start, .progress, .end),
so a consumer written for Nova works unchanged. The sender is oslo.messaging's Notifier, as
Nova's: a new sink is one more function that takes a notification dict, given to the callback
next to make_notifier.
"""

import datetime
import socket
import uuid

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.oslo_bus import (
    EVENT_PREFIX, import_oslo_messaging)

PUBLISHER = "ansible-precache"
BATCH_EVENT = "openstack_ops.precache.batch.progress"


def publisher_id(host=None):
    """Nova's form, `<binary>:<host>`."""
    return "%s:%s" % (PUBLISHER, host or socket.gethostname())


def _timestamp(now):
    # Nova's notifications carry a naive UTC time with microseconds.
    return datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S.%f")


def envelope(event, payload_name, version, data, publisher, now, message_id=None):
    """One notification in Nova's versioned envelope, as a JSON-able dict."""
    return {
        "priority": "INFO",
        "event_type": EVENT_PREFIX + event,
        "publisher_id": publisher,
        "timestamp": _timestamp(now),
        "message_id": message_id or str(uuid.uuid4()),
        "payload": {
            "nova_object.name": payload_name,
            "nova_object.namespace": "nova",
            "nova_object.version": version,
            "nova_object.data": data,
        },
    }


def batch_event(data, publisher, now):
    """The live state of a serial batch (_progress_live.Batch.data) as an event of our own,
    for the progress file only: its type is none of Nova's, so no bus consumer mistakes it."""
    return {
        "priority": "INFO",
        "event_type": BATCH_EVENT,
        "publisher_id": publisher,
        "timestamp": _timestamp(now),
        "message_id": str(uuid.uuid4()),
        "payload": data,
    }


def make_notifier(url, topic, exchange, publisher):
    """A function that sends a notification with oslo.messaging as Nova does: a Notifier with
    the messagingv2 driver on `topic` in the `exchange` (Nova's control_exchange, `nova`).

    Raises ImportError without oslo.messaging.
    """
    oslo_messaging, cfg = import_oslo_messaging()
    conf = cfg.ConfigOpts()
    conf(args=[], default_config_files=[], default_config_dirs=[])
    oslo_messaging.set_transport_defaults(control_exchange=exchange)
    transport = oslo_messaging.get_notification_transport(conf, url=url)
    notifier = oslo_messaging.Notifier(transport, publisher_id=publisher, driver="messagingv2",
                                       topics=[topic], retry=1)

    def send(note):
        getattr(notifier, note["priority"].lower())({}, note["event_type"], note["payload"])
    return send
