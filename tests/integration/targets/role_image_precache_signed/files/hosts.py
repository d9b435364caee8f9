"""Each test bed host's instances dir under DIR, and a nova.conf part pointing at it.

compute3 leaves signature verification off; the others turn it on.
"""
import json
import os
import sys

inventory, folder = sys.argv[1:]
with open(inventory) as handle:
    hosts = json.load(handle)["all"]["children"]["testbed_computes"]["hosts"]
for name, host in hosts.items():
    instances = os.path.join(folder, name)
    os.mkdir(instances)
    os.chown(instances, host["testbed_owner_uid"], host["testbed_owner_uid"])
    verify = "" if name == "compute3" else "[glance]\nverify_glance_signatures = true\n"
    with open(os.path.join(folder, name + ".conf"), "w") as handle:
        handle.write("[DEFAULT]\ninstances_path = %s\n[image_cache]\nsubdirectory_name = _base\n%s"
                     % (instances, verify))
