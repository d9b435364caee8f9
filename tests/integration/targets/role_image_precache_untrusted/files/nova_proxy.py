"""A stand-in for what a compromised compute node reports to Nova, in front of the real nova-api.

    nova_proxy.py UPSTREAM PORT_FILE FORGED_JSON

Listens on an ephemeral port of 127.0.0.1 (written to PORT_FILE once it listens) and passes
every request to UPSTREAM (host:port), Host header included, so that Nova's links lead back
here. Two answers are rewritten from FORGED_JSON, the values a real Nova takes from its compute
nodes and that no API call can set:
  hypervisor_hostname  the hypervisor of this service host reports this name
                       (GET /os-hypervisors/detail)
  extra_host           one more nova-compute service and hypervisor, up and enabled, whose
                       service host name is this (GET /os-services, /os-hypervisors/detail)
"""
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from http_proxy import Forwarder, serve  # noqa: E402 (after the path to it)


def rewrite(path, body, forged):
    """The body Nova answered, with the forged values in it."""
    if "/os-hypervisors/detail" in path and "hypervisors" in body:
        for hypervisor in body["hypervisors"]:
            if (hypervisor.get("service") or {}).get("host") == forged["host"]:
                hypervisor["hypervisor_hostname"] = forged["hypervisor_hostname"]
        body["hypervisors"].append({
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "forged")), "hypervisor_type": "QEMU",
            "hypervisor_hostname": "forged.example", "host_ip": "127.0.0.99", "state": "up",
            "status": "enabled", "hypervisor_version": 8002000, "uptime": None,
            "service": {"host": forged["extra_host"], "id": "forged", "disabled_reason": None}})
    elif "/os-services" in path and "services" in body:
        body["services"].append({
            "id": "forged", "binary": "nova-compute", "host": forged["extra_host"],
            "zone": "nova", "status": "enabled", "state": "up", "forced_down": False,
            "disabled_reason": None, "updated_at": "2026-01-05T10:00:00.000000"})
    return body


class Proxy(Forwarder):
    forged = None

    def answered(self, started, response, data):
        if self.command == "GET" and response.status == 200 and data:
            try:
                data = json.dumps(rewrite(self.path, json.loads(data), self.forged)).encode()
            except ValueError:
                pass
        return data


def main(upstream, port_file, forged_path):
    with open(forged_path) as handle:
        Proxy.forged = json.load(handle)
    serve(Proxy, upstream, port_file)


if __name__ == "__main__":
    main(*sys.argv[1:])
