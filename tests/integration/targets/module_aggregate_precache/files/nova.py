"""The test bed's Nova for module_aggregate_precache: its aggregate, compute service states,
a pre-cache started with openstacksdk alone, and whether a queue is left on the bus.

  nova.py CONFIG aggregate NAME            make the target's aggregate of compute1..3 (after
                                           deleting the target's earlier ones); print its id
  nova.py CONFIG aggregate-id NAME         print the id of the aggregate NAME
  nova.py CONFIG restore                   enable and un-force every compute service the
                                           target changed
  nova.py CONFIG cleanup                   restore, and delete the target's aggregates
  nova.py CONFIG disable HOST              disable HOST's nova-compute (it stays up)
  nova.py CONFIG force-down HOST           force HOST's nova-compute down (microversion 2.53)
  nova.py CONFIG services                  print each compute's status/state as JSON
  nova.py CONFIG precache AGGREGATE IMAGE  POST /os-aggregates/{id}/images, as an operator's
                                           `openstack aggregate cache image` does
  nova.py CONFIG queue-gone NAME           exit 1 when the queue NAME exists on the bus
  nova.py CONFIG freeze HOST               stop HOST's nova-compute process (SIGSTOP): Nova
                                           still lists it up for service_down_time, and its
                                           RPC calls get no answer
  nova.py CONFIG thaw HOST                 let it go on (SIGCONT) and wait until it is up
  nova.py CONFIG bus-queue PREFIX          wait until a queue whose name starts with PREFIX
                                           is on the bus (a watch is listening)
  nova.py CONFIG bus-restart               restart RabbitMQ's broker in its node (bed/rabbitmq.py)

A fake nova-compute cannot be restarted on its database (bed/nova.py): freeze, never kill.

Service changes carry the disabled reason MARK, so cleanup restores only what this target did.
"""
import json
import os
import signal
import sys
import time

import kombu
import kombu.exceptions

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from testbed_cloud import connect, create_aggregate, delete_marked_aggregates  # noqa: E402

TARGET = "module_aggregate_precache"
MARK = "precache-test " + TARGET
HOSTS = ["compute1", "compute2", "compute3"]


def compute_service(conn, host):
    return next(conn.compute.services(binary="nova-compute", host=host))


def compute_pid(config, host):
    """The pid of the test bed's nova-compute of `host` (bed/nova.py's pid file)."""
    with open(config) as handle:
        work_dir = json.load(handle)["testbed"]["work_dir"]
    with open(os.path.join(work_dir, "nova", "nova-compute-%s.pid" % host)) as handle:
        return int(handle.read().strip())


def wait_up(conn, host, timeout=120):
    deadline = time.monotonic() + timeout
    while compute_service(conn, host).state != "up":
        if time.monotonic() > deadline:
            sys.exit("%s's nova-compute is not up again after %d s" % (host, timeout))
        time.sleep(2)


def restore(conn):
    for service in conn.compute.services(binary="nova-compute"):
        if service.disabled_reason == MARK:
            conn.compute.update_service_forced_down(service, service.host, service.binary,
                                                    forced=False)
            conn.compute.enable_service(service, service.host, service.binary)


def bus(config):
    """The test bed's bed/rabbitmq.py, for the bed whose settings are CONFIG."""
    with open(config) as handle:
        testbed = json.load(handle)["testbed"]
    os.environ["PRECACHE_TESTBED_DIR"] = testbed["work_dir"]
    sys.path.insert(0, testbed["code_dir"])
    from bed import rabbitmq
    return rabbitmq


def main(config, command, *args):
    conn = connect(config)
    if command == "aggregate":
        delete_marked_aggregates(conn, TARGET)
        print(create_aggregate(conn, args[0], HOSTS, TARGET).id)
    elif command == "aggregate-id":
        print(next(a.id for a in conn.compute.aggregates() if a.name == args[0]))
    elif command == "restore":
        restore(conn)
    elif command == "cleanup":
        restore(conn)
        delete_marked_aggregates(conn, TARGET)
    elif command == "disable":
        service = compute_service(conn, args[0])
        conn.compute.disable_service(service, service.host, service.binary,
                                     disabled_reason=MARK)
    elif command == "force-down":
        service = compute_service(conn, args[0])
        # Disabled too, with the mark, so that cleanup knows it is ours to restore.
        conn.compute.disable_service(service, service.host, service.binary,
                                     disabled_reason=MARK)
        conn.compute.update_service_forced_down(service, service.host, service.binary,
                                                forced=True)
    elif command == "services":
        json.dump({s.host: {"status": s.status, "state": s.state}
                   for s in conn.compute.services(binary="nova-compute")}, sys.stdout)
    elif command == "precache":
        conn.compute.aggregate_precache_images(args[0], [args[1]])
    elif command == "freeze":
        wait_up(conn, args[0])
        os.kill(compute_pid(config, args[0]), signal.SIGSTOP)
    elif command == "thaw":
        os.kill(compute_pid(config, args[0]), signal.SIGCONT)
        wait_up(conn, args[0])
    elif command == "queue-gone":
        with open(config) as handle:
            url = json.load(handle)["testbed"]["rabbitmq"]["transport_url"]
        with kombu.Connection(url.replace("rabbit://", "amqp://", 1)) as connection:
            try:
                connection.channel().queue_declare(args[0], passive=True)
            except kombu.exceptions.ChannelError:  # 404 NOT_FOUND
                return
        sys.exit("the queue %s is still on the bus" % args[0])
    elif command == "bus-queue":
        deadline = time.monotonic() + 60
        while not any(name.startswith(args[0]) for name in bus(config).queues()):
            if time.monotonic() > deadline:
                sys.exit("no queue %s* on the bus after 60 s" % args[0])
            time.sleep(0.5)
    elif command == "bus-restart":
        bus(config).restart_app()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:])
