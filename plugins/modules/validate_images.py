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
  - The selections combine, in the order O(images), O(tags), O(query), O(popular), and each
    image is planned once. RV(selection) says why each image is in the plan.
  - 'Trusted owners: O(tags), O(query) and O(popular) select only public images and images
    of the credentials'' project and of O(image_owners); the other images they match are left
    out, listed in RV(ignored) with why, and named in a warning. O(images) takes any image
    the credentials can see, but a name resolves among the trusted owners'' images first
    (other images of that name are ignored, and do not make it ambiguous), and a reference
    shaped like a UUID is an id, never a name. See the collection''s docs/trust_boundaries.md.'

  - All the images are checked first; then one failure lists every bad reference and why. An
    image is refused when it is not found (or not visible to the caller), its name is
    ambiguous, its status is not C(active) (queued, saving, importing, deactivated, killed,
    deleted, pending delete), it has no data, its C(disk_format) is not in
    O(allowed_disk_formats), or its C(container_format) is not C(bare). A selection that selects
    nothing is refused too.
  - Signed images (the Glance properties C(img_signature), C(img_signature_hash_method),
    C(img_signature_key_type) and C(img_signature_certificate_uuid), which hosts with
    C([glance] verify_glance_signatures) verify as Nova does) are checked too, see
    O(check_signatures); each certificate is fetched once from the key manager (Barbican).
  - Reads only; the result is the same in check mode.
extends_documentation_fragment:
  - openstack_ops.precache.openstack
  - openstack_ops.precache.attributes
attributes:
  check_mode:
    details: The module changes nothing; check mode returns the same plan and token.
options:
  images:
    description:
      - Names or ids of images. A reference shaped like a UUID is an id; any other is a name,
        which must match exactly one image of the trusted owners (see O(image_owners)), or,
        when none has it, exactly one image the caller can see.
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
  popular:
    description:
      - Select the images that the cloud's instances were booted from, the most used first,
        which is what the hosts' workloads actually boot.
      - The instances are counted per image from one listing of the servers of all projects
        (paginated), which needs an administrator. Instances booted from a volume have no
        image and are not counted.
      - A candidate image that no longer exists in Glance, is not active or could not be
        cached (see O(allowed_disk_formats)) is skipped and the next one taken; it is reported
        in RV(popular), not a failure.
      - RV(popular) gives the counts and what was selected and skipped.
    type: dict
    suboptions:
      top:
        description:
          - How many images to select (per aggregate with O(popular.scope=aggregate)).
        type: int
        required: true
      min_instances:
        description:
          - Select only images used by at least this many instances.
        type: int
        default: 1
      scope:
        description:
          - V(cloud) counts every instance of the cloud.
          - V(aggregate) counts, per aggregate named in O(popular.aggregates), the instances
            on its hosts, and selects the top O(popular.top) of each.
        type: str
        choices: [cloud, aggregate]
        default: cloud
      aggregates:
        description:
          - Names of Nova aggregates (as Nova shows them), for O(popular.scope=aggregate).
        type: list
        elements: str
      statuses:
        description:
          - The server statuses counted, as Nova's API shows them. The default counts the
            instances that hold their image on their host, running or stopped.
        type: list
        elements: str
        default: [ACTIVE, SHUTOFF]
  image_owners:
    description:
      - Ids of projects (Glance's C(owner)) whose private, shared and community images
        O(tags), O(query) and O(popular) may select, besides public images and the
        credentials' own project, which are always trusted.
      - Any tenant can tag, describe and boot its images, so its images are data to the
        selections unless it is listed here.
    type: list
    elements: str
    default: []
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
  check_signatures:
    description:
      - Whether to check the signed images of the plan as hosts that verify signatures
        (Nova's C([glance] verify_glance_signatures)) would, before any host is touched.
      - An image that carries any of the signature properties is refused when they are
        incomplete, name a hash method or key type Nova does not know, or C(img_signature) is
        not base64; and when its certificate (the Barbican secret
        C(img_signature_certificate_uuid)) is missing, cannot be read by the credentials'
        project, is not a PEM X.509 certificate of secret type C(certificate), is expired or
        not yet valid, or has a key of another class than C(img_signature_key_type) claims
        (RSA for C(RSA-PSS), DSA for C(DSA), EC for the C(ECC_*) types). A cloud whose catalog
        has no key-manager endpoint cannot have its signed images checked, and they are
        refused.
      - The signature itself is checked by the hosts, against the data they download.
      - Set it to V(false) for clouds whose hosts do not verify signatures and that have no
        key manager.
      - Needs the Python library cryptography on the controller (openstacksdk needs it too).
    type: bool
    default: true
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

- name: The mission-critical images and the 3 most used in each aggregate of the rollout
  openstack_ops.precache.validate_images:
    cloud: production
    tags: [mission-critical]
    popular:
      top: 3
      min_instances: 2
      scope: aggregate
      aggregates: [edge-1, edge-2]
  delegate_to: localhost
  run_once: true
  register: plan

- name: Show why each image is in the plan
  ansible.builtin.debug:
    msg: "{{ plan.selection }}"

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
    id: &image_id
      description: Glance image id.
      type: str
    name: &image_name
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
    img_signature:
      description: The image's signature (base64), Glance's C(img_signature) property; null
        when the image is not signed.
      type: str
    img_signature_hash_method:
      description: The hash method of the signature, such as C(SHA-256); null when unset.
      type: str
    img_signature_key_type:
      description: The signing key's type, such as C(RSA-PSS) or C(ECC_SECP384R1); null when
        unset.
      type: str
    img_signature_certificate_uuid:
      description: The Barbican secret that holds the signing certificate; null when unset.
      type: str
selection:
  description: Why each image is in the plan, in the order of RV(images).
  returned: success
  type: list
  elements: dict
  contains:
    id: *image_id
    name: *image_name
    owner: &image_owner
      description: The project that owns the image (Glance's C(owner)).
      type: str
    visibility: &image_visibility
      description: Glance's C(visibility) of the image.
      type: str
    selected_by:
      description:
        - Every selection that picked the image; C(selector) is V(explicit) (O(images), with
          C(reference)), V(tag) (with C(tags)), V(query) (with C(query)) or V(popular) (with
          C(instances), the instances booted from it, and C(aggregate) with
          O(popular.scope=aggregate)).
      type: list
      elements: dict
      sample:
        - selector: tag
          tags: [mission-critical]
        - selector: popular
          instances: 12
          aggregate: edge-1
ignored:
  description:
    - Images that a selection matched but left out, because their owner is not trusted (see
      O(image_owners)), or because they have the name of a trusted owner's image.
  returned: always
  type: list
  elements: dict
  contains:
    id: *image_id
    name: *image_name
    owner: *image_owner
    visibility: *image_visibility
    source:
      description: The selection that matched it, such as C(tags mission-critical).
      type: str
    reason:
      description: Why it was left out.
      type: str
trusted_owners:
  description: The projects whose images the selections take (besides public images).
  returned: always
  type: list
  elements: str
other_projects:
  description:
    - Projects other than the credentials' whose non-public images RV(selection) or
      RV(ignored) name; a file that lists them should not be world-readable.
  returned: always
  type: list
  elements: str
popular:
  description: The instance counts behind O(popular), and what they selected.
  returned: when O(popular) is given
  type: dict
  contains:
    scope:
      description: O(popular.scope).
      type: str
    statuses:
      description: The server statuses counted.
      type: list
      elements: str
    servers:
      description: Servers listed (in the statuses counted), in all projects.
      type: int
    from_volume:
      description: Of those, servers booted from a volume, which have no image.
      type: int
    groups:
      description: One ranking per aggregate, or one named C(cloud) for the whole cloud.
      type: list
      elements: dict
      contains:
        group:
          description: The aggregate's name, or C(cloud).
          type: str
        instances:
          description: Instances counted there that were booted from an image.
          type: int
        images:
          description: Distinct images those instances were booted from.
          type: int
        below_min_instances:
          description: Of those, images used by fewer than O(popular.min_instances) instances.
          type: int
        selected:
          description: The images selected, the most used first, with C(id), C(name) and
            C(instances).
          type: list
          elements: dict
        skipped:
          description: Candidates passed over, with C(id), C(name) (when Glance shows it),
            C(instances) and C(reason), such as an image deleted from Glance.
          type: list
          elements: dict
image_endpoint:
  description: Glance's endpoint, without the API version.
  returned: success
  type: str
  sample: https://glance.example.com:9292
total_size:
  description: Bytes of image data the plan downloads to each host.
  returned: success
  type: int
key_manager_endpoint:
  description:
    - The key manager's (Barbican's) endpoint in the catalog, for the connection's interface
      and region, without a trailing slash; what hosts that verify signatures fetch the
      certificates from.
    - Null when no image of the plan is signed, or the catalog has no key manager.
  returned: success
  type: str
  sample: https://barbican.example.com:9311
certificates:
  description:
    - The certificates that sign the plan's images, one per certificate, in the order first
      used; empty when no image is signed or O(check_signatures) is false. On failure, those
      that could be read.
    - The subject and issuer are a tenant's, shown with control characters escaped.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The Barbican secret's uuid (the images' C(img_signature_certificate_uuid)).
      type: str
    subject:
      description: The certificate's subject, as an RFC 4514 string.
      type: str
      sample: CN=image-signing,O=Example
    issuer:
      description: The certificate's issuer, as an RFC 4514 string.
      type: str
    not_valid_before:
      description: Start of the certificate's validity (ISO 8601, UTC).
      type: str
      sample: '2026-01-01T00:00:00+00:00'
    not_valid_after:
      description: End of the certificate's validity (ISO 8601, UTC).
      type: str
    key:
      description: The public key's class and size or curve.
      type: str
      sample: RSA 2048
    sha256_fingerprint:
      description: SHA-256 of the certificate (DER), in hex.
      type: str
    images:
      description: Ids of the plan's images signed with it.
      type: list
      elements: str
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

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.nova_formats import (
    DEFAULT_DISK_FORMATS)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import (
    image_plan, image_selection, popularity, signing_certificates)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.connection import (
    OpenStackModule)


class ValidateImagesModule(OpenStackModule):

    argument_spec = dict(
        images=dict(type="list", elements="str"),
        tags=dict(type="list", elements="str"),
        query=dict(type="str"),
        popular=dict(type="dict", options=dict(
            top=dict(type="int", required=True),
            min_instances=dict(type="int", default=1),
            scope=dict(type="str", choices=list(popularity.SCOPES), default="cloud"),
            aggregates=dict(type="list", elements="str"),
            statuses=dict(type="list", elements="str",
                          default=list(popularity.DEFAULT_STATUSES)),
        )),
        image_owners=dict(type="list", elements="str", default=[]),
        allowed_disk_formats=dict(type="list", elements="str",
                                  default=list(DEFAULT_DISK_FORMATS)),
        issue_token=dict(type="bool", default=False),
        check_signatures=dict(type="bool", default=True),
    )
    module_kwargs = dict(supports_check_mode=True,
                         required_one_of=[("images", "tags", "query", "popular")])

    def run(self):
        params = self.params
        planner = image_selection.ImagePlanner(
            self.conn.image, params["allowed_disk_formats"], caller=self.conn.current_project_id,
            trusted_owners=params["image_owners"])
        if params["images"] is not None:
            planner.select_references(params["images"])
        if params["tags"]:
            planner.select_tags(params["tags"])
        if params["query"]:
            planner.select_query(params["query"])
        popular = self._select_popular(planner) if params["popular"] else {}
        signing = signing_certificates.SigningCertificates(
            self.conn, verify=params["check_signatures"])
        endpoint = image_plan.image_endpoint(self.conn.image.get_endpoint())
        failure = None
        try:
            plan = planner.plan(endpoint, signatures=signing)
        except image_plan.PlanError as err:
            failure = err
        for warning in planner.warnings + planner.ignored_warnings() + signing.warnings:
            self.module.warn(warning)
        found = dict(popular, ignored=planner.ignored, trusted_owners=planner.trusted_owners,
                     other_projects=planner.other_projects(), certificates=signing.certificates())
        if failure is not None:
            self.module.fail_json(msg=str(failure), problems=failure.problems, **found)
        result = dict(changed=False, images=plan, total_size=image_plan.total_size(plan),
                      image_endpoint=endpoint, selection=planner.selection(),
                      key_manager_endpoint=signing.endpoint, **found)
        if params["issue_token"]:
            access = self.conn.session.auth.get_access(self.conn.session)
            result.update(auth_token=access.auth_token,
                          auth_token_expires_at=access.expires.isoformat())
        return result

    def _select_popular(self, planner):
        """Count the instances per image and select the top ones; the `popular` result."""
        options = self.params["popular"]
        try:
            statuses = popularity.check_options(
                options["top"], options["min_instances"], options["scope"],
                options["aggregates"], options["statuses"])
            census = popularity.census(self.conn.compute, options["scope"],
                                       options["aggregates"], statuses)
        except popularity.PopularityError as err:
            self.module.fail_json(msg=str(err))
        groups = [planner.select_popular(census, group, options["top"],
                                         options["min_instances"])
                  for group in census.groups]
        return dict(popular=dict(scope=options["scope"], statuses=statuses,
                                 servers=census.servers, from_volume=census.from_volume,
                                 groups=groups))


def main():
    ValidateImagesModule()()


if __name__ == "__main__":
    main()
