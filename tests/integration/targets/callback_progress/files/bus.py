"""A Nova-style listener on the test bed's RabbitMQ for what the progress callback sends.

`bus.py CONFIG WORK` listens with oslo.messaging as a consumer of Nova's notifications does
(Target(topic='versioned_notifications', exchange='nova')), on a queue of its own (a pool: it
sees only what is sent from its start and takes nothing from the shared
versioned_notifications.info queue). Once it listens it writes WORK/listening; runme.sh then
runs the playbook and writes WORK/played. The listener then waits for as many
aggregate.cache_images notifications as the callback wrote to WORK/progress.jsonl (none
arriving is a failure), stops, deletes its queue, checks that the queue is gone, writes what it
received to WORK/bus.jsonl in Nova's envelope, and checks that it is what the callback wrote,
in the same order. SIGTERM (runme.sh's cleanup) stops it the same way, queue deleted.

Runs in the controller's venv (tests/requirements-tools.txt has oslo.messaging for the callback).
"""
import json
import os
import signal
import sys
import threading
import time
import uuid

import kombu
import kombu.exceptions

import oslo_messaging
from oslo_config import cfg

EVENT_PREFIX = "aggregate.cache_images."
SHARED_QUEUE = "versioned_notifications.info"
# How long the playbook may take, and how long notifications may take to arrive after it.
PLAY_TIMEOUT = 600
ARRIVAL_TIMEOUT = 30
# Time to wait after the last expected notification, so that extra ones are seen too.
SETTLE = 1.0


class Endpoint:
    """Nova's consumers implement one method per priority: info(ctxt, publisher_id, ...)."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        # The test bed's Nova publishes on the same topic (service.update and so on).
        if not event_type.startswith(EVENT_PREFIX):
            return
        with self.lock:
            self.received.append({
                "priority": "INFO", "event_type": event_type, "publisher_id": publisher_id,
                "payload": payload, "message_id": metadata["message_id"],
                "timestamp": metadata["timestamp"]})

    def count(self):
        with self.lock:
            return len(self.received)


def queue_exists(url, name):
    with kombu.Connection(url) as connection:
        try:
            connection.channel().queue_declare(name, passive=True)
        except kombu.exceptions.ChannelError:  # 404 NOT_FOUND
            return False
    return True


def wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def stop_on_term(signum, frame):
    raise SystemExit("stopped by signal %d" % signum)


def main(config_path, work):
    signal.signal(signal.SIGTERM, stop_on_term)
    with open(config_path) as handle:
        url = json.load(handle)["testbed"]["rabbitmq"]["transport_url"]
    amqp_url = url.replace("rabbit://", "amqp://", 1)
    shared_before = queue_exists(amqp_url, SHARED_QUEUE)

    conf = cfg.ConfigOpts()
    conf(args=[], default_config_files=[], default_config_dirs=[])
    transport = oslo_messaging.get_notification_transport(conf, url=url)
    endpoint = Endpoint()
    pool = "precache-test-" + uuid.uuid4().hex[:8]
    listener = oslo_messaging.get_notification_listener(
        transport, [oslo_messaging.Target(topic="versioned_notifications", exchange="nova")],
        [endpoint], executor="threading", pool=pool)
    listener.start()
    try:
        # The queue is declared when the listener starts: from now on nothing is missed.
        if not wait_for(lambda: queue_exists(amqp_url, pool), 30):
            sys.exit("the listener's queue %s did not appear" % pool)
        with open(os.path.join(work, "listening"), "w") as handle:
            handle.write(pool + "\n")
        if not wait_for(lambda: os.path.exists(os.path.join(work, "played")), PLAY_TIMEOUT):
            sys.exit("the playbook did not finish in %d s" % PLAY_TIMEOUT)
        with open(os.path.join(work, "progress.jsonl")) as handle:
            sent = [json.loads(line) for line in handle]
        if not sent:
            sys.exit("the callback wrote no notification to progress.jsonl")
        if not wait_for(lambda: endpoint.count() >= len(sent), ARRIVAL_TIMEOUT):
            sys.exit("received %d of %d notifications in %d s"
                     % (endpoint.count(), len(sent), ARRIVAL_TIMEOUT))
        time.sleep(SETTLE)
    finally:
        listener.stop()
        listener.wait()
        transport.cleanup()
        with kombu.Connection(amqp_url) as connection:
            connection.default_channel.queue_delete(pool)
        if not shared_before:
            # The callback's notifier declared it (as Nova's does); the test bed had none.
            with kombu.Connection(amqp_url) as connection:
                connection.default_channel.queue_delete(SHARED_QUEUE)
    leftover = [name for name in (pool, SHARED_QUEUE if not shared_before else None)
                if name and queue_exists(amqp_url, name)]
    assert not leftover, "queues left behind: %s" % leftover

    with open(os.path.join(work, "bus.jsonl"), "w") as handle:
        for note in endpoint.received:
            handle.write(json.dumps(note, sort_keys=True) + "\n")
    # Exactly what the callback wrote, in its order; the bus gives its own ids and times.
    got = [(n["publisher_id"], n["event_type"], n["payload"]) for n in endpoint.received]
    want = [(n["publisher_id"], n["event_type"], n["payload"]) for n in sent]
    assert got == want, (got, want)
    assert len(set(n["message_id"] for n in endpoint.received)) == len(got), endpoint.received
    print("received %d notifications on versioned_notifications (exchange nova, queue %s)"
          % (len(got), pool))


if __name__ == "__main__":
    main(*sys.argv[1:])
