# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The aggregates inventory plugin against SDK doubles whose records are shaped like Nova's API.

The records follow Nova's API samples (os-aggregates 2.41, os-hypervisors/detail 2.88,
os-services 2.69); the doubles hand them out under openstacksdk's attribute names, as
openstack/compute/v2/{aggregate,hypervisor,service}.py map them, without needing the SDK.
"""

import ipaddress
import json
import os
import uuid

import pytest
import yaml

from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import connection
from ansible_collections.openstack_ops.precache.plugins.plugin_utils import _aggregates

NAME = "openstack_ops.precache.aggregates"


# ---- Nova's records and the SDK doubles

def _uuid(kind, number):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "%s/%s" % (kind, number)))


def nova_aggregate(agg_id, name, hosts=(), zone=None, metadata=None):
    metadata = dict(metadata or {})
    if zone:
        metadata["availability_zone"] = zone
    return {"availability_zone": zone, "created_at": "2026-01-05T10:00:00.000000",
            "deleted": False, "deleted_at": None, "hosts": list(hosts), "id": agg_id,
            "metadata": metadata, "name": name, "updated_at": None,
            "uuid": _uuid("aggregate", agg_id)}


def nova_hypervisor(host, host_ip, hostname=None, hv_type="QEMU", state="up", status="enabled"):
    return {"hypervisor_hostname": hostname or host + ".cloud.example", "hypervisor_type": hv_type,
            "hypervisor_version": 8002000, "host_ip": host_ip, "id": _uuid("hypervisor", host),
            "state": state, "status": status, "uptime": None,
            "service": {"host": host, "id": _uuid("service", host), "disabled_reason": None}}


def nova_service(host, zone="nova", status="enabled", state="up", forced_down=False,
                 disabled_reason=None, binary="nova-compute"):
    return {"binary": binary, "disabled_reason": disabled_reason, "forced_down": forced_down,
            "host": host, "id": _uuid("service", host), "state": state, "status": status,
            "updated_at": "2026-01-05T10:00:00.000000", "zone": zone}


class SdkResource:
    """A Nova record under openstacksdk's attribute names (Body('zone') is availability_zone...)."""

    def __init__(self, record, renames):
        for key, value in record.items():
            setattr(self, renames.get(key, key), value)


AGGREGATE_ATTRS = {"deleted": "is_deleted"}
HYPERVISOR_ATTRS = {"hypervisor_hostname": "name", "service": "service_details"}
SERVICE_ATTRS = {"zone": "availability_zone", "forced_down": "is_forced_down"}
HYPERVISOR_LIST_KEYS = ("id", "hypervisor_hostname", "state", "status")


class FakeCompute:
    """conn.compute: the three list calls, each counted."""

    def __init__(self, aggregates, hypervisors, services):
        self._aggregates, self._hypervisors, self._services = aggregates, hypervisors, services
        self.calls = []

    def aggregates(self, **query):
        self.calls.append(("aggregates", query))
        return (SdkResource(a, AGGREGATE_ATTRS) for a in self._aggregates)

    def hypervisors(self, details=False, **query):
        self.calls.append(("hypervisors", dict(query, details=details)))
        for hypervisor in self._hypervisors:
            if not details:
                # GET /os-hypervisors has no host_ip, type or service.
                hypervisor = {k: hypervisor[k] for k in HYPERVISOR_LIST_KEYS}
            yield SdkResource(hypervisor, HYPERVISOR_ATTRS)

    def services(self, **query):
        self.calls.append(("services", query))
        return (SdkResource(s, SERVICE_ATTRS) for s in self._services
                if all(s.get(k) == v for k, v in query.items()))


class FakeConnection:
    def __init__(self, compute):
        self.compute = compute


def cloud(computes=4, aggregates=None, services=None):
    """A cloud of `computes` compute hosts compute1.. at 192.0.2.1.., plus its aggregates."""
    hosts = ["compute%d" % n for n in range(1, computes + 1)]
    hypervisors = [nova_hypervisor(h, str(ipaddress.ip_address("192.0.2.0") + n))
                   for n, h in enumerate(hosts, 1)]
    services = services or [nova_service(h) for h in hosts]
    services = services + [nova_service("controller1", zone="internal", binary="nova-scheduler")]
    return FakeCompute(aggregates if aggregates is not None else [], hypervisors, services)


def standard_cloud():
    """Aggregates as an operator has them: names needing sanitizing, an empty one, an AZ,
    a host in two aggregates; compute3 disabled, compute4 forced down."""
    return cloud(4, aggregates=[
        nova_aggregate(1, "my-application", ["compute1", "compute2"]),
        nova_aggregate(2, "gpu.nodes", ["compute2", "compute3"], zone="edge-1"),
        nova_aggregate(3, "empty", []),
        nova_aggregate(4, "maintenance", ["compute4"]),
    ], services=[
        nova_service("compute1"), nova_service("compute2", zone="edge-1"),
        nova_service("compute3", zone="edge-1", status="disabled",
                     disabled_reason="disk replacement"),
        nova_service("compute4", state="down", forced_down=True),
    ])


# ---- running the plugin as InventoryManager does

class Warnings:
    def __init__(self, display):
        self._display, self.messages = display, []

    def warning(self, msg, *args, **kwargs):
        self.messages.append(msg)

    def __getattr__(self, name):
        return getattr(self._display, name)


@pytest.fixture
def run(tmp_path, monkeypatch):
    connections = []

    def _run(compute, refresh=False, **config):
        path = tmp_path / "site.aggregates.yml"
        path.write_text(yaml.safe_dump(dict(plugin=NAME, cloud="prod", **config)))
        connections.append(None)

        def connect(options):
            connections[-1] = options
            return FakeConnection(compute)

        monkeypatch.setattr(connection, "connect", connect)
        plugin = inventory_loader.get(NAME)
        plugin.display = Warnings(plugin.display)
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), str(path), cache=not refresh)
        if getattr(plugin, "_cache", None) is not None:
            plugin.update_cache_if_changed()
        inventory.reconcile_inventory()
        return Result(inventory, plugin, connections[-1])

    return _run


class Result:
    def __init__(self, inventory, plugin, connected_with):
        self.inventory, self.plugin, self.connected_with = inventory, plugin, connected_with
        self.warnings = plugin.display.messages

    def hosts(self, group):
        return sorted(h.name for h in self.inventory.groups[group].get_hosts())

    def hostvars(self, host):
        return self.inventory.get_host(host).get_vars()

    @property
    def groups(self):
        return set(self.inventory.groups) - {"all", "ungrouped"}


# ---- groups and host vars

def test_groups_per_aggregate_zone_and_all(run):
    result = run(standard_cloud())
    assert result.groups == {"nova_compute", "az_nova", "az_edge_1", "my_application",
                             "gpu_nodes", "empty", "maintenance"}
    assert result.hosts("nova_compute") == ["compute1", "compute2"]
    assert result.hosts("my_application") == ["compute1", "compute2"]
    assert result.hosts("gpu_nodes") == ["compute2"]
    assert result.hosts("az_edge_1") == ["compute2"]
    assert result.hosts("az_nova") == ["compute1"]
    assert result.hosts("empty") == []
    assert result.hosts("maintenance") == []


def test_a_host_in_two_aggregates_is_one_host_in_both_groups(run):
    result = run(standard_cloud())
    assert [h.name for h in result.inventory.hosts.values()].count("compute2") == 1
    groups = {g.name for g in result.inventory.get_host("compute2").get_groups()}
    assert {"my_application", "gpu_nodes", "az_edge_1", "nova_compute"} <= groups


def test_host_vars(run):
    hostvars = run(standard_cloud()).hostvars("compute2")
    assert {k: v for k, v in hostvars.items() if k.startswith(("nova_", "ansible_"))} == {
        "ansible_host": "192.0.2.2",
        "nova_aggregates": ["gpu.nodes", "my-application"],
        "nova_aggregate_ids": [2, 1],
        "nova_aggregate_uuids": [_uuid("aggregate", 2), _uuid("aggregate", 1)],
        "nova_availability_zone": "edge-1",
        "nova_hypervisor_hostname": "compute2.cloud.example",
        "nova_hypervisor_type": "QEMU",
        "nova_host_ip": "192.0.2.2",
        "nova_service_status": "enabled",
        "nova_service_state": "up",
        "nova_service_forced_down": False,
        "nova_service_disabled_reason": None,
    }


def test_the_name_mapping_is_a_variable_of_the_nova_compute_group(run):
    result = run(standard_cloud())
    assert result.inventory.groups["nova_compute"].get_vars()["nova_aggregate_groups"] == {
        "my-application": "my_application", "gpu.nodes": "gpu_nodes", "empty": "empty",
        "maintenance": "maintenance"}


@pytest.mark.parametrize("host_address, expected", [
    ("host_ip", "192.0.2.1"),
    ("hypervisor_hostname", "compute1.cloud.example"),
    ("host", "compute1"),
])
def test_host_address(run, host_address, expected):
    result = run(cloud(1), host_address=host_address)
    assert result.hostvars("compute1")["ansible_host"] == expected


def test_hosts_in_no_aggregate_are_compute_hosts_too(run):
    result = run(cloud(2, aggregates=[nova_aggregate(1, "a", ["compute1"])]))
    assert result.hosts("nova_compute") == ["compute1", "compute2"]
    assert result.hostvars("compute2")["nova_aggregates"] == []


def test_group_prefix_applies_to_every_group_of_the_plugin(run):
    result = run(standard_cloud(), group_prefix="region2_",
                 keyed_groups=[{"key": "nova_hypervisor_type", "prefix": "hv"}])
    assert result.groups == {"region2_nova_compute", "region2_az_nova", "region2_az_edge_1",
                             "region2_my_application", "region2_gpu_nodes", "region2_empty",
                             "region2_maintenance", "hv_QEMU"}
    assert result.inventory.groups["region2_nova_compute"].get_vars()[
        "nova_aggregate_groups"]["my-application"] == "region2_my_application"


# ---- sanitizing

@pytest.mark.parametrize("name, group", [
    ("my-application", "my_application"),
    ("gpu.nodes", "gpu_nodes"),
    ("Prod Rack 7", "Prod_Rack_7"),
    ("already_valid", "already_valid"),
    ("7th-floor", "_7th_floor"),
    ("café/ü", "caf___"),
])
def test_sanitize(name, group):
    assert _aggregates.sanitize(name) == group


def test_colliding_names_keep_the_valid_one_and_suffix_the_others():
    aggregates = [nova_aggregate(5, "my-app"), nova_aggregate(3, "my_app"),
                  nova_aggregate(9, "my.app"), nova_aggregate(4, "nova_compute"),
                  nova_aggregate(6, "a-b"), nova_aggregate(7, "a.b")]
    names = _aggregates.aggregate_group_names(aggregates, reserved={"nova_compute"})
    assert names == {"my_app": "my_app", "my-app": "my_app_5", "my.app": "my_app_9",
                     "nova_compute": "nova_compute_4", "a-b": "a_b_6", "a.b": "a_b_7"}
    # The mapping does not depend on the order Nova lists the aggregates in.
    assert _aggregates.aggregate_group_names(
        list(reversed(aggregates)), reserved={"nova_compute"}) == names


def test_an_aggregate_named_like_a_zone_group_does_not_merge_into_it(run):
    compute = cloud(2, aggregates=[nova_aggregate(8, "az_nova", ["compute1"])])
    result = run(compute)
    assert result.hosts("az_nova") == ["compute1", "compute2"]
    assert result.hosts("az_nova_8") == ["compute1"]


def test_keyed_groups_are_sanitized_by_the_same_rule(run):
    result = run(standard_cloud(), keyed_groups=[
        {"key": "nova_aggregates", "prefix": "agg"},
        {"key": "nova_availability_zone", "prefix": "zone"}])
    assert result.hosts("agg_my_application") == ["compute1", "compute2"]
    assert result.hosts("agg_gpu_nodes") == ["compute2"]
    assert result.hosts("zone_edge_1") == ["compute2"]


# ---- constructed

def test_compose_and_groups(run):
    result = run(standard_cloud(),
                 compose={"ansible_user": "'nova-' ~ nova_availability_zone",
                          "first_aggregate": "nova_aggregates | first"},
                 groups={"edge": "nova_availability_zone.startswith('edge')",
                         "gpu": "'gpu.nodes' in nova_aggregates"})
    assert result.hostvars("compute2")["ansible_user"] == "nova-edge-1"
    assert result.hostvars("compute1")["first_aggregate"] == "my-application"
    assert result.hosts("edge") == ["compute2"]
    assert result.hosts("gpu") == ["compute2"]


def test_strict_fails_on_a_bad_expression(run):
    run(standard_cloud(), compose={"x": "no_such_var.attr"})
    with pytest.raises(Exception, match="no_such_var"):
        run(standard_cloud(), strict=True, compose={"x": "no_such_var.attr"})


# ---- filters and exclusions

def test_disabled_and_down_hosts_are_left_out_and_named_in_a_warning(run):
    result = run(standard_cloud())
    assert "compute3" not in result.inventory.hosts and "compute4" not in result.inventory.hosts
    assert len(result.warnings) == 1
    assert "compute3 (disabled (disk replacement))" in result.warnings[0]
    assert "compute4 (forced down)" in result.warnings[0]


def test_include_disabled_and_down(run):
    result = run(standard_cloud(), include_disabled=True, include_down=True)
    assert result.hosts("nova_compute") == ["compute1", "compute2", "compute3", "compute4"]
    assert result.hostvars("compute3")["nova_service_status"] == "disabled"
    assert result.hostvars("compute3")["nova_service_disabled_reason"] == "disk replacement"
    assert result.hostvars("compute4")["nova_service_forced_down"] is True
    assert result.hosts("maintenance") == ["compute4"]
    assert result.warnings == []


def test_down_without_forcing_and_both_reasons(run):
    compute = cloud(2, services=[nova_service("compute1", state="down"),
                                 nova_service("compute2", state="down", status="disabled")])
    result = run(compute, include_disabled=True)
    assert result.hosts("nova_compute") == []
    assert "compute1 (down)" in result.warnings[0]
    assert "compute2 (down)" in result.warnings[0]
    result = run(compute)
    assert "compute2 (disabled, down)" in result.warnings[0]


def test_stale_aggregate_hosts_and_hosts_without_hypervisor_are_reported(run):
    compute = cloud(1, aggregates=[nova_aggregate(1, "a", ["compute1", "gone", "new"])],
                    services=[nova_service("compute1"), nova_service("new")])
    result = run(compute)
    assert result.hosts("a") == ["compute1"]
    assert "gone (listed in an aggregate but not a nova-compute service)" in result.warnings[0]
    assert "new (Nova reports no hypervisor for it)" in result.warnings[0]


@pytest.mark.parametrize("wanted", [["my-application"], [1], ["1"], [_uuid("aggregate", 1)]])
def test_the_aggregates_option_selects_by_name_id_or_uuid(run, wanted):
    result = run(standard_cloud(), aggregates=wanted)
    assert result.groups == {"nova_compute", "az_nova", "az_edge_1", "my_application"}
    assert result.hosts("nova_compute") == ["compute1", "compute2"]
    # Host vars keep the truth: compute2 is in gpu.nodes too.
    assert result.hostvars("compute2")["nova_aggregates"] == ["gpu.nodes", "my-application"]


def test_selected_aggregates_only_warn_about_their_own_hosts(run):
    result = run(standard_cloud(), aggregates=["gpu.nodes"])
    assert result.hosts("gpu_nodes") == ["compute2"]
    assert "compute3" in result.warnings[0] and "compute4" not in result.warnings[0]


def test_an_unknown_aggregate_is_an_error_listing_the_existing_ones(run):
    with pytest.raises(AnsibleParserError) as err:
        run(standard_cloud(), aggregates=["my-application", "my-aplication", "99"])
    assert "unknown aggregates: my-aplication, 99" in str(err.value)
    assert "(the cloud has: empty, gpu.nodes, maintenance, my-application)" in str(err.value)


def test_a_bad_host_address_is_refused_by_the_options(run):
    with pytest.raises(Exception, match="host_address"):
        run(cloud(1), host_address="ip")


# ---- API calls, auth and cache

def test_auth_options_reach_connect(run):
    result = run(cloud(1), region_name="RegionTwo", validate_certs=False)
    assert result.connected_with["cloud"] == "prod"
    assert result.connected_with["region_name"] == "RegionTwo"
    assert result.connected_with["validate_certs"] is False
    assert result.connected_with["interface"] == "public"
    assert set(result.connected_with) == set(connection.AUTH_ARGUMENT_SPEC)


def big_cloud(aggregate_count, hosts_per_aggregate=2):
    computes = aggregate_count * hosts_per_aggregate
    aggregates = [nova_aggregate(n + 1, "agg-%d" % n, [
        "compute%d" % (n * hosts_per_aggregate + k + 1) for k in range(hosts_per_aggregate)])
        for n in range(aggregate_count)]
    return cloud(computes, aggregates=aggregates)


@pytest.mark.parametrize("aggregate_count", [1, 500])
def test_three_api_calls_whatever_the_size(run, aggregate_count):
    compute = big_cloud(aggregate_count)
    result = run(compute)
    assert compute.calls == [("aggregates", {}), ("hypervisors", {"details": True}),
                             ("services", {"binary": "nova-compute"})]
    assert len(result.hosts("nova_compute")) == 2 * aggregate_count
    assert len(result.groups) == aggregate_count + 2


def cache_config(tmp_path):
    return dict(cache=True, cache_plugin="ansible.builtin.jsonfile",
                cache_connection=str(tmp_path / "cache"), cache_timeout=3600)


def cache_files(tmp_path):
    directory = tmp_path / "cache"
    return {name: (directory / name).stat().st_mtime_ns for name in os.listdir(directory)}


def test_a_cache_hit_makes_no_api_call_and_leaves_the_cache_alone(run, tmp_path):
    first = standard_cloud()
    run(first, **cache_config(tmp_path))
    assert len(first.calls) == 3
    written = cache_files(tmp_path)
    assert len(written) == 1
    with open(tmp_path / "cache" / next(iter(written))) as handle:
        assert "gpu.nodes" in handle.read()

    second = standard_cloud()
    result = run(second, **cache_config(tmp_path))
    assert second.calls == []
    assert result.connected_with is None
    assert cache_files(tmp_path) == written
    assert result.hosts("my_application") == ["compute1", "compute2"]


def test_options_apply_to_cached_records(run, tmp_path):
    run(standard_cloud(), **cache_config(tmp_path))
    result = run(standard_cloud(), include_disabled=True, **cache_config(tmp_path))
    assert "compute3" in result.hosts("nova_compute")


def test_a_refresh_reads_the_cloud_and_rewrites_the_cache(run, tmp_path):
    run(standard_cloud(), **cache_config(tmp_path))
    changed = standard_cloud()
    changed._aggregates.append(nova_aggregate(10, "new-one", ["compute1"]))
    result = run(changed, refresh=True, **cache_config(tmp_path))
    assert len(changed.calls) == 3
    assert result.hosts("new_one") == ["compute1"]
    later = standard_cloud()
    result = run(later, **cache_config(tmp_path))
    assert later.calls == [] and result.hosts("new_one") == ["compute1"]


def test_without_the_cache_option_every_run_reads_the_cloud(run, tmp_path):
    for _round in range(2):
        compute = standard_cloud()
        run(compute)
        assert len(compute.calls) == 3


def test_query_returns_nova_shaped_plain_records():
    records = _aggregates.query(standard_cloud())
    assert records["aggregates"][1] == {
        "id": 2, "uuid": _uuid("aggregate", 2), "name": "gpu.nodes",
        "hosts": ["compute2", "compute3"], "metadata": {"availability_zone": "edge-1"},
        "availability_zone": "edge-1"}
    assert records["hypervisors"][0]["service"]["host"] == "compute1"
    assert records["hypervisors"][0]["host_ip"] == "192.0.2.1"
    assert {s["host"] for s in records["services"]} == {"compute1", "compute2", "compute3",
                                                        "compute4"}
    assert records["services"][3]["forced_down"] is True
    json.dumps(records)


# ---- the inventory file

@pytest.mark.parametrize("name, content, accepted", [
    ("prod.aggregates.yml", "plugin: whatever\n", True),
    ("aggregates.yaml", "", True),
    ("inventory.yml", "plugin: %s\n" % NAME, True),
    ("inventory.yaml", "plugin: openstack.cloud.openstack\n", False),
    ("inventory.ini", "plugin: %s\n" % NAME, False),
    ("broken.yml", "plugin: [\n", False),
])
def test_verify_file(tmp_path, name, content, accepted):
    path = tmp_path / name
    path.write_text(content)
    assert inventory_loader.get(NAME).verify_file(str(path)) is accepted


def test_verify_file_needs_the_file(tmp_path):
    assert not inventory_loader.get(NAME).verify_file(str(tmp_path / "x.aggregates.yml"))


# ---- errors

def test_a_connection_failure_fails_the_source(run, monkeypatch):
    def refuse(options):
        raise connection.OpenStackError("cannot connect to the cloud: 401 Unauthorized")

    plugin = inventory_loader.get(NAME)
    monkeypatch.setattr(connection, "connect", refuse)
    monkeypatch.setattr(plugin, "get_option", lambda name: None)
    with pytest.raises(AnsibleParserError, match="401 Unauthorized"):
        plugin._query()


class _SDKException(Exception):
    status_code = 403
    request_id = "req-7"


class _FakeSdk:
    class exceptions:
        SDKException = _SDKException


def test_an_sdk_error_names_the_call_status_and_request(monkeypatch):
    class Forbidden(FakeCompute):
        def hypervisors(self, details=False, **query):
            raise _SDKException("Policy doesn't allow os_compute_api:os-hypervisors:list-detail")

    plugin = inventory_loader.get(NAME)
    monkeypatch.setattr(connection, "openstack", _FakeSdk)
    monkeypatch.setattr(connection, "connect",
                        lambda options: FakeConnection(Forbidden([], [], [])))
    monkeypatch.setattr(plugin, "get_option", lambda name: None)
    with pytest.raises(AnsibleParserError) as err:
        plugin._query()
    assert "cannot read Nova's aggregates, hypervisors and services: Policy doesn't allow " \
        "os_compute_api:os-hypervisors:list-detail (HTTP 403, request req-7)" == str(err.value)


# ---- Nova's records are data

JINJA = "x {{ lookup('pipe','touch /tmp/pwned') }} {{ \"..."


def forged_cloud():
    """Free text with Jinja and control characters wherever Nova or a compute node sets it."""
    hosts = ["compute1", "compute2", "evil\x1b]0;t\x07\nCompleted", "{{ 7 * 7 }}",
             "-oProxyCommand=touch"]
    hypervisors = [nova_hypervisor(h, "192.0.2.%d" % n, hostname=JINJA if n == 1 else None)
                   for n, h in enumerate(hosts, 1)]
    hypervisors[1]["host_ip"] = "192.0.2.2 -oProxyCommand=x"
    services = [nova_service("compute1", zone=JINJA, status="disabled",
                             disabled_reason=JINJA + "\x1b[2J")] + [
        nova_service(h) for h in hosts[1:]]
    return FakeCompute([nova_aggregate(1, JINJA, hosts, metadata={"k": JINJA})], hypervisors,
                       services)


def test_host_names_that_could_not_be_nova_hosts_are_refused_with_an_escaped_warning(run):
    result = run(forged_cloud(), include_disabled=True)
    assert sorted(result.inventory.hosts) == ["compute1"]
    warning = result.warnings[0]
    assert "\x1b" not in warning and "\n" not in warning and "\x07" not in warning
    assert "evil\\x1b]0;t\\x07\\x0aCompleted (not a name Nova gives" in warning
    assert "{{ 7 * 7 }} (not a name" in warning and "-oProxyCommand=touch (not a name" in warning
    assert "compute2 (its host_ip '192.0.2.2 -oProxyCommand=x' is not an IP address)" in warning


def test_a_jinja_hypervisor_hostname_is_no_ansible_host(run):
    result = run(forged_cloud(), include_disabled=True, host_address="hypervisor_hostname")
    assert "compute1" not in result.inventory.hosts
    assert "compute1 (its hypervisor_hostname" in result.warnings[0]


def test_cloud_text_reaches_host_vars_and_compose_as_it_is(run):
    result = run(forged_cloud(), include_disabled=True,
                 compose={"first_aggregate": "nova_aggregates | first",
                          "zone": "nova_availability_zone"},
                 keyed_groups=[{"key": "nova_availability_zone", "prefix": "zone"}])
    hostvars = result.hostvars("compute1")
    assert hostvars["nova_aggregates"] == [JINJA]
    assert hostvars["nova_availability_zone"] == JINJA
    assert hostvars["nova_service_disabled_reason"] == JINJA + "\x1b[2J"
    assert hostvars["first_aggregate"] == JINJA and hostvars["zone"] == JINJA
    assert all(group.isidentifier() for group in result.groups)
