"""Upload real test images to the test bed's Glance; print the download plan and a token as JSON.

The plan has the shape validate_images returns. `expected` maps each image id to the sha512 of
its raw disk, what a host's cache must hold after a conversion to raw.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import uuid

import openstack

MIB = 1024 * 1024
# name -> (disk_format, virtual size, random data)
IMAGES = {"qcow2": ("qcow2", 64 * MIB, 8 * MIB), "raw": ("raw", 32 * MIB, 8 * MIB),
          "resume": ("raw", 48 * MIB, 24 * MIB), "small": ("raw", 8 * MIB, 3 * MIB)}


def make_image(workdir, disk_format, virtual, data):
    raw = os.path.join(workdir, uuid.uuid4().hex + ".raw")
    with open(raw, "wb") as disk:
        disk.truncate(virtual)
        disk.seek(MIB)
        disk.write(os.urandom(data))
    with open(raw, "rb") as disk:
        raw_sha512 = hashlib.sha512(disk.read()).hexdigest()
    if disk_format == "raw":
        return raw, raw_sha512
    path = raw[:-4] + "." + disk_format
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", disk_format, raw, path], check=True)
    return path, raw_sha512


def main(config_path):
    with open(config_path) as handle:
        testbed = json.load(handle)["testbed"]
    config = openstack.config.OpenStackConfig(config_files=[testbed["clouds_yaml"]])
    admin = openstack.connection.Connection(config=config.get_one(cloud="precache-admin"))
    demo = openstack.connection.Connection(config=config.get_one(cloud="precache-demo"))
    endpoint = admin.image.get_endpoint().rstrip("/")
    endpoint = endpoint[:-3] if endpoint.endswith("/v2") else endpoint
    plan, expected = {}, {}
    with tempfile.TemporaryDirectory() as workdir:
        for key, (disk_format, virtual, data) in IMAGES.items():
            path, raw_sha512 = make_image(workdir, disk_format, virtual, data)
            image = admin.image.create_image(
                name="precache-test-%s-%s" % (key, uuid.uuid4().hex[:6]), filename=path,
                disk_format=disk_format, container_format="bare", visibility="public",
                wait=True)
            image = admin.image.get_image(image)
            plan[key] = {
                "id": image.id, "name": image.name, "size": image.size,
                "virtual_size": image.virtual_size or virtual, "disk_format": image.disk_format,
                "container_format": image.container_format, "checksum": image.checksum,
                "os_hash_algo": image.hash_algo, "os_hash_value": image.hash_value,
                "url": "%s/v2/images/%s/file" % (endpoint, image.id)}
            expected[image.id] = raw_sha512
    json.dump({"plan": plan, "expected_raw_sha512": expected, "image_endpoint": endpoint,
               "token": demo.auth_token}, sys.stdout, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
