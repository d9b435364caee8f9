"""Check the test bed's cloud with openstacksdk and plain HTTP, as the collection will use it."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import uuid

import openstack


def connect(clouds_yaml, cloud):
    config = openstack.config.OpenStackConfig(config_files=[clouds_yaml])
    return openstack.connection.Connection(config=config.get_one(cloud=cloud))


def keystone_token(auth):
    """A token the way a compute host without an SDK gets one."""
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": auth["username"], "password": auth["password"],
        "domain": {"name": auth["user_domain_name"]}}}},
        "scope": {"project": {"name": auth["project_name"],
                              "domain": {"name": auth["project_domain_name"]}}}}}
    request = urllib.request.Request(
        auth["auth_url"].rstrip("/") + "/auth/tokens", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return resp.headers["X-Subject-Token"]


def image_api(conn):
    """Glance's v2 API root, whether or not the catalog's endpoint carries the version."""
    endpoint = conn.image.get_endpoint().rstrip("/")
    return endpoint if endpoint.endswith("/v2") else endpoint + "/v2"


def http_get(url, token):
    request = urllib.request.Request(url, headers={"X-Auth-Token": token})
    with urllib.request.urlopen(request, timeout=60) as resp:
        return resp.status, resp.read()


def check_nova(conn, hosts):
    expected = {h["name"]: h["address"] for h in hosts}
    hypervisors = {h.service_details["host"]: h.host_ip
                   for h in conn.compute.hypervisors(details=True)}
    assert hypervisors == expected, "hypervisors %s, expected %s" % (hypervisors, expected)
    services = {s.host: (s.status, s.state)
                for s in conn.compute.services(binary="nova-compute")}
    assert services == {name: ("enabled", "up") for name in expected}, services

    name = "testbed-check-%s" % uuid.uuid4().hex[:8]
    aggregate = conn.compute.create_aggregate(name=name)
    try:
        for host in sorted(expected)[:2]:
            conn.compute.add_host_to_aggregate(aggregate, host)
        listed = {a.name: sorted(a.hosts) for a in conn.compute.aggregates()}
        assert listed.get(name) == sorted(expected)[:2], listed
    finally:
        for host in conn.compute.get_aggregate(aggregate).hosts:
            conn.compute.remove_host_from_aggregate(aggregate, host)
        conn.compute.delete_aggregate(aggregate)


def check_glance(conn, demo_auth, workdir):
    raw, qcow2 = os.path.join(workdir, "disk.raw"), os.path.join(workdir, "disk.qcow2")
    with open(raw, "wb") as disk:
        disk.truncate(32 * 1024 * 1024)
        disk.seek(1024 * 1024)
        disk.write(os.urandom(2 * 1024 * 1024))
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2], check=True)
    with open(qcow2, "rb") as handle:
        data = handle.read()

    image = conn.image.create_image(
        name="testbed-check-%s" % uuid.uuid4().hex[:8], filename=qcow2, disk_format="qcow2",
        container_format="bare", visibility="public", wait=True)
    try:
        image = conn.image.get_image(image)
        assert image.status == "active", image.status
        assert image.hash_algo == "sha512", image.hash_algo
        assert image.hash_value == hashlib.sha512(data).hexdigest()

        url = "%s/images/%s/file" % (image_api(conn), image.id)
        status, body = http_get(url, keystone_token(demo_auth))
        assert status == 200 and body == data, "download returned %d, %d bytes" % (
            status, len(body))
        try:
            http_get(url, "not-a-token")
        except urllib.error.HTTPError as err:
            assert err.code == 401, err.code
        else:
            raise AssertionError("a bad token downloaded the image")
    finally:
        conn.image.delete_image(image)


def main(config_path):
    with open(config_path) as handle:
        testbed = json.load(handle)["testbed"]
    clouds_yaml = testbed["clouds_yaml"]
    conn = connect(clouds_yaml, "precache-admin")
    assert conn.auth_token, "no Keystone token"
    check_nova(conn, testbed["ssh_hosts"])
    with tempfile.TemporaryDirectory() as workdir:
        check_glance(conn, testbed["clouds"]["precache-demo"]["auth"], workdir)
    print("test bed cloud: Keystone, Nova (%d computes) and Glance OK" % len(testbed["ssh_hosts"]))


if __name__ == "__main__":
    main(sys.argv[1])
