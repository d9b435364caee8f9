"""The test bed's Placement, as an operator's client sees it: provider traits read and set.

    traits.py show HOST...          print {host: [traits of its provider]} as JSON
    traits.py add HOST TRAIT        give HOST's provider a custom trait (created first)
    traits.py remove TRAIT...       take these traits off every provider, delete them
Providers are found by name (the test bed's compute nodes are named after their hosts).
"""
import json
import sys

import openstack

MICROVERSION = "1.6"


def placement():
    # The test bed's clouds.yaml (OS_CLIENT_CONFIG_FILE), its admin.
    return openstack.connect(cloud="precache-admin").placement


def provider(client, name):
    found = client.get("/resource_providers?name=%s" % name,
                       microversion=MICROVERSION).json()["resource_providers"]
    if len(found) != 1:
        raise SystemExit("no single provider named %s: %s" % (name, found))
    return found[0]["uuid"]


def traits(client, uuid):
    body = client.get("/resource_providers/%s/traits" % uuid, microversion=MICROVERSION).json()
    return body["traits"], body["resource_provider_generation"]


def put_traits(client, uuid, wanted, generation):
    response = client.put("/resource_providers/%s/traits" % uuid, microversion=MICROVERSION,
                          json={"traits": sorted(wanted), "resource_provider_generation": generation})
    if response.status_code != 200:
        raise SystemExit("PUT traits of %s: %s %s" % (uuid, response.status_code, response.text))


def main(command, *args):
    client = placement()
    if command == "show":
        print(json.dumps({host: sorted(traits(client, provider(client, host))[0])
                          for host in args}))
    elif command == "add":
        host, trait = args
        client.put("/traits/%s" % trait, microversion=MICROVERSION)
        uuid = provider(client, host)
        current, generation = traits(client, uuid)
        put_traits(client, uuid, set(current) | {trait}, generation)
    elif command == "remove":
        for item in client.get("/resource_providers", microversion=MICROVERSION).json()[
                "resource_providers"]:
            current, generation = traits(client, item["uuid"])
            if set(current) & set(args):
                put_traits(client, item["uuid"], set(current) - set(args), generation)
        for trait in args:
            client.delete("/traits/%s" % trait, microversion=MICROVERSION)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:])
