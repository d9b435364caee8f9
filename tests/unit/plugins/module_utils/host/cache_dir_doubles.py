# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""An image's cache names, a second process holding Nova's lock, the settings of a cache dir.

Shared by test_cache_dir, test_nova_lock and test_cache_files, which import it by full path;
the conftest's `layout` and `cache_dir` fixtures are made with settings_for.
"""

import subprocess
import sys
import types

IMAGE_ID = "a26887c6-c47b-4654-abb5-dfadf7d3f803"
IMAGE_SHA1 = "8c14d42f39d0714ec59394e3aeb68634f04e9a48"  # printf %s IMAGE_ID | sha1sum

HOLD_LOCK = """
import fcntl, os, sys, time
handle = open(sys.argv[1], "a")
fcntl.lockf(handle, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
if len(sys.argv) > 3:
    os.unlink(sys.argv[1])  # as Nova's cache manager removes a lock file after its base file
"""


def settings_for(tmp_path, subdir="_base"):
    instances = tmp_path / "instances"
    return types.SimpleNamespace(instances_path=str(instances),
                                 cache_dir=str(instances / subdir))


def hold_lock(path, seconds, unlink=False):
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)]
                            + (["unlink"] if unlink else []), stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc
