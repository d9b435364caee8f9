"""Upload one small raw image to the test bed's Glance; print it (as validate_images plans it)
and a token as JSON. With --delete PLAN, delete the image a previous run uploaded instead."""
import json
import os
import sys
import tempfile
import uuid

import openstack

MIB = 1024 * 1024


def connect(config_path):
    with open(config_path) as handle:
        testbed = json.load(handle)["testbed"]
    config = openstack.config.OpenStackConfig(config_files=[testbed["clouds_yaml"]])
    return (openstack.connection.Connection(config=config.get_one(cloud="precache-admin")),
            openstack.connection.Connection(config=config.get_one(cloud="precache-demo")))


def main(config_path):
    admin, demo = connect(config_path)
    endpoint = admin.image.get_endpoint().rstrip("/")
    endpoint = endpoint[:-3] if endpoint.endswith("/v2") else endpoint
    with tempfile.TemporaryDirectory() as workdir:
        path = os.path.join(workdir, "small.raw")
        with open(path, "wb") as disk:
            disk.truncate(4 * MIB)
            disk.seek(MIB)
            disk.write(os.urandom(MIB))
        image = admin.image.create_image(
            name="precache-progress-%s" % uuid.uuid4().hex[:6], filename=path,
            disk_format="raw", container_format="bare", visibility="public", wait=True)
    image = admin.image.get_image(image)
    plan = {"id": image.id, "name": image.name, "size": image.size,
            "virtual_size": image.virtual_size or 4 * MIB, "disk_format": image.disk_format,
            "container_format": image.container_format, "checksum": image.checksum,
            "os_hash_algo": image.hash_algo, "os_hash_value": image.hash_value,
            "url": "%s/v2/images/%s/file" % (endpoint, image.id)}
    json.dump({"image": plan, "token": demo.auth_token}, sys.stdout, indent=2)


def delete(config_path, plan_path):
    admin, _demo = connect(config_path)
    with open(plan_path) as handle:
        admin.image.delete_image(json.load(handle)["image"]["id"], ignore_missing=True)


if __name__ == "__main__":
    if sys.argv[2:3] == ["--delete"]:
        delete(sys.argv[1], sys.argv[3])
    else:
        main(sys.argv[1])
