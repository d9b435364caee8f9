# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova host aggregates, hypervisors and compute services as Ansible hosts and groups.

The aggregates inventory plugin in two halves, as plain functions: query() reads the three
lists from an openstacksdk compute proxy into records shaped like Nova's API (the form kept in
the inventory cache), and build() turns those records into hosts, groups and host vars under
the plugin's options. Nothing here touches Ansible's inventory, so both halves are tested alone.

Everything in the records is data that compute hosts and administrators set (a compute node
reports its own hypervisor_hostname): build() keeps no host whose name could not be a Nova
service host name, and no address that is not an IP address or a host name, and the plugin
marks every value it hands to Ansible unsafe.
"""

import ipaddress
import re

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import (
    aggregates as _nova_aggregates)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.connection import (
    resource_record)

# Nova's JSON key -> openstacksdk attribute (openstack/compute/v2/{hypervisor,service}.py).
HYPERVISOR_FIELDS = dict(id="id", hypervisor_hostname="name", hypervisor_type="hypervisor_type",
                         host_ip="host_ip", state="state", status="status",
                         service="service_details")
SERVICE_FIELDS = dict(id="id", binary="binary", host="host", zone="availability_zone",
                      state="state", status="status", forced_down="is_forced_down",
                      disabled_reason="disabled_reason")

COMPUTE_BINARY = "nova-compute"
HOST_ADDRESSES = ("host_ip", "hypervisor_hostname", "host")
ALL_GROUP = "nova_compute"
AZ_PREFIX = "az_"
ANSIBLE_GROUPS = ("all", "ungrouped")

_INVALID_GROUP_CHARS = re.compile(r"[^A-Za-z0-9_]")
# What nova.conf's [DEFAULT] host can be and still work as an AMQP routing key and a host name:
# a short name, an FQDN or an IP address.
_HOST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$")


class AggregatesError(PrecacheError):
    """The options ask for something the cloud does not have; the message lists what it has."""


def query(compute):
    """The records the inventory is built from: three list calls, however big the cloud is.

    `compute` is an openstacksdk compute proxy (`conn.compute`). Returns a dict of lists of
    dicts keyed as Nova's API keys them, which is what the inventory cache keeps.
    """
    return {
        "aggregates": _nova_aggregates.aggregate_records(compute),
        "hypervisors": [resource_record(item, HYPERVISOR_FIELDS)
                        for item in compute.hypervisors(details=True)],
        "services": [resource_record(item, SERVICE_FIELDS)
                     for item in compute.services(binary=COMPUTE_BINARY)],
    }


def is_records(data):
    """Whether data (from the inventory cache) has the shape query() returns."""
    return isinstance(data, dict) and all(
        isinstance(data.get(key), list) for key in ("aggregates", "hypervisors", "services"))


def sanitize(name):
    """A valid Ansible group name for any text: the rule docs/inventory.md documents.

    Every character other than an ASCII letter, digit or `_` becomes `_`, and a name that would
    start with a digit gets a leading `_` (Ansible group names are variable-like names).
    """
    name = _INVALID_GROUP_CHARS.sub("_", str(name))
    return "_" + name if name[:1].isdigit() else name


def aggregate_group_names(aggregates, group_prefix="", reserved=()):
    """{aggregate name: group name}: group_prefix + the sanitized name, unique.

    When several aggregates (or a name in `reserved`, the plugin's own groups) would share a
    group name, an aggregate whose name was already valid keeps it and the others get `_<id>`
    appended, so that no group ever mixes two aggregates and the result does not depend on the
    order Nova lists them in.
    """
    wanted = {}
    for aggregate in aggregates:
        wanted.setdefault(sanitize(group_prefix + aggregate["name"]), []).append(aggregate)
    taken = set(reserved)
    names, suffixed = {}, []
    for group, claimants in sorted(wanted.items()):
        exact = [a for a in claimants if group_prefix + a["name"] == group]
        if group not in taken and (len(claimants) == 1 or len(exact) == 1):
            keeper = claimants[0] if len(claimants) == 1 else exact[0]
            names[keeper["name"]] = group
            taken.add(group)
            suffixed.extend((group, a) for a in claimants if a is not keeper)
        else:
            suffixed.extend((group, a) for a in claimants)
    for group, aggregate in sorted(suffixed, key=lambda item: (item[0], str(item[1]["id"]))):
        suffix = _INVALID_GROUP_CHARS.sub("_", str(aggregate["id"]))
        name = "%s_%s" % (group, suffix)
        while name in taken:
            name = "%s_%s" % (name, suffix)
        names[aggregate["name"]] = name
        taken.add(name)
    return names


def select_aggregates(aggregates, wanted):
    """The aggregates named in `wanted` (names, ids or uuids), in Nova's order.

    None selects all of them; an entry that matches no aggregate raises AggregatesError listing
    the aggregates that exist.
    """
    if wanted is None:
        return list(aggregates)
    # Names win over ids: an aggregate may be named "42".
    found, unknown = _nova_aggregates.lookup(aggregates, wanted, keys=("name", "id", "uuid"))
    if unknown:
        existing = ", ".join(_nova_aggregates.names(aggregates)) or "none"
        raise AggregatesError("unknown aggregates: %s (the cloud has: %s)"
                              % (", ".join(str(item) for item in unknown), existing))
    chosen = {id(aggregate) for aggregate in found.values()}
    return [a for a in aggregates if id(a) in chosen]


def valid_host_name(name):
    """Whether `name` could be a Nova service host name (nova.conf's host): letters, digits and
    `.`, `-`, `_`, `:`, starting with a letter or digit, at most 255 characters."""
    return isinstance(name, str) and bool(_HOST_NAME.match(name))


def valid_address(address, host_address):
    """Whether an ansible_host value is one: an IP address for host_ip, a host name otherwise
    (never an option such as `-oProxyCommand=...`, nor a template)."""
    if host_address == "host_ip":
        try:
            ipaddress.ip_address(str(address))
        except ValueError:
            return False
        return True
    return valid_host_name(address)


def _exclusion(service, hypervisor, include_disabled, include_down):
    """Why a compute host is left out, or None."""
    reasons = []
    if hypervisor is None:
        reasons.append("Nova reports no hypervisor for it")
    if service["status"] != "enabled" and not include_disabled:
        reason = service.get("disabled_reason")
        reasons.append("disabled (%s)" % reason if reason else "disabled")
    if service["state"] != "up" and not include_down:
        reasons.append("forced down" if service.get("forced_down") else "down")
    return ", ".join(reasons) or None


def _address(host, hypervisor, host_address):
    if host_address == "host":
        return host
    return hypervisor.get(host_address) or None


def build(records, aggregates=None, include_disabled=False, include_down=False,
          host_address="host_ip", group_prefix=""):
    """Hosts, groups and host vars from query()'s records under the plugin's options.

    Returns a dict:
      hosts     {inventory host: host vars}, one per nova-compute service host kept
      groups    {group: [hosts]}: every selected aggregate (empty ones too), az_<zone>,
                nova_compute; each with group_prefix
      aggregate_groups  {aggregate name: group}: the mapping of names to groups
      all_group the name of the group of every host (group_prefix + nova_compute)
      excluded  [(host, reason)]: hosts left out, and why
    """
    if host_address not in HOST_ADDRESSES:
        raise AggregatesError("host_address must be one of %s, not %s"
                              % (", ".join(HOST_ADDRESSES), host_address))
    selected = select_aggregates(records["aggregates"], aggregates)
    services = {s["host"]: s for s in records["services"]
                if s.get("binary", COMPUTE_BINARY) == COMPUTE_BINARY}
    hypervisors = {}
    # An Ironic compute service has many hypervisors (nodes): the first by name stands for it.
    for hypervisor in sorted(records["hypervisors"],
                             key=lambda h: str(h.get("hypervisor_hostname"))):
        host = (hypervisor.get("service") or {}).get("host")
        if host is not None:
            hypervisors.setdefault(host, hypervisor)
    membership = {}
    for aggregate in sorted(records["aggregates"], key=lambda a: a["name"]):
        for host in aggregate.get("hosts") or ():
            membership.setdefault(host, []).append(aggregate)

    # Without a selection every compute host is wanted; hosts an aggregate lists that are no
    # compute service (any more) are wanted too, so that the warning names them.
    candidates = set(services) if aggregates is None else set()
    candidates.update(host for a in selected for host in a.get("hosts") or ())

    hosts, excluded = {}, []
    for host in sorted(candidates, key=str):
        if not valid_host_name(host):
            excluded.append((host, "not a name Nova gives a compute service host (letters, "
                                   "digits, '.', '-', '_' and ':')"))
            continue
        service = services.get(host)
        if service is None:
            excluded.append((host, "listed in an aggregate but not a nova-compute service"))
            continue
        hypervisor = hypervisors.get(host)
        reason = _exclusion(service, hypervisor, include_disabled, include_down)
        address = _address(host, hypervisor, host_address) if reason is None else None
        if reason is None and address is None:
            reason = "its hypervisor has no %s" % host_address
        elif reason is None and not valid_address(address, host_address):
            reason = "its %s %r is not %s" % (
                host_address, address,
                "an IP address" if host_address == "host_ip" else "a host name")
        if reason:
            excluded.append((host, reason))
            continue
        member_of = membership.get(host, [])
        hosts[host] = {
            "ansible_host": address,
            "nova_aggregates": [a["name"] for a in member_of],
            "nova_aggregate_ids": [a["id"] for a in member_of],
            "nova_aggregate_uuids": [a.get("uuid") for a in member_of],
            "nova_availability_zone": service.get("zone"),
            "nova_hypervisor_hostname": hypervisor.get("hypervisor_hostname"),
            "nova_hypervisor_type": hypervisor.get("hypervisor_type"),
            "nova_host_ip": hypervisor.get("host_ip"),
            "nova_service_status": service["status"],
            "nova_service_state": service["state"],
            "nova_service_forced_down": bool(service.get("forced_down")),
            "nova_service_disabled_reason": service.get("disabled_reason"),
        }

    all_group = sanitize(group_prefix + ALL_GROUP)
    groups = {all_group: sorted(hosts)}
    for host, hostvars in sorted(hosts.items()):
        zone = hostvars["nova_availability_zone"]
        if zone:
            groups.setdefault(sanitize(group_prefix + AZ_PREFIX + zone), []).append(host)
    names = aggregate_group_names(selected, group_prefix,
                                  reserved=set(groups) | set(ANSIBLE_GROUPS))
    for aggregate in selected:
        groups[names[aggregate["name"]]] = sorted(
            host for host in aggregate.get("hosts") or () if host in hosts)
    return {"hosts": hosts, "groups": groups, "aggregate_groups": names,
            "all_group": all_group, "excluded": excluded}
