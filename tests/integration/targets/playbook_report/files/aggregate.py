"""The Nova aggregate of the playbook_report target: create it, or delete it again.

  setup CONFIG      delete what a killed run left, then create precache-report-test
                    (compute1, compute2, compute3)
  cleanup CONFIG    delete it

It carries metadata naming this target, so that nothing else is ever deleted.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from testbed_cloud import connect, create_aggregate, delete_marked_aggregates  # noqa: E402

MARK = "playbook_report"
NAME = "precache-report-test"


def setup(config_path):
    conn = connect(config_path)
    delete_marked_aggregates(conn, MARK)
    if any(a.name == NAME for a in conn.compute.aggregates()):
        sys.exit("aggregate %s exists already and is not this test's" % NAME)
    create_aggregate(conn, NAME, ["compute1", "compute2", "compute3"], MARK)


def cleanup(config_path):
    delete_marked_aggregates(connect(config_path), MARK)


if __name__ == "__main__":
    {"setup": setup, "cleanup": cleanup}[sys.argv[1]](*sys.argv[2:])
