# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The input of the filters that read the hosts' registered cache_image results.

plugin_utils/_registered.py reads them for cache_report and cache_summary.
"""


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  _input:
    description: The hosts, such as C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  hostvars:
    description: Ansible's C(hostvars).
    type: dict
    required: true
"""
