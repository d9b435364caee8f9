# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""The summary of Nova's own pre-cache runs from aggregate_precache results."""

DOCUMENTATION = r"""
name: nova_cache_summary
short_description: Summarize Nova's own pre-cache runs from aggregate_precache results
version_added: 0.1.0
description:
  - Turns results of M(openstack_ops.precache.aggregate_precache) (one per aggregate, such as
    the C(results) of a loop) into the same summary as
    P(openstack_ops.precache.cache_summary#filter) gives for the SSH engine, plus the lines to
    print.
  - A host Nova skipped because its compute service was down is in C(failing_hosts) with the
    status C(skipped), and its images are not counted in C(errors) or C(image_failures).
    Hosts of an aggregate that did not report (the run did not end in time) are in
    C(hosts_not_attempted). Nothing downloads through Ansible, so C(bytes_downloaded) is 0.
  - With O(store_copies), the summary says per Glance store what the copies did.
  - The result is marked unsafe, so that no name or message in it is ever templated.
extends_documentation_fragment:
  - openstack_ops.precache.run_summary
options:
  _input:
    description: The results of M(openstack_ops.precache.aggregate_precache).
    type: list
    elements: dict
    required: true
  selection:
    description: Why each image is in the plan (what C(validate_images) returns in
      C(selection)); its lines end the summary's.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Print what Nova did
  ansible.builtin.debug:
    msg: "{{ (precache_nova.results | openstack_ops.precache.nova_cache_summary).lines }}"
"""

RETURN = r"""
_value:
  description: The summary, shaped as P(openstack_ops.precache.cache_summary#filter)'s.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_run import (
    summary_run)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_text import (
    finish_summary)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._unsafe import unsafe


def nova_cache_summary(results, started_at=None, selection=None, store_copies=None):
    """The summary of aggregate_precache results (see DOCUMENTATION)."""
    if not isinstance(results, (list, tuple)):
        raise AnsibleFilterError("nova_cache_summary: the input must be a list of "
                                 "aggregate_precache results, not %s" % type(results).__name__)
    run = summary_run(started_at, store_copies)
    for result in results:
        if isinstance(result, dict) and not result.get("skipped"):
            run.nova_result(result)
    return unsafe(finish_summary(run.summary(), selection))


class FilterModule:

    def filters(self):
        return {"nova_cache_summary": nova_cache_summary}
