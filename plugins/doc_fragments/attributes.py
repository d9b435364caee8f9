# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The attributes the collection's modules share, beside ansible.builtin's descriptions.

A module lists ansible.builtin.action_common_attributes (what each attribute means) and this
fragment (what holds for the collection's modules), then says in its own `attributes` only
what is its own: check mode's details, or diff_mode for a module that shows a diff (a module's
own entry wins over the fragment's).
"""


class ModuleDocFragment:

    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
"""
