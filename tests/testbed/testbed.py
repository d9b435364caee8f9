#!/usr/bin/env python
"""The test bed's command line: up, down, status, and the image fixture tool.

Run with the `openstack` venv's interpreter (make testbed-up does). Each service is a module of
`bed` with up(state), down() and status(); up() adds what it serves to `state`, which is written
to <work dir>/testbed.json, clouds.yaml and the integration tests' config.
"""
import argparse
import importlib
import json
import sys
import time

from bed import layout
from bed.procs import TestbedError

# Start order; down runs in reverse.
SERVICES = ["rabbitmq", "keystone", "barbican", "glance", "placement", "neutron", "nova", "sshhosts"]


def _service(name):
    return importlib.import_module("bed." + name)


def up(args):
    started = time.monotonic()
    layout.WORK.mkdir(parents=True, exist_ok=True)
    state = {"work_dir": str(layout.WORK), "computes": args.computes}
    for name in SERVICES:
        t0 = time.monotonic()
        _service(name).up(state)
        print("%-10s up (%.1fs)" % (name, time.monotonic() - t0), flush=True)
    from bed import outputs
    outputs.write(state)
    print("test bed up in %.0fs; state in %s" % (time.monotonic() - started, layout.WORK))
    status(args)


def down(_args):
    for name in reversed(SERVICES):
        _service(name).down()
    print("test bed down")


def status(_args):
    rows = []
    for name in SERVICES:
        rows.extend(_service(name).status())
    width = max(len(r[0]) for r in rows)
    failed = False
    for what, pid, where, ok in rows:
        print("%-*s  %-8s %-7s %s" % (width, what, pid or "-", "ok" if ok else "DOWN", where))
        failed |= not ok
    return 1 if failed else 0


def image(args):
    from bed import images
    record = images.make_and_upload(
        cloud=args.cloud, name=args.name, disk_format=args.format, size=args.size,
        data=args.data, visibility=args.visibility, tags=args.tag)
    print(json.dumps(record, indent=2))


def demo_setup(args):
    """The demo's image and aggregate (make demo): made when missing, reused when there."""
    from bed import demo
    record = demo.setup(args.image, args.aggregate, cloud=args.cloud)
    image, aggregate = record["image"], record["aggregate"]
    print("image %s: %s, %s, %d bytes: %s" % (
        image["name"], image["id"], image["disk_format"], image["size"],
        "; ".join(record["image_done"])))
    print("aggregate %s (id %s): %s: %s" % (
        aggregate["name"], aggregate["id"], ", ".join(aggregate["hosts"]) or "no hosts",
        "; ".join(record["aggregate_done"])))
    if args.output:
        with open(args.output, "w") as handle:
            json.dump(record, handle, indent=2)
            handle.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="install-free start of every service (idempotent)")
    p_up.add_argument("--computes", type=int, default=layout.COMPUTE_COUNT)
    p_up.set_defaults(func=up)
    sub.add_parser("down", help="stop what up started, unmount what it mounted").set_defaults(
        func=down)
    sub.add_parser("status", help="what runs where").set_defaults(func=status)
    p_img = sub.add_parser("image", help="make a real image with qemu-img and upload it")
    p_img.add_argument("--name", required=True)
    p_img.add_argument("--format", default="qcow2", choices=["qcow2", "raw"])
    p_img.add_argument("--size", default="64M", help="virtual size, e.g. 64M or 1G")
    p_img.add_argument("--data", default="8M", help="random data written into the image")
    p_img.add_argument("--cloud", default="precache-admin")
    p_img.add_argument("--visibility", default="public")
    p_img.add_argument("--tag", action="append", default=[])
    p_img.set_defaults(func=image)
    p_demo = sub.add_parser("demo-setup", help="the image and aggregate of make demo (idempotent)")
    p_demo.add_argument("--image", default="demo-image", help="image name")
    p_demo.add_argument("--aggregate", default="demo-application", help="aggregate name")
    p_demo.add_argument("--cloud", default="precache-admin")
    p_demo.add_argument("--output", help="write the image and aggregate records here as JSON")
    p_demo.set_defaults(func=demo_setup)
    args = parser.parse_args()
    try:
        return args.func(args) or 0
    except TestbedError as err:
        print("error: %s" % err, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
