#!/usr/bin/python
# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resolve and check Glance images on the controller; return the download plan."""

DOCUMENTATION = r"""
module: validate_images
short_description: Resolve and check Glance images before any compute host is touched
version_added: 0.1.0
description:
  - Runs on the controller (on localhost, or delegated to it) and turns image
    names, ids, tags and a JMESPath query into the download plan that the C(cache_image) module
    takes, after checking that every image can be downloaded and cached.
  - The selections combine, in the order O(images), O(tags), O(query), and each image is
    planned once.
  - All the images are checked first; then one failure lists every bad reference and why. An
    image is refused when it is not found (or not visible to the caller), its name is
    ambiguous, its status is not C(active) (queued, saving, importing, deactivated, killed,
    deleted, pending delete), it has no data, its C(disk_format) is not in
    O(allowed_disk_formats), or its C(container_format) is not C(bare). A selection that selects
    nothing is refused too.
  - Reads only; the result is the same in check mode.
extends_documentation_fragment:
  - openstack_ops.precache.openstack
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module changes nothing; check mode returns the same plan and token.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
options:
  images:
    description:
      - Names or ids of images. A name must match exactly one image the caller can see.
      - Images hidden from Glance's list (C(os_hidden)) are found by id only.
    type: list
    elements: str
  tags:
    description:
      - Select every active image that carries all these tags. Images that carry them but are
        not active are left out with a warning.
    type: list
    elements: str
  query:
    description:
      - A JMESPath expression over Glance's image list (as Glance's API returns it, custom
        properties beside the standard ones), for selections that tags cannot express, such
        as V([?os_distro=='ubuntu' && status=='active']).
      - It may give images, or names or ids (V([?os_distro=='ubuntu'].id)), which are then
        resolved as O(images) are.
      - The selected images are checked as all others are, so select the active ones only
        when others may match.
      - Needs the Python library jmespath on the controller.
    type: str
  allowed_disk_formats:
    description:
      - The C(disk_format) values accepted.
      - The default is what Nova's libvirt driver inspects and boots from its image cache,
        and what C(cache_image) accepts. C(vhd) is not there because Nova refuses every VHD
        image (qemu names the format C(vpc)); C(ami), C(aki) and C(ari) can be added for
        images in a C(bare) container.
    type: list
    elements: str
    default: [raw, qcow2, vmdk, vdi, vhdx, iso]
  issue_token:
    description:
      - Whether to return a Keystone token of the caller in RV(auth_token), for C(cache_image)
        to download the images with.
      - The token is issued only when every image passed its checks. A result that holds a
        token is hidden from the output, as with C(no_log), at every verbosity; register it
        and show what you need. Failures carry no token and are shown in full.
      - The token lives as long as the cloud's Keystone tokens (often an hour), so take a fresh
        one for each batch of hosts of a long run.
    type: bool
    default: false
notes:
  - C(container_format) must be C(bare), the only one C(cache_image) caches (the disk itself,
    as Nova's libvirt driver boots it). Nova boots AMI kernel/ramdisk triples and C(ovf)
    containers otherwise, and C(compressed) ones not at all.
  - Glance answers "not found" for an image the caller may not see, so a private image of
    another project is reported as not found.
seealso:
  - module: openstack_ops.precache.cache_image
author:
  - openstack_ops developers (@openstack-ops)
"""

EXAMPLES = r"""
- name: Check the images of the rollout and get the plan and a token
  openstack_ops.precache.validate_images:
    cloud: production
    images:
      - ubuntu-24.04
      - a26887c6-c47b-4654-abb5-dfadf7d3f803
    tags: [mission-critical]
    issue_token: true
  delegate_to: localhost
  run_once: true
  register: plan

- name: Cache them on the compute hosts
  openstack_ops.precache.cache_image:
    images: "{{ plan.images }}"
    auth_token: "{{ plan.auth_token }}"

- name: Every active Ubuntu image in qcow2 or raw
  openstack_ops.precache.validate_images:
    cloud: production
    query: "[?os_distro=='ubuntu' && status=='active']"
    allowed_disk_formats: [qcow2, raw]
  delegate_to: localhost
"""

RETURN = r"""
images:
  description: The download plan, one record per image, in the order selected; what
    O(openstack_ops.precache.cache_image#module:images) takes.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Glance image id.
      type: str
    name:
      description: Image name.
      type: str
    size:
      description: Size of the image data in bytes.
      type: int
    virtual_size:
      description: Virtual disk size in bytes, when Glance knows it.
      type: int
    disk_format:
      description: Glance's C(disk_format).
      type: str
    container_format:
      description: Glance's C(container_format), always C(bare).
      type: str
    checksum:
      description: MD5 of the data.
      type: str
    os_hash_algo:
      description: Algorithm of RV(images[].os_hash_value), such as C(sha512).
      type: str
    os_hash_value:
      description: Hash of the data.
      type: str
    url:
      description: URL of the image data in Glance's API.
      type: str
      sample: https://glance.example.com:9292/v2/images/a26887c6-c47b-4654-abb5-dfadf7d3f803/file
    stores:
      description: The Glance stores that hold the data (multistore Glance), else empty.
      type: list
      elements: str
image_endpoint:
  description: Glance's endpoint, without the API version.
  returned: success
  type: str
  sample: https://glance.example.com:9292
total_size:
  description: Bytes of image data the plan downloads to each host.
  returned: success
  type: int
auth_token:
  description: A Keystone token of the caller; hidden from the output (see O(issue_token)).
  returned: success and O(issue_token) is true
  type: str
auth_token_expires_at:
  description: When RV(auth_token) expires (ISO 8601, UTC).
  returned: success and O(issue_token) is true
  type: str
  sample: '2026-11-21T22:31:44+00:00'
problems:
  description: On failure, every bad reference and why.
  returned: failure
  type: list
  elements: dict
  contains:
    reference:
      description: The reference, or the image, and what selected it.
      type: str
    reason:
      description: Why it cannot be cached, and what to do.
      type: str
    id:
      description: Image id, when the image was found.
      type: str
    name:
      description: Image name, when the image was found.
      type: str
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils import _image_plan
from ansible_collections.openstack_ops.precache.plugins.module_utils._openstack import (
    OpenStackModule)


class ValidateImagesModule(OpenStackModule):

    argument_spec = dict(
        images=dict(type="list", elements="str"),
        tags=dict(type="list", elements="str"),
        query=dict(type="str"),
        allowed_disk_formats=dict(type="list", elements="str",
                                  default=list(_image_plan.DEFAULT_DISK_FORMATS)),
        issue_token=dict(type="bool", default=False),
    )
    module_kwargs = dict(supports_check_mode=True,
                         required_one_of=[("images", "tags", "query")])

    def run(self):
        params = self.params
        planner = _image_plan.ImagePlanner(self.conn.image, params["allowed_disk_formats"],
                                           caller=self.conn.current_project_id)
        if params["images"] is not None:
            planner.select_references(params["images"])
        if params["tags"]:
            planner.select_tags(params["tags"])
        if params["query"]:
            planner.select_query(params["query"])
        for warning in planner.warnings:
            self.module.warn(warning)
        endpoint = _image_plan.image_endpoint(self.conn.image.get_endpoint())
        try:
            plan = planner.plan(endpoint)
        except _image_plan.PlanError as err:
            self.module.fail_json(msg=str(err), problems=err.problems)
        result = dict(changed=False, images=plan, total_size=_image_plan.total_size(plan),
                      image_endpoint=endpoint)
        if params["issue_token"]:
            access = self.conn.session.auth.get_access(self.conn.session)
            result.update(auth_token=access.auth_token,
                          auth_token_expires_at=access.expires.isoformat())
        return result


def main():
    ValidateImagesModule()()


if __name__ == "__main__":
    main()
