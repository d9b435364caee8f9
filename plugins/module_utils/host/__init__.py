# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Code that runs on the compute hosts, in the host modules' AnsiballZ payload.

It imports only the standard library, ansible's module_utils and this collection's
module_utils.common, plus cryptography, imported guarded (common.image_signature), for signed
images. Nothing here runs on the controller, and no controller code imports it.
"""
