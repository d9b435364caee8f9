"""The test bed as role_image_precache_rbd needs it: its aggregate and its rbd hosts.

  setup CONFIG                  delete what a killed run left, then create the aggregate
                                precache-rbd-test (compute1, compute2, compute3)
  rbd CONFIG HOST STORE         make HOST an rbd host whose Glance store is STORE, with a
                                nova.conf drop-in (/etc/nova/nova.conf.d/, which Nova reads)
  cleanup CONFIG                delete the aggregate and the drop-ins
  stores CONFIG IMAGE_ID ...    print each image's Glance stores, sorted, and how many import
                                tasks Glance ran for it: `site-a,site-b 1`, one line each

The drop-ins are written through the hosts' folders on the controller (bind-mounted at /etc/nova
on each SSH host), so that the cleanup needs no SSH connection.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from testbed_cloud import connect, create_aggregate, delete_marked_aggregates  # noqa: E402

MARK = "role_image_precache_rbd"
AGGREGATE = "precache-rbd-test"
HOSTS = ["compute1", "compute2", "compute3"]
DROP_IN = "99-precache-rbd-test.conf"


def _conf_d(config_path, host):
    import json
    with open(config_path) as handle:
        hosts = {h["name"]: h for h in json.load(handle)["testbed"]["ssh_hosts"]}
    return os.path.join(hosts[host]["hostdir"], "etc-nova", "nova.conf.d")


def setup(config_path):
    cleanup(config_path)
    conn = connect(config_path)
    if any(a.name == AGGREGATE for a in conn.compute.aggregates()):
        sys.exit("aggregate %s exists already and is not this test's" % AGGREGATE)
    create_aggregate(conn, AGGREGATE, HOSTS, MARK)


def rbd(config_path, host, store):
    conf_d = _conf_d(config_path, host)
    os.makedirs(conf_d, exist_ok=True)
    with open(os.path.join(conf_d, DROP_IN), "w") as handle:
        handle.write("# role_image_precache_rbd: an rbd host for the test's duration\n"
                     "[libvirt]\nimages_type = rbd\nimages_rbd_glance_store_name = %s\n" % store)


def cleanup(config_path):
    delete_marked_aggregates(connect(config_path), MARK)
    for host in HOSTS:
        conf_d = _conf_d(config_path, host)
        path = os.path.join(conf_d, DROP_IN)
        if os.path.exists(path):
            os.remove(path)
        if os.path.isdir(conf_d) and not os.listdir(conf_d):
            os.rmdir(conf_d)


def stores(config_path, *image_ids):
    conn = connect(config_path)
    for image_id in image_ids:
        value = conn.image.get_image(image_id).properties.get("stores") or ""
        tasks = conn.image.get("/images/%s/tasks" % image_id).json()["tasks"]
        print(",".join(sorted(store for store in value.split(",") if store)), len(tasks))


if __name__ == "__main__":
    {"setup": setup, "rbd": rbd, "cleanup": cleanup, "stores": stores}[sys.argv[1]](*sys.argv[2:])
