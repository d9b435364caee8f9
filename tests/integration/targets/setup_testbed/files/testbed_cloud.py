"""openstacksdk connections to the test bed, and the aggregates and servers the tests make there.

Imported by the targets' helper scripts (the dir of this file on sys.path). Every aggregate a
test makes carries the metadata precache_test=<the target's name>, so that a test deletes only
its own, and a run killed before its cleanup is cleaned by the next one.
"""
import json
import sys
import time

import openstack

MARK_KEY = "precache_test"


def connect(config_path, cloud="precache-admin"):
    """A connection as `cloud` of the test bed's clouds.yaml (CONFIG: integration_config.yml)."""
    with open(config_path) as handle:
        testbed = json.load(handle)["testbed"]
    config = openstack.config.OpenStackConfig(config_files=[testbed["clouds_yaml"]])
    return openstack.connection.Connection(config=config.get_one(cloud=cloud))


def create_aggregate(conn, name, hosts, mark, availability_zone=None):
    """A Nova aggregate holding `hosts`, marked as the target `mark`'s."""
    aggregate = conn.compute.create_aggregate(name=name, availability_zone=availability_zone)
    conn.compute.set_aggregate_metadata(aggregate, {MARK_KEY: mark})
    for host in hosts:
        conn.compute.add_host_to_aggregate(aggregate, host)
    return aggregate


def delete_marked_aggregates(conn, mark):
    """Delete the aggregates marked as the target `mark`'s, whatever their hosts."""
    for aggregate in conn.compute.aggregates():
        if (aggregate.metadata or {}).get(MARK_KEY) == mark:
            for host in aggregate.hosts or []:
                conn.compute.remove_host_from_aggregate(aggregate, host)
            conn.compute.delete_aggregate(aggregate)


def wait_for(conn, servers, status):
    """Wait until the servers have `status`; return those that went to ERROR instead."""
    deadline = time.monotonic() + 120
    pending = {server.id for server in servers}
    errors = []
    while pending:
        for server_id in list(pending):
            server = conn.compute.get_server(server_id)
            if server.status == status:
                pending.discard(server_id)
            elif server.status == "ERROR":
                pending.discard(server_id)
                errors.append(server)
        if pending and time.monotonic() > deadline:
            sys.exit("servers %s not %s after 120 s" % (", ".join(sorted(pending)), status))
        time.sleep(0.5)
    return errors


def boot(conn, requests):
    """Boot the servers of `requests` (create_server keywords) and wait for them to be ACTIVE.

    The bed's SQLite Placement now and then answers a write with "database is locked", which
    the scheduler turns into NoValidHost: such a server is deleted and booted again, twice at
    most. Any other fault ends the set-up.
    """
    servers = [None] * len(requests)
    todo = list(range(len(requests)))
    for attempt in range(3):
        for index in todo:
            servers[index] = conn.compute.create_server(**requests[index])
        failed = {server.id for server in wait_for(conn, [servers[i] for i in todo], "ACTIVE")}
        todo = [index for index in todo if servers[index].id in failed]
        for index in todo:
            fault = conn.compute.get_server(servers[index].id).fault or {}
            if attempt == 2 or "No valid host" not in str(fault.get("message")):
                sys.exit("server %s went to ERROR: %s" % (servers[index].id, fault))
            print("server %s: %s, booting it again" % (servers[index].id, fault.get("message")))
            conn.compute.delete_server(servers[index])
            conn.compute.wait_for_delete(servers[index], interval=0.5, wait=120)
        if not todo:
            break
    return servers
