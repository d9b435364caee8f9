"""Aggregates and compute service states for the inventory_aggregates target, and its checks.

  setup CONFIG STATE      create the aggregates below, disable and force down compute3; what
                          was changed goes to STATE so that cleanup can undo exactly that
  cleanup CONFIG STATE    delete those aggregates, enable compute3 and lift its forced down
  check-list NAME FILE    check `ansible-inventory --list` output (FILE) for case NAME
  check-graph FILE        check `ansible-inventory --graph` output
  check-warning FILE      check ansible-inventory's stderr names the excluded host and why

The aggregates (marked with metadata, so a run killed before its cleanup is cleaned next time):
  my-application  compute1, compute2        a name that needs sanitizing
  edge.site       compute2, compute3, AZ edge-az: compute2 is in two aggregates
  empty-one       no hosts
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from inventory_json import plain  # noqa: E402
from testbed_cloud import connect, create_aggregate, delete_marked_aggregates  # noqa: E402

MARK = "inventory_aggregates"
AGGREGATES = [
    ("my-application", ["compute1", "compute2"], None),
    ("edge.site", ["compute2", "compute3"], "edge-az"),
    ("empty-one", [], None),
]
GROUPS = {"my-application": "my_application", "edge.site": "edge_site", "empty-one": "empty_one"}
DOWN_HOST = "compute3"
DISABLED_REASON = "precache integration test"


def compute_service(conn, host):
    return next(s for s in conn.compute.services(binary="nova-compute") if s.host == host)


def restore(conn):
    service = compute_service(conn, DOWN_HOST)
    conn.compute.update_service_forced_down(service, forced=False)
    conn.compute.enable_service(service)


def setup(config_path, state_path):
    conn = connect(config_path)
    delete_marked_aggregates(conn, MARK)
    taken = {a.name for a in conn.compute.aggregates()}
    clash = taken & {aggregate[0] for aggregate in AGGREGATES}
    if clash:
        sys.exit("aggregates %s exist already and are not this test's" % ", ".join(sorted(clash)))
    with open(state_path, "w") as handle:
        json.dump({"created": True}, handle)
    for name, hosts, zone in AGGREGATES:
        create_aggregate(conn, name, hosts, MARK, availability_zone=zone)
    service = compute_service(conn, DOWN_HOST)
    conn.compute.disable_service(service, disabled_reason=DISABLED_REASON)
    conn.compute.update_service_forced_down(service, forced=True)
    service = compute_service(conn, DOWN_HOST)
    assert (service.status, service.state) == ("disabled", "down"), (service.status, service.state)


def cleanup(config_path, state_path):
    try:
        with open(state_path) as handle:
            json.load(handle)
    except (OSError, ValueError):
        return
    conn = connect(config_path)
    delete_marked_aggregates(conn, MARK)
    restore(conn)
    service = compute_service(conn, DOWN_HOST)
    assert (service.status, service.state) == ("enabled", "up"), (service.status, service.state)


def hosts_of(listing, group):
    return sorted(listing.get(group, {}).get("hosts", []))


def check_list(case, path):
    with open(path) as handle:
        listing = plain(json.load(handle))
    hostvars = listing["_meta"]["hostvars"]
    children = listing["all"]["children"]
    for group in GROUPS.values():
        assert group in children, "group %s missing from %s" % (group, children)
    assert hosts_of(listing, "empty_one") == [], listing.get("empty_one")
    assert hosts_of(listing, "my_application") == ["compute1", "compute2"]
    if case == "default":
        assert sorted(hostvars) == ["compute1", "compute2"], sorted(hostvars)
        assert hosts_of(listing, "edge_site") == ["compute2"]
        assert hosts_of(listing, "az_edge_az") == ["compute2"]
    else:
        assert sorted(hostvars) == ["compute1", "compute2", "compute3"], sorted(hostvars)
        assert hosts_of(listing, "edge_site") == ["compute2", "compute3"]
        assert hosts_of(listing, "az_edge_az") == ["compute2", "compute3"]
        down = hostvars["compute3"]
        assert (down["nova_service_status"], down["nova_service_state"]) == ("disabled", "down")
        assert down["nova_service_forced_down"] is True
        assert down["nova_service_disabled_reason"] == DISABLED_REASON
    assert hosts_of(listing, "nova_compute") == sorted(hostvars)
    assert hosts_of(listing, "hv_fake") == sorted(hostvars), "keyed_groups missing"
    two = hostvars["compute2"]
    assert two["ansible_host"] == two["nova_host_ip"] == "127.0.0.12", two
    # Other aggregates of the shared test bed (make demo's, say) may hold the host too.
    aggregates = list(zip(two["nova_aggregates"], two["nova_aggregate_ids"],
                          two["nova_aggregate_uuids"]))
    assert len(aggregates) == len(two["nova_aggregates"]) == len(two["nova_aggregate_ids"]) \
        == len(two["nova_aggregate_uuids"]), two
    assert [name for name, _id, _uuid in aggregates if name in GROUPS] == \
        ["edge.site", "my-application"], two
    assert two["nova_availability_zone"] == "edge-az", two
    assert two["nova_hypervisor_hostname"] == "compute2", two
    assert two["nova_hypervisor_type"] == "fake", two
    assert (two["nova_service_status"], two["nova_service_state"]) == ("enabled", "up"), two
    assert hostvars["compute1"]["nova_availability_zone"] == "nova"
    mapping = two["nova_aggregate_groups"]
    assert all(mapping[name] == group for name, group in GROUPS.items()), mapping
    print("ansible-inventory --list (%s): OK" % case)


def check_graph(path):
    with open(path) as handle:
        lines = [line.rstrip() for line in handle]
    groups, current = {}, None
    for line in lines:
        name = line.strip(" |-")
        if name.startswith("@"):
            current = groups.setdefault(name[1:].rstrip(":"), [])
        elif current is not None and name:
            current.append(name)
    assert sorted(groups.get("my_application", [])) == ["compute1", "compute2"], groups
    assert groups.get("edge_site") == ["compute2"], groups
    assert groups.get("empty_one") == [], groups
    assert sorted(groups.get("nova_compute", [])) == ["compute1", "compute2"], groups
    print("ansible-inventory --graph: OK")


def check_warning(path):
    with open(path) as handle:
        text = " ".join(handle.read().split())
    expected = "%s (disabled (%s), forced down)" % (DOWN_HOST, DISABLED_REASON)
    assert expected in text, "no warning naming %r in: %s" % (expected, text)
    print("warning about %s: OK" % DOWN_HOST)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"setup": setup, "cleanup": cleanup, "check-list": check_list, "check-graph": check_graph,
     "check-warning": check_warning}[command](*args)
