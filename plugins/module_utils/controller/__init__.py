# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Code that runs on the Ansible controller: openstacksdk and the message bus.

Never imported by host code (module_utils/host/), which runs on the compute hosts without
openstacksdk. It imports module_utils/common/ and nothing of the host side.
"""
