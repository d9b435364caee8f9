"""Each test bed host's instances dir under DIR and a nova.conf part pointing at it; prints an
inventory that puts the three hosts in one site (host variable precache_test_site)."""
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
    with open(os.path.join(folder, name + ".conf"), "w") as handle:
        handle.write("[DEFAULT]\ninstances_path = %s\n[image_cache]\nsubdirectory_name = _base\n"
                     % instances)
print(json.dumps({"all": {"hosts": {name: {"precache_test_site": "edge-1"} for name in hosts}}}))
