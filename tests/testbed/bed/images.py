"""The image fixture tool: real images made with qemu-img, uploaded to the test bed's Glance.

Images hold random data (so hashes are meaningful and nothing compresses away) inside a
larger virtual size, like a real OS image. Made files stay under <work dir>/images so tests
can compare what a host cached with what was uploaded.
"""
import os
import subprocess
import uuid

import openstack

from bed import layout

MIB = 1024 * 1024
UNITS = {"K": 1024, "M": MIB, "G": 1024 * MIB}


def parse_size(text):
    """'64M' -> 67108864; plain digits are bytes."""
    text = str(text).strip().upper().rstrip("B")
    if text and text[-1] in UNITS:
        return int(float(text[:-1]) * UNITS[text[-1]])
    return int(text)


def make_image(path, disk_format="qcow2", size="64M", data="8M"):
    """Write a real image: `data` random bytes 4 MiB into a `size` raw disk, then convert."""
    virtual, payload = parse_size(size), parse_size(data)
    if payload + 4 * MIB > virtual:
        raise ValueError("data (%s) must fit in size (%s) after the first 4 MiB" % (data, size))
    raw = path if disk_format == "raw" else path + ".raw"
    with open(raw, "wb") as disk:
        disk.truncate(virtual)
        disk.seek(4 * MIB)
        left = payload
        while left:
            chunk = min(left, 4 * MIB)
            disk.write(os.urandom(chunk))
            left -= chunk
    if disk_format != "raw":
        subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", disk_format, raw, path],
                       check=True)
        os.unlink(raw)
    return path


def connect(cloud="precache-admin"):
    config = openstack.config.OpenStackConfig(config_files=[str(layout.WORK / "clouds.yaml")])
    return openstack.connection.Connection(config=config.get_one(cloud=cloud))


def make_and_upload(cloud="precache-admin", name=None, disk_format="qcow2", size="64M",
                    data="8M", visibility="public", tags=(), upload=True, deactivate=False):
    """Make an image and register it in Glance; upload=False leaves it `queued` with no data."""
    conn = connect(cloud)
    folder = layout.service_dir("images")
    path = str(folder / ("%s.%s" % (uuid.uuid4().hex, disk_format)))
    if upload:
        make_image(path, disk_format, size, data)
        image = conn.image.create_image(
            name=name, filename=path, disk_format=disk_format, container_format="bare",
            visibility=visibility, tags=list(tags), allow_duplicates=True, wait=True)
    else:
        path = None
        image = conn.image.create_image(
            name=name, disk_format=disk_format, container_format="bare",
            visibility=visibility, tags=list(tags), allow_duplicates=True)
    if deactivate:
        conn.image.deactivate_image(image)
    image = conn.image.get_image(image)
    return {"id": image.id, "name": image.name, "status": image.status,
            "disk_format": image.disk_format, "container_format": image.container_format,
            "size": image.size, "virtual_size": image.virtual_size,
            "checksum": image.checksum, "os_hash_algo": image.hash_algo,
            "os_hash_value": image.hash_value, "visibility": image.visibility,
            "tags": image.tags, "file": path}
