"""Each test bed host's instances dir under DIR and a nova.conf part pointing at it; prints an
inventory that puts the three hosts in one site (host variable precache_test_site)."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from host_dirs import make_host_dirs  # noqa: E402 (after the path to it)

hosts = make_host_dirs(*sys.argv[1:])
print(json.dumps({"all": {"hosts": {name: {"precache_test_site": "edge-1"} for name in hosts}}}))
