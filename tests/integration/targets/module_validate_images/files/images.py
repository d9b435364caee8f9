"""Make the test images in the test bed's Glance, or delete them.

`images.py create` prints, as JSON, the ids and names of images in every state the test needs
(all tagged with a tag of this run, so that a query or a tag selects only these); `images.py
delete FILE` deletes the images listed in such a file. The clouds come from
OS_CLIENT_CONFIG_FILE, as for the module.
"""
import hashlib
import json
import os
import sys
import uuid

import openstack

KIB = 1024


def data(size):
    # Zeros first, so that no format's magic number can appear at the start by chance: Glance
    # inspects uploads and refuses raw data that looks like another format.
    return bytes(64 * KIB) + os.urandom(max(size - 64 * KIB, 0))


def create(admin, run, name, payload=None, deactivate=False, **fields):
    body = dict(name=name, disk_format="raw", container_format="bare", visibility="public",
                tags=["precache-test-%s" % run], precache_run=run)
    body.update(fields)
    image = admin.image.post("/images", json=body).json()
    if payload is not None:
        admin.image.put("/images/%s/file" % image["id"], data=payload,
                        headers={"Content-Type": "application/octet-stream"})
    if deactivate:
        admin.image.post("/images/%s/actions/deactivate" % image["id"])
    return image["id"]


def main_create():
    admin = openstack.connect(cloud="precache-admin")
    run = uuid.uuid4().hex[:8]
    created = {}

    def make(key, name, payload=None, **fields):
        created[key] = {"id": create(admin, run, name, payload, **fields), "name": name}
        if payload is not None:
            created[key]["sha512"] = hashlib.sha512(payload).hexdigest()

    critical = ["precache-test-%s" % run, "critical-%s" % run]
    make("alpha", "pv-alpha-%s" % run, data(384 * KIB), tags=critical, os_distro="ubuntu")
    make("beta", "pv-beta-%s" % run, data(256 * KIB), tags=critical)
    make("gamma", "pv-gamma-%s" % run, data(128 * KIB), os_distro="ubuntu", site_tier="gold")
    make("twin1", "pv-twin-%s" % run, data(96 * KIB))
    make("twin2", "pv-twin-%s" % run, data(96 * KIB))
    make("queued", "pv-queued-%s" % run)
    make("empty", "pv-empty-%s" % run, b"")
    make("deactivated", "pv-deactivated-%s" % run, data(96 * KIB), deactivate=True,
         tags=critical)
    make("ovf", "pv-docker-%s" % run, data(96 * KIB), container_format="docker")
    make("private", "pv-private-%s" % run, data(96 * KIB), visibility="private")
    json.dump({"run": run, "images": created, "project_ids": {
        "admin": admin.current_project_id,
        "demo": openstack.connect(cloud="precache-demo").current_project_id}}, sys.stdout, indent=2)


def main_delete(path):
    admin = openstack.connect(cloud="precache-admin")
    with open(path) as handle:
        images = json.load(handle)["images"]
    for image in images.values():
        admin.image.delete_image(image["id"], ignore_missing=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["create"]:
        main_create()
    elif len(sys.argv) == 3 and sys.argv[1] == "delete":
        main_delete(sys.argv[2])
    else:
        sys.exit("usage: images.py create | images.py delete FILE")
