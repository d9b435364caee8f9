# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The argument spec of the options every host module has, which doc fragment `nova_host` documents.

Where nova-compute's settings and cache are (nova_conf, cache_dir) and whom the work runs as
(owner, group); host_module.HostModule composes it into each host module's spec.
"""

NOVA_HOST_ARGUMENT_SPEC = dict(
    nova_conf=dict(type="list", elements="path"),
    cache_dir=dict(type="path"),
    owner=dict(type="str"),
    group=dict(type="str"),
)
