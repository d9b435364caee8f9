"""The Nova aggregates of the role_image_precache target: create them, or delete them again.

  setup CONFIG      delete what a killed run left, then create the aggregates below
  cleanup CONFIG    delete them (whatever their hosts)

  precache-role-test   compute1, compute2, compute3   the rollout; "-" is sanitized to "_"
  precache-role-x1     compute1                       for -e '{"aggregate": [a list]}'
  precache-role-x2     compute2

They carry metadata naming this target, so that nothing else is ever deleted and a run killed
before its cleanup is cleaned by the next one.
"""
import json
import sys

import openstack

MARK = {"precache_test": "role_image_precache"}
AGGREGATES = {
    "precache-role-test": ["compute1", "compute2", "compute3"],
    "precache-role-x1": ["compute1"],
    "precache-role-x2": ["compute2"],
}


def connect(config_path):
    with open(config_path) as handle:
        clouds_yaml = json.load(handle)["testbed"]["clouds_yaml"]
    config = openstack.config.OpenStackConfig(config_files=[clouds_yaml])
    return openstack.connection.Connection(config=config.get_one(cloud="precache-admin"))


def delete_marked(conn):
    for aggregate in conn.compute.aggregates():
        if (aggregate.metadata or {}).get("precache_test") == MARK["precache_test"]:
            for host in aggregate.hosts or []:
                conn.compute.remove_host_from_aggregate(aggregate, host)
            conn.compute.delete_aggregate(aggregate)


def setup(config_path):
    conn = connect(config_path)
    delete_marked(conn)
    clash = {a.name for a in conn.compute.aggregates()} & set(AGGREGATES)
    if clash:
        sys.exit("aggregates %s exist already and are not this test's" % ", ".join(sorted(clash)))
    for name, hosts in AGGREGATES.items():
        aggregate = conn.compute.create_aggregate(name=name)
        conn.compute.set_aggregate_metadata(aggregate, MARK)
        for host in hosts:
            conn.compute.add_host_to_aggregate(aggregate, host)


def cleanup(config_path):
    conn = connect(config_path)
    delete_marked(conn)
    left = {a.name for a in conn.compute.aggregates()} & set(AGGREGATES)
    assert not left, "aggregates left behind: %s" % sorted(left)


if __name__ == "__main__":
    {"setup": setup, "cleanup": cleanup}[sys.argv[1]](*sys.argv[2:])
