"""The cloud side of `make demo`: one small image in Glance, one aggregate of every compute host.

Idempotent: what is there already is reused, so the demo runs again after a run, and after
`down` and `up` (the test bed keeps its databases and Glance's files in its work dir).
"""
import os

from bed import images


def _image(conn, name, cloud):
    """The active image called `name`, uploaded when there is none; (record, what was done)."""
    found = sorted(conn.image.images(name=name), key=lambda i: (i.created_at or "", i.id))
    done = []
    for stale in [i for i in found if i.status != "active"]:
        # An upload that broke off (the demo interrupted): it would make the name ambiguous.
        conn.image.delete_image(stale, ignore_missing=True)
        done.append("deleted %s (%s)" % (stale.id, stale.status))
    active = [i for i in found if i.status == "active"]
    for extra in active[1:]:
        # Two images of one name: validate_images would refuse the name as ambiguous.
        conn.image.delete_image(extra, ignore_missing=True)
        done.append("deleted the duplicate %s" % extra.id)
    if active:
        image = active[0]
        done.append("already in Glance")
        return {"id": image.id, "name": image.name, "disk_format": image.disk_format,
                "size": image.size, "virtual_size": image.virtual_size}, done
    record = images.make_and_upload(cloud=cloud, name=name, disk_format="qcow2", size="64M",
                                    data="16M")
    os.unlink(record["file"])  # Glance has it; the demo compares nothing with it
    done.append("made with qemu-img and uploaded")
    return {key: record[key] for key in ("id", "name", "disk_format", "size", "virtual_size")}, done


def _aggregate(conn, name):
    """The aggregate `name` holding every nova-compute host; (record, what was done)."""
    hosts = sorted({s.host for s in conn.compute.services(binary="nova-compute")})
    aggregate = conn.compute.find_aggregate(name, ignore_missing=True)
    done = []
    if aggregate is None:
        aggregate = conn.compute.create_aggregate(name=name)
        done.append("created")
    for host in hosts:
        if host not in (aggregate.hosts or []):
            aggregate = conn.compute.add_host_to_aggregate(aggregate, host)
            done.append("added %s" % host)
    if not done:
        done.append("already there")
    return {"id": aggregate.id, "uuid": aggregate.uuid, "name": aggregate.name,
            "hosts": sorted(aggregate.hosts or [])}, done


def setup(image_name, aggregate_name, cloud="precache-admin"):
    """Make sure the demo's image and aggregate exist; return them and what was done."""
    conn = images.connect(cloud)
    image, image_done = _image(conn, image_name, cloud)
    aggregate, aggregate_done = _aggregate(conn, aggregate_name)
    return {"image": image, "image_done": image_done,
            "aggregate": aggregate, "aggregate_done": aggregate_done}
