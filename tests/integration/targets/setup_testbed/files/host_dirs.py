"""Each test bed host's own instances dir under a shared folder, and a nova.conf part pointing at
it, so that a target reads every host's cache from the controller."""
import json
import os


def make_host_dirs(inventory, folder, extra=lambda name: ""):
    """FOLDER/<host> (owned by the host's Nova user) and FOLDER/<host>.conf for every compute of
    the bed's INVENTORY; `extra(host)` is more nova.conf for that host. Returns the host names."""
    with open(inventory) as handle:
        hosts = json.load(handle)["all"]["children"]["testbed_computes"]["hosts"]
    for name, host in hosts.items():
        instances = os.path.join(folder, name)
        os.mkdir(instances)
        os.chown(instances, host["testbed_owner_uid"], host["testbed_owner_uid"])
        with open(os.path.join(folder, name + ".conf"), "w") as handle:
            handle.write("[DEFAULT]\ninstances_path = %s\n[image_cache]\nsubdirectory_name = _base\n%s"
                         % (instances, extra(name)))
    return list(hosts)
