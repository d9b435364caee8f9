# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""An rbd host's cache_image result, with its images counted by its Glance store."""

DOCUMENTATION = r"""
name: store_copy_result
short_description: Count an rbd host's images by its Glance store
version_added: 0.1.0
description:
  - Takes the registered result of M(openstack_ops.precache.cache_image) on a host with
    C([libvirt] images_type = rbd), whose images are V(unsupported) locally because Nova clones
    them from the Ceph cluster of the host's Glance store (the result's C(glance_store)), and the
    results of M(openstack_ops.precache.image_store_copy) runs.
  - Returns the same result with each such image in C(images_cached) when the run that asked for
    the host's store found it there or copied it, in C(images_skipped) when the run only looked
    (C(copy_missing=false)) and it is not there, and in C(images_failed) otherwise, with the
    copy's reason in the image's C(msg) and its C(store_status); C(failed) and C(msg) follow, so
    the host fails when an image could not be put into its store.
  - Any other result, or one whose store no run asked for, is returned unchanged.
  - The result is marked unsafe, so that no name or message in it is ever templated.
positional: _input, runs
options:
  _input:
    description: A registered C(cache_image) result.
    type: dict
    required: true
  runs:
    description:
      - The image_store_copy runs, each a dict with C(stores), the stores it was asked for, and
        C(result), its registered result.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Count this rbd host's images by its Glance store
  ansible.builtin.set_fact:
    precache_result: >-
      {{ precache_result | openstack_ops.precache.store_copy_result(
           [{'stores': [precache_result.glance_store], 'result': copies}]) }}
  when: precache_result.glance_store | default(none) is not none
"""

RETURN = r"""
_value:
  description: The cache_image result, its V(unsupported) images counted by the host's store.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_results import (
    with_store_copies)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._unsafe import unsafe


def store_copy_result(result, runs):
    """The result with the rbd host's images counted by its store (see DOCUMENTATION)."""
    if not isinstance(result, dict):
        raise AnsibleFilterError("store_copy_result: the input must be a cache_image result "
                                 "(a dict), not %s" % type(result).__name__)
    if not isinstance(runs, (list, tuple)):
        raise AnsibleFilterError("store_copy_result: runs must be a list of {stores, result}, "
                                 "not %s" % type(runs).__name__)
    return unsafe(with_store_copies(result, list(runs)))


class FilterModule:

    def filters(self):
        return {"store_copy_result": store_copy_result}
