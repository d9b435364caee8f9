# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Cloud data handed to Ansible as data: marked so that no template in it is ever rendered.

ansible-core before 2.19 templates any string of a variable again when it is used (a fact set
from a filter's result, a host var, a loop item) unless it is AnsibleUnsafe; later cores trust
no string that did not come from a playbook. unsafe() makes the filters' results and the
inventory's host vars plain dicts, lists and unsafe strings for both: Ansible's wrap_var()
alone cannot copy the lazy containers that filters receive on ansible-core 2.19 and later.
"""

from collections.abc import Mapping, Set

from ansible.utils.unsafe_proxy import wrap_var


def unsafe(value):
    """`value` as plain dicts, lists and scalars, every string and byte string marked unsafe."""
    if isinstance(value, Mapping):
        return {unsafe(key): unsafe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, Set)):
        return [unsafe(item) for item in value]
    if isinstance(value, (str, bytes)):
        return wrap_var(value)
    return value
