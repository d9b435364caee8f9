# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The options both summary filters (cache_summary, nova_cache_summary) take about the run."""


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  started_at:
    description: When the run started, in seconds since the epoch, for C(elapsed).
    type: float
  store_copies:
    description:
      - The runs of M(openstack_ops.precache.image_store_copy) for the Glance stores of rbd
        hosts, each C({stores, result}) (the stores asked for, and the registered result), for
        the summary's C(stores) and its lines.
    type: list
    elements: dict
    default: []
"""
