# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Options of the modules that run on a Nova compute host: its nova.conf, cache dir and user.

Its argument spec is NOVA_HOST_ARGUMENT_SPEC in plugins/module_utils/host/nova_host_options.py,
which host_module.HostModule composes into every host module's spec.
"""


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  nova_conf:
    description:
      - The host's C(nova.conf) file or files, read in order, later files winning, as
        oslo.config does.
      - Default the first of the known locations that exists (see the result's C(nova_conf)).
    type: list
    elements: path
  cache_dir:
    description:
      - Use this cache dir instead of the one C(nova.conf) names.
    type: path
  owner:
    description:
      - The user nova-compute runs as, by name or uid (it need not exist in C(/etc/passwd), as
        Kolla's 42436 does not). Everything but reading C(nova.conf) runs as this user, and the
        files cached belong to it.
      - Default the owner of the cache dir (or of the instances dir when the cache dir does not
        exist yet). A link there is followed only when root made it, and a root-owned dir is
        refused, so give the user instead. V(root) is used only when given here.
    type: str
  group:
    description:
      - The group of O(owner), by name or gid. Default the group of the cache dir, as for
        O(owner).
    type: str
"""
