#!/usr/bin/python
# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set the CUSTOM_IMAGE_CACHED_<ID> Placement traits of compute hosts to the images they cache."""

DOCUMENTATION = r"""
module: placement_image_traits
short_description: Tell Placement which images each compute host has cached, as traits
version_added: 0.1.0
description:
  - Runs on the controller (on localhost, or delegated to it) and gives the Placement resource
    provider of each compute host in O(hosts) one trait per image cached on that host, named
    C(CUSTOM_IMAGE_CACHED_) and the image id in upper case with C(_) for C(-), such as
    C(CUSTOM_IMAGE_CACHED_3F052202_598D_40D9_B5C7_68410A51FD66).
  - A scheduler can then prefer those hosts for a server of that image (a weigher), or require
    them with the flavor or image property C(trait:CUSTOM_IMAGE_CACHED_...=required).
  - Only traits of exactly that shape are changed. The provider's other traits, the ones
    nova-compute reports for the host's capabilities and any an operator set, are kept.
  - Each provider's traits are read once and written only when they change. Placement refuses
    a write when the provider changed since it was read (HTTP 409, for instance nova-compute's
    periodic update); the traits are then read again and the change made on what is there now,
    up to five times.
  - A custom trait Placement does not have yet is created first, once for all the hosts.
  - Errors for one host (no provider, Placement refused the change) do not stop the others;
    the task fails after all were tried.
extends_documentation_fragment:
  - openstack_ops.precache.openstack
  - openstack_ops.precache.attributes
attributes:
  check_mode:
    details: Reads the providers' traits and reports what it would add, remove and create;
      writes nothing.
  diff_mode:
    support: full
    details: Shows, for each provider it changes, its C(CUSTOM_IMAGE_CACHED_) traits before
      and after; its other traits are not shown.
options:
  hosts:
    description:
      - The compute hosts and the images cached on each.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The host, as the inventory names it (the compute service's host).
        type: str
        required: true
      provider:
        description:
          - Its resource provider in Placement, by name or uuid.
          - Defaults to O(hosts[].name). Nova names a compute node's provider after its
            C(hypervisor_hostname), which the C(aggregates) inventory gives as the host
            variable C(nova_hypervisor_hostname) where it differs from the host name.
        type: str
      images:
        description:
          - Glance ids of the images cached on the host, such as the C(images_cached) that
            C(cache_image) returns or the ids that C(image_cache_info) reports.
        type: list
        elements: str
        default: []
  mode:
    description:
      - V(reconcile) gives each provider exactly the traits of its O(hosts[].images), removing
        those of images not listed, as after a run or in a report of what is cached where.
      - V(add) adds the traits of O(hosts[].images) and keeps the others of ours.
      - V(remove) removes the traits of O(hosts[].images), for images evicted or deleted.
    type: str
    choices: [reconcile, add, remove]
    default: reconcile
  skip_missing_providers:
    description:
      - Whether a host that has no resource provider in Placement is only listed in
        RV(skipped_hosts) rather than failing the task.
    type: bool
    default: false
notes:
  - Needs Placement microversion 1.6 (Pike) or later and a caller that Placement's policy
    allows to create traits and set resource provider traits (admin by default).
  - Traits of images no host caches any more stay defined in Placement, on no provider.
seealso:
  - module: openstack_ops.precache.cache_image
  - module: openstack_ops.precache.image_cache_info
  - name: Placement API, resource provider traits
    description: How Placement stores a provider's traits and its generation.
    link: https://docs.openstack.org/api-ref/placement/#resource-provider-traits
author:
  - openstack_ops developers (@openstack-ops)
"""

EXAMPLES = r"""
- name: Cache the images
  openstack_ops.precache.cache_image:
    images: "{{ plan.images }}"
  register: cached

- name: Collect what each host of the play caches, and its provider
  ansible.builtin.set_fact:
    cached_on_hosts: >-
      {{ cached_on_hosts | default([]) + [{
           'name': item,
           'provider': hostvars[item].nova_hypervisor_hostname | default(item),
           'images': hostvars[item].cached.images_cached}] }}
  loop: "{{ ansible_play_hosts }}"
  delegate_to: localhost
  run_once: true

- name: Tell Placement what each host caches now
  openstack_ops.precache.placement_image_traits:
    cloud: production
    hosts: "{{ cached_on_hosts }}"
  delegate_to: localhost
  run_once: true

- name: Forget an image evicted from two hosts
  openstack_ops.precache.placement_image_traits:
    cloud: production
    mode: remove
    hosts:
      - name: compute-1
        images: [3f052202-598d-40d9-b5c7-68410a51fd66]
      - name: compute-2
        provider: compute-2.example.org
        images: [3f052202-598d-40d9-b5c7-68410a51fd66]
  delegate_to: localhost
"""

RETURN = r"""
providers:
  description: One record per host of O(hosts), in order.
  returned: success, and failure after the checks
  type: list
  elements: dict
  contains:
    host:
      description: The host.
      type: str
    provider:
      description: Its resource provider's uuid; null when Placement has none.
      type: str
    added:
      description: The traits of ours it got (or would get, in check mode).
      type: list
      elements: str
    removed:
      description: The traits of ours it lost (or would lose).
      type: list
      elements: str
    unchanged:
      description: The traits of ours it kept.
      type: list
      elements: str
    retries:
      description: How many times its traits were read again after a write was refused
        because the provider had changed (HTTP 409).
      type: int
    changed:
      description: Whether its traits changed (or would change).
      type: bool
    missing:
      description: Whether Placement has no such provider.
      type: bool
    error:
      description: What went wrong for this host and what to do; null when nothing did.
      type: str
traits_created:
  description: The custom traits created in Placement (or that would be, in check mode).
  returned: success, and failure after the checks
  type: list
  elements: str
  sample: [CUSTOM_IMAGE_CACHED_3F052202_598D_40D9_B5C7_68410A51FD66]
failed_hosts:
  description: The hosts whose traits could not be set, skipped hosts not counted.
  returned: success, and failure after the checks
  type: list
  elements: str
skipped_hosts:
  description: The hosts without a provider, with O(skip_missing_providers=true).
  returned: success, and failure after the checks
  type: list
  elements: str
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import (
    placement_traits)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.connection import (
    OpenStackModule)


class PlacementImageTraitsModule(OpenStackModule):

    argument_spec = dict(
        hosts=dict(type="list", elements="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            provider=dict(type="str"),
            images=dict(type="list", elements="str", default=[]),
        )),
        mode=dict(type="str", choices=list(placement_traits.MODES),
                  default=placement_traits.RECONCILE),
        skip_missing_providers=dict(type="bool", default=False),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        reconciler = placement_traits.TraitReconciler(self.conn.placement,
                                                      check_mode=self.module.check_mode)
        try:
            records = reconciler.run(self.params["hosts"], self.params["mode"])
        except placement_traits.PlacementTraitsError as err:
            self.module.fail_json(msg=str(err))
        skip = self.params["skip_missing_providers"]
        skipped = [r for r in records if r["missing"] and skip]
        failed = [r for r in records if r["error"] and not (r["missing"] and skip)]
        result = dict(changed=any(r["changed"] for r in records),
                      traits_created=reconciler.traits_created,
                      failed_hosts=[r["host"] for r in failed],
                      skipped_hosts=[r["host"] for r in skipped])
        if self.module._diff:
            result["diff"] = [_diff(r) for r in records if r["changed"]]
        for record in records:
            del record["before"], record["after"]
        result["providers"] = records
        if failed:
            self.module.fail_json(msg="%d of %d hosts failed: %s" % (
                len(failed), len(records), "; ".join(r["error"] for r in failed)), **result)
        return result


def _diff(record):
    header = "%s (provider %s)" % (printable(record["host"]), printable(record["provider"]))
    return dict(before_header=header, after_header=header,
                before="".join("%s\n" % trait for trait in record["before"]),
                after="".join("%s\n" % trait for trait in record["after"]))


def main():
    PlacementImageTraitsModule()()


if __name__ == "__main__":
    main()
