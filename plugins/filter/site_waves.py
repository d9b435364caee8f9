# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""The waves of a batch that fetches each image once per site."""

DOCUMENTATION = r"""
name: site_waves
short_description: Plan which host of a site takes the images from which
version_added: 0.1.0
description:
  - For fetch-once-per-site runs (the role's C(precache_distribution=site), docs/sites.md).
    Groups a batch's hosts (the input, in order) into sites by a host variable, and plans the
    waves in which they
    cache the images. In wave 0 the seeds of each site download from Glance; in each later
    wave every host that has the images serves at most O(fanout) hosts that do not.
  - A site's seeds are its hosts whose O(seed_var) is true, else its first host by name, or
    none when a host of an earlier batch serves the site already (O(serving)). A host without
    a site value is a site of its own.
  - Each host's C(sources) are the hosts to fetch from, in order, the first one the server it
    was given and then up to two others that had the images a wave before; an empty list means
    Glance. Its C(stage) says whether it keeps what it got for others; every host of a site
    does, for later waves and for the site's hosts of later batches.
  - The result is marked unsafe, so that no site name in it is ever templated.
positional: _input, hostvars
extends_documentation_fragment:
  - openstack_ops.precache.registered_results
options:
  site_var:
    description: The host variable whose value names a host's site.
    type: str
    default: nova_availability_zone
  seed_var:
    description: The host variable that flags a host as a seed of its site.
    type: str
    default: precache_site_seed
  fanout:
    description: How many peers one host serves at most at a time.
    type: int
    default: 2
  serving:
    description: Per site, the hosts of earlier batches that serve it now.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Plan this batch's waves
  ansible.builtin.set_fact:
    plan: "{{ ansible_play_batch | openstack_ops.precache.site_waves(hostvars, fanout=3) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    waves:
      description: How many waves the batch takes.
      type: int
    hosts:
      description: Per host, its C(site) (null for none), C(wave), C(seed), C(sources) and
        C(stage).
      type: dict
    sites:
      description: Per site, its hosts of the batch in wave order; a host without a site value
        is the site C(host NAME).
      type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.openstack_ops.precache.plugins.plugin_utils._site_waves import plan_waves
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._unsafe import unsafe


def site_waves(hosts, hostvars, site_var="nova_availability_zone", seed_var="precache_site_seed",
               fanout=2, serving=None):
    """The batch's plan (see DOCUMENTATION)."""
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("site_waves: the input must be a list of hosts, not %s"
                                 % type(hosts).__name__)
    try:
        plan = plan_waves(
            list(hosts), lambda host: hostvars[host].get(site_var),
            lambda host: str(hostvars[host].get(seed_var, False)).lower() in ("true", "yes", "1"),
            fanout=fanout, serving=dict(serving or {}))
    except ValueError as err:
        raise AnsibleFilterError("site_waves: %s" % err) from None
    return unsafe(plan.as_dict())


class FilterModule:

    def filters(self):
        return {"site_waves": site_waves}
