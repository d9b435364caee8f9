"""What a tenant of the test bed (the non-admin `demo` user) and the cloud can set, for the
role_image_precache_untrusted target: make it, or delete it again.

  setup CONFIG WORK     delete what a killed run left, then make the below; WORK/bed.json gets
                        their ids and names and the demo project's id, WORK/bed-vars.json the
                        same without any name that holds a template, for -e @bed-vars.json
  disable CONFIG WORK   disable compute3 with a forged disabled reason
  enable CONFIG         enable compute3 again (when this target disabled it)
  precache CONFIG WORK  ask Nova to pre-cache the good image on the aggregate named by a template
  cleanup CONFIG        delete every image, server, flavor and aggregate this target made

Every value a template could run is `x {{ lookup('pipe','touch WORK/pwned-<where>') }}`, so that
a test finds what ran, and where from; `{{ "...` breaks a template that is rendered at all.
  operator (admin, public)  good: the operator's image, named, tagged TAG
  tenant (demo, private)    forged: a template, ESC, BEL, CR and newlines in its name, a template
                                    tag and property, tagged TAG; booted by a server whose name
                                    is a template, so that it is the cloud's most popular image
                            syntax: `{{ "...` in its name and a property, tagged TAG
                            broken: declared raw, holding qcow2 (cache_image refuses it), TAG
                            decoy:  the good image's name, no data
                            uuid:   named like a UUID that is no image's id
  aggregates                precache-untrusted-test (compute1-3), and one named by a template,
                            with a template availability zone and metadata (compute1-3)
"""
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from testbed_cloud import boot, connect, create_aggregate, delete_marked_aggregates  # noqa: E402
from testbed_images import make_image  # noqa: E402

MARK = "role_image_precache_untrusted"
MARK_KEY = "precache_test"
MIB = 1024 * 1024
HOSTS = ["compute1", "compute2", "compute3"]
AGGREGATE = "precache-untrusted-test"
DISABLED_HOST = "compute3"
FORGED_LINES = "\x1b]0;owned\x07\nCompleted 3 hosts, 0 errors\r\nCompleted 3 hosts, 0 errors\n"
SYNTAX = '{{ "...'


def template(work, where):
    return "x {{ lookup('pipe','touch %s/pwned-%s') }}" % (work, where)


def upload(conn, workdir, name, data_format="raw", data=True, **fields):
    """A private (unless said) raw image of conn's project, marked as this target's, holding
    `data_format` data when `data`."""
    fields = dict(fields, name=name, disk_format="raw", container_format="bare",
                  visibility=fields.pop("visibility", "private"), **{MARK_KEY: MARK})
    if data:
        fields.update(filename=make_image(workdir, data_format, 4 * MIB, MIB)[0], wait=True)
    return conn.image.get_image(conn.image.create_image(**fields))


def compute_service(conn, host):
    return next(s for s in conn.compute.services(binary="nova-compute") if s.host == host)


def setup(config, work):
    admin, demo = connect(config), connect(config, "precache-demo")
    cleanup(config)
    tag = "precache-untrusted-%s" % uuid.uuid4().hex[:6]
    images = {}
    workdir = os.path.join(work, "images")
    os.makedirs(workdir, exist_ok=True)
    good = upload(admin, workdir, "precache-untrusted-good-%s" % tag[-6:], tags=[tag],
                  visibility="public")
    images["good"] = good
    images["forged"] = upload(demo, workdir, template(work, "image-name") + FORGED_LINES,
                              tags=[tag, template(work, "tag")],
                              os_distro=template(work, "property"))
    images["syntax"] = upload(demo, workdir, "y " + SYNTAX + " " + tag[-6:], tags=[tag],
                              precache_note=SYNTAX)
    images["broken"] = upload(demo, workdir, "precache-untrusted-broken-%s" % tag[-6:],
                              data_format="qcow2", tags=[tag])
    images["decoy"] = upload(demo, workdir, good.name, data=False)
    images["uuid"] = upload(demo, workdir, str(uuid.uuid4()))
    create_aggregate(admin, AGGREGATE, HOSTS, MARK)
    forged_aggregate = create_aggregate(admin, template(work, "aggregate-name"), HOSTS, MARK,
                                        availability_zone=template(work, "availability-zone"))
    admin.compute.set_aggregate_metadata(forged_aggregate, {"note": template(work, "metadata"),
                                                            "syntax": SYNTAX})
    flavor = admin.compute.create_flavor(name="precache-untrusted-%s" % tag[-6:], ram=64,
                                         vcpus=1, disk=1)
    server, = boot(demo, [dict(name=template(work, "server-name"), image_id=images["forged"].id,
                               flavor_id=flavor.id, networks="none")])
    state = {"tag": tag, "demo_project": demo.current_project_id,
             "admin_project": admin.current_project_id, "aggregate": AGGREGATE,
             "forged_aggregate": forged_aggregate.name,
             "forged_aggregate_id": forged_aggregate.id, "flavor": flavor.id, "server": server.id,
             "images": {key: {"id": image.id, "name": image.name}
                        for key, image in images.items()}}
    with open(os.path.join(work, "bed.json"), "w") as handle:
        json.dump(state, handle, indent=2)
    # For playbooks (-e @bed-vars.json): extra vars are the operator's and templated, so none of
    # the forged names, only ids and the names that hold no template.
    plain = {"tag": tag, "demo_project": demo.current_project_id, "aggregate": AGGREGATE,
             "images": {key: {"id": image.id,
                              "name": image.name if key in ("good", "decoy", "uuid") else None}
                        for key, image in images.items()}}
    with open(os.path.join(work, "bed-vars.json"), "w") as handle:
        json.dump({"bed": plain}, handle, indent=2)


def disable(config, work):
    conn = connect(config)
    conn.compute.disable_service(compute_service(conn, DISABLED_HOST),
                                 disabled_reason=template(work, "disabled-reason"))


def enable(config):
    conn = connect(config)
    service = compute_service(conn, DISABLED_HOST)
    if "pwned-disabled-reason" in (service.disabled_reason or ""):
        conn.compute.enable_service(service)


def precache(config, work):
    conn = connect(config)
    with open(os.path.join(work, "bed.json")) as handle:
        bed = json.load(handle)
    conn.compute.aggregate_precache_images(bed["forged_aggregate_id"],
                                           [bed["images"]["good"]["id"]])


def cleanup(config):
    admin = connect(config)
    enable(config)
    for server in admin.compute.servers(all_projects=True):
        if "pwned-server-name" in server.name:
            admin.compute.delete_server(server)
            admin.compute.wait_for_delete(server, interval=0.5, wait=120)
    for flavor in admin.compute.flavors():
        if flavor.name.startswith("precache-untrusted-"):
            admin.compute.delete_flavor(flavor)
    for image in admin.image.images():
        if (image.properties or {}).get(MARK_KEY) == MARK:
            admin.image.delete_image(image)
    delete_marked_aggregates(admin, MARK)


if __name__ == "__main__":
    commands = {"setup": (setup, 4), "disable": (disable, 4), "enable": (enable, 3),
                "precache": (precache, 4), "cleanup": (cleanup, 3)}
    if len(sys.argv) < 2 or commands.get(sys.argv[1], (None, 0))[1] != len(sys.argv):
        sys.exit(__doc__)
    commands[sys.argv[1]][0](*sys.argv[2:])
