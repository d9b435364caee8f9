"""Fake instances on the test bed's Nova for the popularity counts, and their cleanup.

  setup CONFIG STATE    images, a flavor, two aggregates and the instances below, booted on
                        known hosts with no network; then image `gone` is deleted from Glance
                        and one instance of `alpha` stopped. STATE gets their ids and names.
  cleanup CONFIG        delete every server, image, flavor and aggregate this target made,
                        found by their marks, so that a run killed before its cleanup is cleaned
                        by the next one.

Instances (image: hosts), the aggregates being popular-a = compute1, popular-b = compute2+3:
  alpha  compute1 x3, compute2 x1 (the one on compute2 stopped: SHUTOFF)
  beta   compute1, compute3
  gamma  compute3 (carries the run's tag)
  gone   compute2 x2, then the image is deleted from Glance
"""
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from testbed_cloud import (  # noqa: E402
    boot, connect, create_aggregate, delete_marked_aggregates, wait_for)

MARK = "module_validate_images_popular"
MARK_KEY = "precache_test"
FLAVOR_PREFIX = "precache-test-popular-"
KIB = 1024
AGGREGATES = {"popular-a": ["compute1"], "popular-b": ["compute2", "compute3"]}
INSTANCES = [("alpha", "compute1"), ("alpha", "compute1"), ("alpha", "compute1"),
             ("alpha", "compute2"), ("beta", "compute1"), ("beta", "compute3"),
             ("gamma", "compute3"), ("gone", "compute2"), ("gone", "compute2")]


def upload(conn, name, tags):
    """A small public raw image, marked as this target's."""
    body = dict(name=name, disk_format="raw", container_format="bare", visibility="public",
                tags=tags)
    body[MARK_KEY] = MARK
    image = conn.image.post("/images", json=body).json()
    # Zeros first, so that Glance's inspection of the upload sees no other format's magic.
    conn.image.put("/images/%s/file" % image["id"], data=bytes(64 * KIB) + os.urandom(64 * KIB),
                   headers={"Content-Type": "application/octet-stream"})
    return image["id"]


def setup(config, state_path):
    conn = connect(config)
    cleanup(config)
    run = uuid.uuid4().hex[:8]
    tag = "popular-critical-%s" % run
    images = {}
    for key in ("alpha", "beta", "gamma", "gone"):
        name = "popular-%s-%s" % (key, run)
        images[key] = {"id": upload(conn, name, [tag] if key == "gamma" else []), "name": name}
    flavor = conn.compute.create_flavor(name=FLAVOR_PREFIX + run, ram=64, vcpus=1, disk=1)
    for name, hosts in AGGREGATES.items():
        create_aggregate(conn, name, hosts, MARK)
    # `host` (2.74) places each instance; `networks: none` (2.37) needs no Neutron.
    servers = boot(conn, [dict(name="popular-%s-%d-%s" % (key, number, run),
                               image_id=images[key]["id"], flavor_id=flavor.id,
                               networks="none", host=host, metadata={MARK_KEY: MARK})
                          for number, (key, host) in enumerate(INSTANCES)])
    conn.image.delete_image(images["gone"]["id"])
    stopped = servers[3]
    conn.compute.stop_server(stopped)
    if wait_for(conn, [stopped], "SHUTOFF"):
        sys.exit("server %s went to ERROR when stopped" % stopped.id)
    with open(state_path, "w") as handle:
        json.dump({"run": run, "tag": tag, "popular_images": images,
                   "aggregates": list(AGGREGATES)}, handle, indent=2)


def cleanup(config):
    conn = connect(config)
    servers = [server for server in conn.compute.servers(all_projects=True)
               if (server.metadata or {}).get(MARK_KEY) == MARK]
    for server in servers:
        conn.compute.delete_server(server)
    for server in servers:
        conn.compute.wait_for_delete(server, interval=0.5, wait=120)
    for image in conn.image.images():
        if (image.properties or {}).get(MARK_KEY) == MARK:
            conn.image.delete_image(image)
    for flavor in conn.compute.flavors():
        if flavor.name.startswith(FLAVOR_PREFIX):
            conn.compute.delete_flavor(flavor)
    delete_marked_aggregates(conn, MARK)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "setup":
        setup(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "cleanup":
        cleanup(sys.argv[2])
    else:
        sys.exit(__doc__)
