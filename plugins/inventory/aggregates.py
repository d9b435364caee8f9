# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova host aggregates as Ansible groups of compute hosts."""

DOCUMENTATION = r"""
name: aggregates
short_description: Nova host aggregates as groups of compute hosts
version_added: 0.1.0
description:
  - One inventory host per Nova compute service host, named as Nova names it (the C(Host) column
    of C(openstack compute service list)), with C(ansible_host) set from O(host_address).
  - Groups, each prefixed with O(group_prefix) - one per host aggregate, named after it
    (sanitized, see below), with aggregates that have no hosts as empty groups;
    C(az_<zone>) per availability zone; C(nova_compute) with every host. A host in several
    aggregates is one host in every one of their groups.
  - 'Group names: O(group_prefix) plus the name, with every character other than an ASCII
    letter, digit or C(_) replaced by C(_), and a C(_) in front of a name that would start with
    a digit; so the aggregate C(my-application) is the group C(my_application). When two
    aggregates, or an aggregate and one of the groups above, would get the same name, an
    aggregate whose name was valid as it is keeps it and the others get C(_<aggregate id>)
    appended. The group C(nova_compute) carries the variable C(nova_aggregate_groups), the
    mapping from each aggregate name to its group.'
  - 'Host vars: C(nova_aggregates) (the names of every aggregate the host is in, sorted),
    C(nova_aggregate_ids) and C(nova_aggregate_uuids) (in the same order),
    C(nova_availability_zone), C(nova_hypervisor_hostname), C(nova_hypervisor_type),
    C(nova_host_ip), C(nova_service_status), C(nova_service_state), C(nova_service_forced_down)
    and C(nova_service_disabled_reason).'
  - Disabled and down compute hosts are left out unless O(include_disabled) or O(include_down)
    say otherwise, and so are hosts for which Nova reports no hypervisor; a warning names each
    host left out and why.
  - 'Nova''s records are data (a compute node reports its own hypervisor host name; names,
    metadata and disabled reasons are free text): a host whose name could not be a Nova
    service host name (letters, digits, C(.), C(-), C(_) and C(:)), or whose C(ansible_host)
    would not be an IP address (V(host_ip)) or a host name, is left out with a warning that
    shows the name escaped; every host var, C(nova_aggregate_groups) and the variables
    O(compose) reads are marked unsafe, so that no value from the cloud is ever templated.'

  - Makes three API calls (aggregates, hypervisors with details, C(nova-compute) services)
    however many aggregates and hosts there are. Needs an admin account (Nova's default policy
    for these calls).
  - The file must end in C(aggregates.yml) or C(aggregates.yaml), or be a YAML file whose
    C(plugin) is this plugin.
extends_documentation_fragment:
  - openstack_ops.precache.openstack
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; the file is for it.
    type: str
    required: true
    choices: [openstack_ops.precache.aggregates]
  aggregates:
    description:
      - Only these aggregates, by name, id or uuid, and only their hosts.
      - An entry that matches no aggregate is an error that lists the aggregates there are.
      - Default is every aggregate, and every compute host whether in an aggregate or not.
    type: list
    elements: str
  include_disabled:
    description: Keep compute hosts whose C(nova-compute) service is disabled.
    type: bool
    default: false
  include_down:
    description: Keep compute hosts whose C(nova-compute) service is down or forced down.
    type: bool
    default: false
  host_address:
    description:
      - What C(ansible_host) is set to.
      - V(host_ip) is the hypervisor's C(host_ip) (nova.conf C(my_ip)), V(hypervisor_hostname)
        the hypervisor's host name, V(host) the name Nova gives the compute service (the
        inventory host name).
    type: str
    choices: [host_ip, hypervisor_hostname, host]
    default: host_ip
  group_prefix:
    description:
      - Put in front of the name of every group this plugin makes (not of O(keyed_groups),
        which have their own C(prefix)), for instance to keep two regions apart in one
        inventory.
    type: str
    default: ""
notes:
  - With the inventory cache enabled (O(cache)), a cache hit makes no API call and leaves the
    cache as it is; C(ansible-inventory --flush-cache) or C(meta) V(refresh_inventory) reads the
    cloud again and rewrites it. The cache holds Nova's records, so changing options other than
    the authentication ones applies to cached data too.
  - Nova pages the hypervisor list (C([api] max_limit), 1000 by default); openstacksdk follows
    the pages, so a cloud with more hypervisors than that makes one more HTTP request per page.
seealso:
  - name: Host aggregates
    description: Nova's documentation of aggregates and availability zones.
    link: https://docs.openstack.org/nova/latest/admin/aggregates.html
"""

EXAMPLES = r"""
# inventory/aggregates.yml: compute hosts of the cloud "prod" from clouds.yaml
plugin: openstack_ops.precache.aggregates
cloud: prod

---
# Two aggregates only, reached by hypervisor host name, grouped by hypervisor type too,
# with the API reads cached for an hour
plugin: openstack_ops.precache.aggregates
cloud: prod
aggregates: [my-application, gpu]
host_address: hypervisor_hostname
keyed_groups:
  - key: nova_hypervisor_type
    prefix: hv
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible/inventory
cache_timeout: 3600

---
# The second region of the same cloud, its groups prefixed with region2_
plugin: openstack_ops.precache.aggregates
cloud: prod
region_name: region2
group_prefix: region2_
"""

import yaml

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import connection
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable
from ansible_collections.openstack_ops.precache.plugins.plugin_utils import _aggregates
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._unsafe import unsafe


class _NoSDKError(Exception):
    """Stands for openstacksdk's exceptions when it is missing: never raised."""


def _sdk_exception():
    """The base of openstacksdk's exceptions, looked up when needed (tests replace the SDK)."""
    if connection.openstack is None:
        return _NoSDKError
    return connection.openstack.exceptions.SDKException


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "openstack_ops.precache.aggregates"

    # keyed_groups and groups are sanitized by the rule the aggregate groups follow.
    _sanitize_group_name = staticmethod(_aggregates.sanitize)

    def verify_file(self, path):
        if not super().verify_file(path):
            return False
        if path.endswith(("aggregates.yml", "aggregates.yaml")):
            return True
        if not path.endswith((".yml", ".yaml")):
            return False
        try:
            with open(path, encoding="utf-8") as handle:
                config = yaml.safe_load(handle)
        except (OSError, ValueError, yaml.YAMLError):
            return False
        return isinstance(config, dict) and config.get("plugin") in (
            getattr(self, "_redirected_names", None) or [self.NAME])

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        self._populate(self._records(self.get_cache_key(path), cache))

    def _records(self, cache_key, cache):
        """Nova's records: from the cache when allowed and there, else from the cloud.

        A hit leaves the cache alone; a miss, or a refresh (cache=False), writes it.
        """
        enabled = self.get_option("cache")
        update = enabled and not cache
        if enabled and cache:
            try:
                records = self._cache[cache_key]
            except KeyError:
                update = True
            else:
                if _aggregates.is_records(records):
                    return records
                update = True
        records = self._query()
        if update:
            self._cache[cache_key] = records
        return records

    def _query(self):
        options = {name: self.get_option(name) for name in connection.AUTH_ARGUMENT_SPEC}
        try:
            conn = connection.connect(options)
            return _aggregates.query(conn.compute)
        except connection.OpenStackError as err:
            raise AnsibleParserError(str(err)) from None
        except _sdk_exception() as err:
            raise AnsibleParserError("cannot read Nova's aggregates, hypervisors and services: %s"
                                     % connection.describe_sdk_error(err)) from None

    def _populate(self, records):
        try:
            result = _aggregates.build(
                records, aggregates=self.get_option("aggregates"),
                include_disabled=self.get_option("include_disabled"),
                include_down=self.get_option("include_down"),
                host_address=self.get_option("host_address"),
                group_prefix=self.get_option("group_prefix") or "")
        except _aggregates.AggregatesError as err:
            raise AnsibleParserError(str(err)) from None
        if result["excluded"]:
            self.display.warning(
                "%s: compute hosts left out: %s. include_disabled and include_down keep disabled "
                "and down hosts." % (self.NAME, "; ".join(
                    "%s (%s)" % (printable(host), printable(reason))
                    for host, reason in result["excluded"])))

        for group, hosts in result["groups"].items():
            self.inventory.add_group(group)
            for host in hosts:
                self.inventory.add_host(host, group=group)
        self.inventory.set_variable(result["all_group"], "nova_aggregate_groups",
                                    unsafe(result["aggregate_groups"]))

        strict = self.get_option("strict")
        for host, hostvars in result["hosts"].items():
            hostvars = unsafe(hostvars)
            for name, value in hostvars.items():
                self.inventory.set_variable(host, name, value)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host,
                                              strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host,
                                           strict=strict)
