"""Delete the images publish.py uploaded (ids read from its JSON output)."""
import json
import sys

import openstack


def main(config_path, plan_path):
    with open(config_path) as handle:
        testbed = json.load(handle)["testbed"]
    with open(plan_path) as handle:
        plan = json.load(handle)["plan"]
    config = openstack.config.OpenStackConfig(config_files=[testbed["clouds_yaml"]])
    admin = openstack.connection.Connection(config=config.get_one(cloud="precache-admin"))
    for image in plan.values():
        admin.image.delete_image(image["id"], ignore_missing=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
