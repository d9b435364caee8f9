# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""The summary of a pre-cache run from the hosts' registered cache_image results."""

DOCUMENTATION = r"""
name: cache_summary
short_description: Summarize a pre-cache run from the hosts' cache_image results
version_added: 0.1.0
description:
  - Turns the registered results of M(openstack_ops.precache.cache_image) on a list of hosts into
    the summary that Nova's pre-cache watcher prints and the
    P(openstack_ops.precache.progress#callback) callback writes, plus the lines to print.
  - A failed or unreachable host whose result does not list its images has every image of the
    plan failed. A host without a result is listed in C(hosts_not_attempted).
  - 'How failures count: a host fails (RV(_value.hosts_failed)) when it was unreachable, failed
    for a reason that is no image''s, or when an image the operator named (C(selected_by)
    V(explicit) in O(selection)) failed on it. An image that only a tag, a query or
    popularity selected and that failed is that image''s failure, in
    RV(_value.image_failures): its hosts are in RV(_value.hosts_failed_by_selected_images)
    instead, unless O(fail_on_selected). Without O(selection) every image counts as named.'
  - The result is marked unsafe, so that no name or message in it is ever templated.
positional: _input, hostvars
extends_documentation_fragment:
  - openstack_ops.precache.registered_results
  - openstack_ops.precache.run_summary
options:
  images:
    description: The download plan (what C(validate_images) returns in C(images)), or image ids.
    type: list
    elements: raw
    default: []
  selection:
    description: Why each image is in the plan (what C(validate_images) returns in
      C(selection)), for RV(_value.selection) and its lines.
    type: list
    elements: dict
    default: []
  ignored:
    description: The images the selections left out (what C(validate_images) returns in
      C(ignored)), for their lines.
    type: list
    elements: dict
    default: []
  fail_on_selected:
    description: Whether an image selected by a tag, a query or popularity that failed on a
      host fails the host, as a named image does.
    type: bool
    default: false
  result_var:
    description: The variable each host registered the result of C(cache_image) in.
    type: str
    default: precache_result
"""

EXAMPLES = r"""
- name: Print what the run did
  ansible.builtin.debug:
    msg: "{{ (ansible_play_hosts_all | openstack_ops.precache.cache_summary(hostvars, images=plan.images)).lines }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The summary.
  type: dict
  contains:
    hosts_completed:
      description: Hosts with a result.
      type: int
    errors:
      description: Images that failed, summed over the hosts.
      type: int
    elapsed:
      description: Seconds since O(started_at).
      type: float
    failing_hosts:
      description: For each host that failed, its status and, per image id, why.
      type: dict
    image_failures:
      description: For each image id, on how many hosts it failed.
      type: dict
    bytes_downloaded:
      description: Bytes downloaded from Glance, summed over the hosts.
      type: int
    hosts_not_attempted:
      description: Hosts without a result (the rollout stopped before them).
      type: list
      elements: str
    stores:
      description: Per Glance store of O(store_copies), the image ids by the copy's status
        (C(images)) and the messages of the copies that failed or timed out (C(problems)).
      type: dict
    sites:
      description: Per site of a fetch-once-per-site run (the hosts' C(cache_image) C(site)),
        its C(hosts), C(bytes_from_glance) and C(bytes_from_peers).
      type: dict
    hosts_failed:
      description: The hosts that fail (see the description for how failures count).
      type: list
      elements: str
    hosts_failed_by_selected_images:
      description: Hosts where only images selected by a tag, a query or popularity failed,
        which do not fail unless O(fail_on_selected).
      type: list
      elements: str
    ignored:
      description: O(ignored), as given; its lines follow the selection's in RV(_value.lines).
      type: list
      elements: dict
    selection:
      description: O(selection), as given.
      type: list
      elements: dict
    selection_lines:
      description: Why each image is in the plan, as lines of text; none without O(selection).
      type: list
      elements: str
    lines:
      description: The summary as lines of text, RV(_value.selection_lines) last.
      type: list
      elements: str
"""

from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_results import (
    image_ids)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_run import (
    counted_failures, named_ids, summary_run)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_text import (
    finish_summary)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._registered import (
    host_status, registered_results)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._unsafe import unsafe


def cache_summary(hosts, hostvars, images=None, started_at=None, result_var="precache_result",
                  selection=None, ignored=None, fail_on_selected=False, store_copies=None):
    """The run's summary (see DOCUMENTATION)."""
    results = registered_results("cache_summary", hosts, hostvars, result_var)
    run = summary_run(started_at, store_copies)
    planned = image_ids(list(images or []))
    run.add_hosts([(host, (None, None, None)) for host in hosts])
    for host, result in results:
        status = host_status(result)
        if status != "not run":
            run.result(host, status, result, planned)
    summary = run.summary()
    summary["hosts_failed"], summary["hosts_failed_by_selected_images"] = (
        counted_failures(run, named_ids(selection), bool(fail_on_selected)))
    return unsafe(finish_summary(summary, selection, ignored))


class FilterModule:

    def filters(self):
        return {"cache_summary": cache_summary}
