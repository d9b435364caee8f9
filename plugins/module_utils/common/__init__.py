# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Code for both sides, the controller and the compute hosts: it imports neither of them.

Internal to this collection, like all of module_utils: no stability is promised to others.
"""
