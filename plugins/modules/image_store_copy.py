#!/usr/bin/python
# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy Glance images to the stores of RBD sites (multistore copy-image) and wait for them."""

DOCUMENTATION = r"""
module: image_store_copy
short_description: Copy Glance images into the stores of RBD sites and wait for them
version_added: 0.1.0
description:
  - Runs on the controller (on localhost, or delegated to it) and makes each image present in
    each of O(stores) of a multistore Glance, with Glance's interoperable image import method
    C(copy-image).
  - This is what pre-caching means for Nova compute hosts with C([libvirt] images_type = rbd),
    which boot from a copy-on-write clone of the image in the Ceph cluster of the Glance store
    their C([libvirt] images_rbd_glance_store_name) names, so the image must be in that store
    before the rollout, or the first boot waits for the copy (or fails). C(cache_image) reports
    that store for such hosts.
  - The images and stores are checked first; an image that is not found or not active, or a
    store Glance does not know, fails the task before any copy starts.
  - For each image, one import request copies it to all the stores it is missing from. The
    module then polls every O(poll_interval) seconds until each store is in the image's
    C(stores) and no longer in C(os_glance_importing_to_stores), as Nova waits for its own
    copies, or until Glance's import task for it ends without it, or O(timeout) passes.
  - When another import of the image is running (Glance answers 409, or 400 because the image
    reached the store meanwhile), the module waits for it and asks again for the stores it did
    not copy.
  - Each image and store ends V(present) (there before), V(copied), V(failed) (with Glance's
    reason), V(timed_out), or V(missing) (with O(copy_missing=false)). The task fails when any
    failed or timed out, after all were tried.
extends_documentation_fragment:
  - openstack_ops.precache.openstack
  - openstack_ops.precache.attributes
attributes:
  check_mode:
    details: Reports the copies it would start as V(copied), with a message saying so, and
      starts none.
options:
  images:
    description:
      - The images to copy, by id or name, or the C(images) plan that C(validate_images)
        returns (records with an C(id)).
      - They resolve as the O(openstack_ops.precache.validate_images#module:images) of
        C(validate_images) do. A reference shaped like a UUID is an id, never a name. A name
        resolves among the images of the trusted owners (public images, the credentials'
        project and O(image_owners)) first, so that no tenant can hijack it with an image of
        the same name; when none has it, it must match exactly one image the caller can see.
    type: list
    elements: raw
    required: true
  image_owners:
    description:
      - Ids of projects (Glance's C(owner)) whose images a name in O(images) resolves among
        first, besides public images and the credentials' own project.
    type: list
    elements: str
    default: []
  stores:
    description:
      - The Glance stores (C(enabled_backends) names) every image must be in, such as the
        C([libvirt] images_rbd_glance_store_name) of the rbd compute hosts.
    type: list
    elements: str
    required: true
  poll_interval:
    description:
      - Seconds between two looks at a copy in progress. Nova's own is
        C([libvirt] images_rbd_glance_copy_poll_interval), 15 seconds.
    type: int
    default: 15
  timeout:
    description:
      - Seconds to wait for all the copies, from the start of the task. Nova's own is
        C([libvirt] images_rbd_glance_copy_timeout), 600 seconds.
      - A copy still running then is reported V(timed_out); Glance goes on with it.
    type: int
    default: 600
  copy_missing:
    description:
      - Whether to copy the images into the stores they are missing from.
      - With V(false) nothing is copied and the images missing from a store are reported
        V(missing), a read-only look for keep-warm runs.
    type: bool
    default: true
notes:
  - Needs a Glance with several stores (C(enabled_backends)) and C(copy-image) in
    C(enabled_import_methods), and a caller that Glance's policy allows to copy images
    (C(copy_image), admin by default).
  - A copy whose task fails before it reaches the store leaves the store in the image's
    C(os_glance_importing_to_stores) with no end; the module watches its own import task as well
    (Glance's image tasks API), so such a copy is reported V(failed), not V(timed_out).
seealso:
  - module: openstack_ops.precache.validate_images
  - module: openstack_ops.precache.cache_image
  - name: Glance's interoperable image import, copy-image
    description: How Glance copies an existing image to more stores.
    link: https://docs.openstack.org/glance/latest/admin/interoperable-image-import.html
author:
  - openstack_ops developers (@openstack-ops)
"""

EXAMPLES = r"""
- name: Check the images of the rollout
  openstack_ops.precache.validate_images:
    cloud: production
    images: [ubuntu-24.04, cirros-0.6]
  delegate_to: localhost
  run_once: true
  register: plan

- name: Put them into the Glance stores of the edge sites' Ceph clusters
  openstack_ops.precache.image_store_copy:
    cloud: production
    images: "{{ plan.images }}"
    stores: [edge-1-ceph, edge-2-ceph]
    timeout: 1800
  delegate_to: localhost
  run_once: true
  register: copies

- name: Show what each store got
  ansible.builtin.debug:
    var: copies.stores
  run_once: true
"""

RETURN = r"""
copies:
  description: One record per image and store, images in the order given.
  returned: success, and failure after the checks
  type: list
  elements: dict
  contains:
    id:
      description: Glance image id.
      type: str
    name:
      description: Image name.
      type: str
    store:
      description: The store.
      type: str
    status:
      description: V(present) (it was there), V(copied), V(failed), V(timed_out), or V(missing)
        (not there, and O(copy_missing) is false).
      type: str
    msg:
      description: What happened; for failures Glance's reason and what to do.
      type: str
    seconds:
      description: Seconds from the start of the task until this copy ended.
      type: float
target_stores:
  description: The stores asked for (O(stores) without duplicates), also when the checks failed.
  returned: always
  type: list
  elements: str
  sample: [edge-1-ceph, edge-2-ceph]
stores:
  description: For each store of O(stores), the image ids by status.
  returned: success, and failure after the checks
  type: dict
  sample:
    edge-1-ceph:
      present: [a26887c6-c47b-4654-abb5-dfadf7d3f803]
      copied: [0c3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f01]
      failed: []
      timed_out: []
      missing: []
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import store_copy
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.connection import (
    OpenStackModule)


class ImageStoreCopyModule(OpenStackModule):

    argument_spec = dict(
        images=dict(type="list", elements="raw", required=True),
        image_owners=dict(type="list", elements="str", default=[]),
        stores=dict(type="list", elements="str", required=True),
        poll_interval=dict(type="int", default=15),
        timeout=dict(type="int", default=600),
        copy_missing=dict(type="bool", default=True),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        params = self.params
        stores = list(dict.fromkeys(store for store in params["stores"] if store))
        try:
            if not stores:
                raise store_copy.StoreCopyError("stores is empty: name the Glance stores to "
                                                "copy the images to")
            copier = store_copy.StoreCopier(self.conn.image, params["poll_interval"],
                                            params["timeout"], check_mode=self.module.check_mode,
                                            copy_missing=params["copy_missing"])
            store_copy.check_stores(self.conn.image, stores)
            images = store_copy.resolve_images(
                self.conn.image, params["images"], caller=self.conn.current_project_id,
                trusted_owners=params["image_owners"])
            records = copier.copy(images, stores)
        except store_copy.StoreCopyError as err:
            self.module.fail_json(msg=str(err), target_stores=stores)
        result = dict(changed=any(r["status"] == store_copy.COPIED for r in records),
                      copies=records, stores=store_copy.summarize(records, stores),
                      target_stores=stores)
        problems = [r["msg"] for r in records
                    if r["status"] in (store_copy.FAILED, store_copy.TIMED_OUT)]
        if problems:
            self.module.fail_json(msg="%d of %d copies failed or timed out: %s" % (
                len(problems), len(records), "; ".join(problems)), **result)
        return result


def main():
    ImageStoreCopyModule()()


if __name__ == "__main__":
    main()
