"""Real test images in the test bed's Glance: upload them and print a plan, or delete them.

`testbed_images.py CONFIG publish NAME:FORMAT:VIRTUAL_MIB:DATA_MIB ...` uploads one image per
spec (random data inside a larger virtual disk, converted with qemu-img; `NAME:FORMAT:file=PATH`
uploads that file as it is, a hostile one say) and prints JSON: the
plan of each by NAME (shaped as validate_images returns it), `expected_raw_sha512` (id -> the
sha512 of the raw disk, what a host caches after a conversion to raw), the Glance endpoint and
a token of the demo user. `testbed_images.py CONFIG delete FILE` deletes the images of such an
output. CONFIG is the integration_config.yml that ansible-test hands to a target.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import uuid

from testbed_cloud import connect

MIB = 1024 * 1024


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


def publish(config_path, specs):
    admin = connect(config_path, "precache-admin")
    endpoint = admin.image.get_endpoint().rstrip("/")
    endpoint = endpoint[:-3] if endpoint.endswith("/v2") else endpoint
    plan, expected = {}, {}
    with tempfile.TemporaryDirectory() as workdir:
        for spec in specs:
            key, disk_format, virtual, *data = spec.split(":")
            if virtual.startswith("file="):
                path, raw_sha512, virtual = virtual[len("file="):], None, "0"
            else:
                path, raw_sha512 = make_image(workdir, disk_format, int(virtual) * MIB,
                                              int(data[0]) * MIB)
            image = admin.image.create_image(
                name="precache-test-%s-%s" % (key, uuid.uuid4().hex[:6]), filename=path,
                disk_format=disk_format, container_format="bare", visibility="public",
                wait=True)
            image = admin.image.get_image(image)
            plan[key] = {
                "id": image.id, "name": image.name, "size": image.size,
                "virtual_size": image.virtual_size or int(virtual) * MIB or None,
                "disk_format": image.disk_format, "container_format": image.container_format,
                "checksum": image.checksum, "os_hash_algo": image.hash_algo,
                "os_hash_value": image.hash_value,
                "url": "%s/v2/images/%s/file" % (endpoint, image.id)}
            expected[image.id] = raw_sha512
    json.dump({"plan": plan, "expected_raw_sha512": expected, "image_endpoint": endpoint,
               "token": connect(config_path, "precache-demo").auth_token}, sys.stdout, indent=2)


def delete(config_path, published_path):
    admin = connect(config_path, "precache-admin")
    with open(published_path) as handle:
        plan = json.load(handle)["plan"]
    for image in plan.values():
        admin.image.delete_image(image["id"], ignore_missing=True)


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[2] == "publish":
        publish(sys.argv[1], sys.argv[3:])
    elif len(sys.argv) == 4 and sys.argv[2] == "delete":
        delete(sys.argv[1], sys.argv[3])
    else:
        sys.exit("usage: testbed_images.py CONFIG publish NAME:FORMAT:VIRTUAL_MIB:DATA_MIB ... "
                 "| testbed_images.py CONFIG delete FILE")
