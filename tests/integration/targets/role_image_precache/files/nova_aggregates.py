"""The Nova aggregates of the role_image_precache target: create them, or delete them again.

  setup CONFIG      delete what a killed run left, then create the aggregates below
  cleanup CONFIG    delete them (whatever their hosts)

  precache-role-test   compute1, compute2, compute3   the rollout; "-" is sanitized to "_"
  precache-role-x1     compute1                       for -e '{"aggregate": [a list]}'
  precache-role-x2     compute2

They carry metadata naming this target, so that nothing else is ever deleted and a run killed
before its cleanup is cleaned by the next one.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from testbed_cloud import connect, create_aggregate, delete_marked_aggregates  # noqa: E402

MARK = "role_image_precache"
AGGREGATES = {
    "precache-role-test": ["compute1", "compute2", "compute3"],
    "precache-role-x1": ["compute1"],
    "precache-role-x2": ["compute2"],
}


def setup(config_path):
    conn = connect(config_path)
    delete_marked_aggregates(conn, MARK)
    clash = {a.name for a in conn.compute.aggregates()} & set(AGGREGATES)
    if clash:
        sys.exit("aggregates %s exist already and are not this test's" % ", ".join(sorted(clash)))
    for name, hosts in AGGREGATES.items():
        create_aggregate(conn, name, hosts, MARK)


def cleanup(config_path):
    conn = connect(config_path)
    delete_marked_aggregates(conn, MARK)
    left = {a.name for a in conn.compute.aggregates()} & set(AGGREGATES)
    assert not left, "aggregates left behind: %s" % sorted(left)


if __name__ == "__main__":
    {"setup": setup, "cleanup": cleanup}[sys.argv[1]](*sys.argv[2:])
