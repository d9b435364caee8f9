"""Each test bed host's instances dir under DIR, and a nova.conf part pointing at it.

compute3 leaves signature verification off; the others turn it on.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from host_dirs import make_host_dirs  # noqa: E402 (after the path to it)

make_host_dirs(*sys.argv[1:], extra=lambda name: "" if name == "compute3" else
               "[glance]\nverify_glance_signatures = true\n")
