"""Send the notifications of a progress file through the callback's own notifier to the test
bed's RabbitMQ, and receive them with an oslo.messaging listener written as for Nova's
(Target(topic='versioned_notifications', exchange='nova')); check that all arrive, in order,
with Nova's envelope and payload fields.

Runs in the test bed's `openstack` venv, which has oslo.messaging (the controller's tools venv
does not); the callback's Ansible side is covered by the unit tests with a fake notifier.
"""
import importlib.util
import json
import sys
import threading
import uuid

import kombu

import oslo_messaging
from oslo_config import cfg


def load_progress(path):
    spec = importlib.util.spec_from_file_location("_progress", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Endpoint:
    def __init__(self, expected):
        self.received = []
        self.expected = expected
        self.done = threading.Event()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        # The test bed's Nova publishes on the same topic (service.create and so on).
        if not event_type.startswith("aggregate.cache_images."):
            return
        self.received.append({"publisher_id": publisher_id, "event_type": event_type,
                              "payload": payload, "message_id": metadata["message_id"],
                              "timestamp": metadata["timestamp"]})
        if len(self.received) >= self.expected:
            self.done.set()


def main(config_path, progress_module, progress_file):
    with open(config_path) as handle:
        url = json.load(handle)["testbed"]["rabbitmq"]["transport_url"]
    with open(progress_file) as handle:
        notes = [json.loads(line) for line in handle]
    progress = load_progress(progress_module)

    conf = cfg.ConfigOpts()
    conf(args=[], default_config_files=[], default_config_dirs=[])
    transport = oslo_messaging.get_notification_transport(conf, url=url)
    endpoint = Endpoint(len(notes))
    # A pool of our own: a new queue on Nova's exchange and topic, which sees only what is sent
    # from now on and takes nothing from the shared versioned_notifications.info queue.
    pool = "precache-test-" + uuid.uuid4().hex[:8]
    listener = oslo_messaging.get_notification_listener(
        transport, [oslo_messaging.Target(topic="versioned_notifications", exchange="nova")],
        [endpoint], executor="threading", pool=pool)
    listener.start()
    try:
        send = progress.make_notifier(url, "versioned_notifications", "nova",
                                      notes[0]["publisher_id"])
        for note in notes:
            send(note)
        if not endpoint.done.wait(60):
            sys.exit("received %d of %d notifications" % (len(endpoint.received), len(notes)))
    finally:
        listener.stop()
        listener.wait()
        with kombu.Connection(url.replace("rabbit://", "amqp://", 1)) as connection:
            connection.default_channel.queue_delete(pool)
    got = [(n["publisher_id"], n["event_type"], n["payload"]) for n in endpoint.received]
    want = [(n["publisher_id"], n["event_type"], n["payload"]) for n in notes]
    assert got == want, (got, want)
    names = [n["payload"]["nova_object.name"] for n in endpoint.received]
    assert names == ["AggregatePayload"] + ["AggregateCachePayload"] * (len(notes) - 2) + \
        ["AggregatePayload"], names
    print("received %d notifications on versioned_notifications (exchange nova)" % len(got))


if __name__ == "__main__":
    main(*sys.argv[1:])
