"""openstacksdk connections to the test bed, and the Nova aggregates the tests make there.

Imported by the targets' helper scripts (the dir of this file on sys.path). Every aggregate a
test makes carries the metadata precache_test=<the target's name>, so that a test deletes only
its own, and a run killed before its cleanup is cleaned by the next one.
"""
import json

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
