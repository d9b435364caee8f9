# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image_serve servers of a site run, and the sites they serve."""

DOCUMENTATION = r"""
name: site_servers
short_description: Add a batch's started image_serve servers to a site run's servers
version_added: 0.1.0
description:
  - For fetch-once-per-site runs (docs/sites.md). Adds to the run's servers so far
    (O(previous)) the hosts of the input whose registered
    M(openstack_ops.precache.image_serve) result (in O(result_var)) started a server, with the
    site the O(plan) gives them.
  - The result is marked unsafe, so that no host or site name in it is ever templated.
positional: _input, hostvars, plan
extends_documentation_fragment:
  - openstack_ops.precache.registered_results
options:
  plan:
    description: The batch's plan, as P(openstack_ops.precache.site_waves#filter) made it.
    type: dict
    required: true
  previous:
    description: The servers so far, C({servers, serving}).
    type: dict
    default: {}
  result_var:
    description: The variable each host registered its image_serve result in.
    type: str
    default: _precache_serve
"""

EXAMPLES = r"""
- name: Remember the servers that started
  ansible.builtin.set_fact:
    servers: "{{ ansible_play_batch | openstack_ops.precache.site_servers(hostvars, plan, previous=servers | default({})) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The servers.
  type: dict
  contains:
    servers:
      description: Per serving host, its C(name), C(url) and C(fingerprint) (of its certificate,
        with TLS), as cache_image's C(site.peers) takes them.
      type: dict
    serving:
      description: Per site, its serving hosts, in the order they started.
      type: dict
"""

from ansible_collections.openstack_ops.precache.plugins.plugin_utils._registered import (
    host_status, registered_results)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._unsafe import unsafe


def site_servers(hosts, hostvars, plan, previous=None, result_var="_precache_serve"):
    """The run's servers with the batch's new ones (see DOCUMENTATION)."""
    previous = previous or {}
    servers = dict(previous.get("servers") or {})
    serving = {site: list(names) for site, names in (previous.get("serving") or {}).items()}
    for host, result in registered_results("site_servers", hosts, hostvars, result_var):
        if host_status(result) != "ok" or not result.get("url"):
            continue
        servers[host] = {"name": host, "url": str(result["url"]),
                         "fingerprint": result.get("fingerprint")}
        site = ((plan.get("hosts") or {}).get(host) or {}).get("site")
        if site is not None and host not in serving.setdefault(site, []):
            serving[site].append(host)
    return unsafe({"servers": servers, "serving": serving})


class FilterModule:

    def filters(self):
        return {"site_servers": site_servers}
