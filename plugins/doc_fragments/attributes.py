# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The attributes of the collection's modules: what each means and what holds for all of them.

A module lists this fragment and says in its own `attributes` only what is its own: check
mode's details, or diff_mode for a module that shows a diff (a module's own entry wins over the
fragment's).
"""


class ModuleDocFragment:

    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check mode and tell what it would change, changing nothing.
    support: full
  diff_mode:
    description: Shows what it changes (or, in check mode, would change) with C(--diff).
    support: none
  platform:
    description: The systems it runs against.
    support: full
    platforms: posix
"""
