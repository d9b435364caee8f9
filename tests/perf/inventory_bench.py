# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Benchmark of the aggregates inventory plugin: a big cloud, with SDK doubles.

The cloud: --hosts compute hosts in --aggregates aggregates of equal size, every tenth host in
a second aggregate too, two availability zones, a few hosts disabled. The doubles answer the
three list calls with records shaped like Nova's API (os-aggregates, os-hypervisors/detail,
os-services) under openstacksdk's attribute names, and count the calls. Each round runs the
plugin's parse() into a fresh InventoryData, as ansible-inventory does:
  cold          no inventory cache: the three calls, the records, the hosts, groups, host vars
  cold+keyed    the same with one keyed group (key: nova_hypervisor_type), which ansible-core
                evaluates as a Jinja expression per host
  cached+keyed  a cache hit (ansible.builtin.jsonfile): no call, the records read from the cache
Run it with the controller's Python (ansible-core installed); openstacksdk is not needed.
See tests/perf/README.md for the command and the results.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION = os.path.dirname(os.path.dirname(HERE))
NAME = "openstack_ops.precache.aggregates"


class Resource:
    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class Compute:
    """conn.compute with the three list calls the plugin makes, counted."""

    def __init__(self, hosts, aggregates):
        self.calls = 0
        names = ["compute%04d" % n for n in range(1, hosts + 1)]
        size = hosts // aggregates
        self._aggregates = []
        for n in range(aggregates):
            members = names[n * size:(n + 1) * size]
            # Every tenth host of the next aggregate is in this one too.
            members += names[(n + 1) * size:(n + 2) * size:10]
            zone = "edge-%d" % (n % 2)
            self._aggregates.append(Resource(
                id=n + 1, uuid="%08d-0000-4000-8000-000000000000" % (n + 1),
                name="app-%03d.site" % n, hosts=members, availability_zone=zone,
                metadata={"availability_zone": zone}, is_deleted=False))
        self._hypervisors = [Resource(
            id="hv-%s" % host, name=host + ".cloud.example", hypervisor_type="QEMU",
            host_ip="10.%d.%d.%d" % (n // 65536, n // 256 % 256, n % 256), state="up",
            status="enabled",
            service_details={"host": host, "id": "svc-%s" % host, "disabled_reason": None})
            for n, host in enumerate(names)]
        self._services = [Resource(
            id="svc-%s" % host, binary="nova-compute", host=host,
            availability_zone="edge-%d" % (n // size % 2), state="up",
            status="disabled" if n % 97 == 0 else "enabled", is_forced_down=False,
            disabled_reason="maintenance" if n % 97 == 0 else None)
            for n, host in enumerate(names)]

    def aggregates(self, **query):
        self.calls += 1
        return iter(self._aggregates)

    def hypervisors(self, details=False, **query):
        self.calls += 1
        return iter(self._hypervisors)

    def services(self, **query):
        self.calls += 1
        return iter(self._services)


class Connection:
    def __init__(self, compute):
        self.compute = compute


class Quiet:
    """The plugin's display, keeping its warning (the disabled hosts) off the benchmark's output."""

    def __init__(self, display):
        self._display = display

    def warning(self, msg, *args, **kwargs):
        pass

    def __getattr__(self, name):
        return getattr(self._display, name)


def collection_path(workdir):
    """A directory with ansible_collections/openstack_ops/precache pointing at this checkout."""
    namespace = os.path.join(workdir, "ansible_collections", "openstack_ops")
    os.makedirs(namespace)
    os.symlink(COLLECTION, os.path.join(namespace, "precache"))
    return workdir


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--aggregates", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        os.environ["ANSIBLE_COLLECTIONS_PATH"] = collection_path(workdir)
        from ansible.inventory.data import InventoryData
        from ansible.parsing.dataloader import DataLoader
        from ansible.plugins.loader import inventory_loader
        from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
        _AnsibleCollectionFinder(paths=[workdir])._install()
        from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import connection

        compute = Compute(args.hosts, args.aggregates)
        connection.connect = lambda options: Connection(compute)
        source = os.path.join(workdir, "bench.aggregates.yml")
        cache_dir = os.path.join(workdir, "cache")

        def parse(cached, keyed):
            with open(source, "w") as handle:
                handle.write("plugin: %s\ncloud: bench\n" % NAME)
                if keyed:
                    handle.write("keyed_groups:\n  - key: nova_hypervisor_type\n    prefix: hv\n")
                if cached:
                    handle.write("cache: true\ncache_plugin: ansible.builtin.jsonfile\n"
                                 "cache_connection: %s\ncache_timeout: 3600\n" % cache_dir)
            plugin = inventory_loader.get(NAME)
            plugin.display = Quiet(plugin.display)
            inventory = InventoryData()
            calls = compute.calls
            start = time.perf_counter()
            plugin.parse(inventory, DataLoader(), source, cache=True)
            if cached:
                plugin.update_cache_if_changed()
            inventory.reconcile_inventory()
            elapsed = time.perf_counter() - start
            return elapsed, compute.calls - calls, inventory

        results = {}
        for mode, cached, keyed in (("cold", False, False), ("cold+keyed", False, True),
                                    ("cached+keyed", True, True)):
            if cached:
                parse(True, keyed)  # fills the cache: the rounds below are hits
            rounds = [parse(cached, keyed) for _round in range(args.rounds)]
            inventory = rounds[-1][2]
            results[mode] = (statistics.median(r[0] for r in rounds),
                             max(r[1] for r in rounds), len(inventory.hosts),
                             len(inventory.groups) - 2)

    print("| %d hosts, %d aggregates | median of %d | API calls | hosts | groups |"
          % (args.hosts, args.aggregates, args.rounds))
    print("| --- | --- | --- | --- | --- |")
    for mode, (seconds, calls, hosts, groups) in results.items():
        print("| %s | %.3f s | %d | %d | %d |" % (mode, seconds, calls, hosts, groups))
    print("Python %s" % sys.version.split()[0])


if __name__ == "__main__":
    main()
