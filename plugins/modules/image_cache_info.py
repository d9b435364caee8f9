#!/usr/bin/python
# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report what Nova's image cache on a compute host holds, who uses it and when it expires."""

DOCUMENTATION = r"""
module: image_cache_info
short_description: Report what Nova's image cache on a compute host holds and when it expires
version_added: 0.1.0
description:
  - Runs on a Nova compute host and lists the base files of Nova's image cache, found from the
    host's C(nova.conf) as M(openstack_ops.precache.cache_image) finds it.
  - For each original image (C(sha1(image id))) and resized copy (C(<sha1>_<n>)) it reports the
    image id when one of O(images) has that name, the size and the bytes it takes on disk, the
    format, the modification time and age, whether an instance disk on this host uses it, and
    when Nova's image cache manager will remove it if nothing uses or refreshes it.
  - In use follows Nova's rules. A base file is in use when it is the backing file of an
    instance disk C(<instances_path>/<instance>/disk) (or C(disk.rescue)), read with
    C(qemu-img info); an instance backed by a resized copy uses the original too.
  - Expiry follows the host's own settings C([image_cache] remove_unused_original_minimum_age_seconds)
    (C(remove_unused_resized_minimum_age_seconds) for resized copies), C(manager_interval) and
    C(remove_unused_base_images).
  - Also lists our own temporary files (C(.precache-*)) and whether they are stale, totals, and
    the free space of the cache dir's filesystem.
  - Reads only.
extends_documentation_fragment:
  - openstack_ops.precache.nova_host
  - openstack_ops.precache.attributes
attributes:
  check_mode:
    details: The module changes nothing and reports the same in check mode.
options:
  images:
    description:
      - Images to name in the report, as ids or as the C(images) list of
        M(openstack_ops.precache.validate_images) (records with C(id) and C(name)). Base files
        of other images are listed with their sha1 name only.
      - The result's RV(images_cached) and RV(images_missing) are about these images.
    type: list
    elements: raw
    default: []
notes:
  - Instance disks are read as Nova's user, with the format their C(disk.info) records (else our
    own header check finds it). A raw disk, whose first bytes the guest writes, is never handed
    to C(qemu-img), and a qcow2 disk's backing file is read from its header.
  - Runs with Python 3.9 or later and nothing but the standard library.
  - Instances whose disks are not backed by a base file (C([libvirt] images_type) V(raw) or
    V(flat)) do not make it in use here; Nova keeps such images for the instances' C(image_ref),
    which only its database knows.
seealso:
  - module: openstack_ops.precache.cache_image
author:
  - openstack_ops developers (@openstack-ops)
"""

EXAMPLES = r"""
- name: What is cached on the compute hosts
  openstack_ops.precache.image_cache_info:
  register: cache

- name: Name the images of the plan
  openstack_ops.precache.image_cache_info:
    images: "{{ plan.images }}"
  register: cache

- name: Images that expire within six hours
  ansible.builtin.debug:
    msg: "{{ cache.files | selectattr('expires_in', 'number') | selectattr('expires_in', 'lt', 21600) | map(attribute='path') }}"
"""

RETURN = r"""
cache_dir:
  description: The cache dir looked at.
  returned: always
  type: str
  sample: /var/lib/nova/instances/_base
nova_conf:
  description: What the host's Nova configuration says about its image cache, expiry included.
  returned: always
  type: dict
files:
  description: The base files, by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: File name.
      type: str
    path:
      description: Full path.
      type: str
    kind:
      description: V(original) (C(sha1(image id))) or V(resized) (C(<sha1>_<n>)).
      type: str
    image_id:
      description: The image id, when one of O(images) has this name; else null.
      type: str
    image_name:
      description: The image's name, when O(images) gave it.
      type: str
    size:
      description: Apparent size in bytes.
      type: int
    disk_usage:
      description: Bytes taken on disk (less than C(size) for a sparse file).
      type: int
    format:
      description: Format read from the file's header (V(raw), V(qcow2), ...); null if unreadable.
      type: str
    mtime:
      description: Modification time, seconds since the epoch; Nova's expiry clock.
      type: float
    age:
      description: Seconds since C(mtime).
      type: float
    in_use:
      description: Whether an instance disk on this host uses it.
      type: bool
    used_by:
      description: The instance directories whose disks use it.
      type: list
      elements: str
    expires_at:
      description: When Nova's cache manager may remove it (C(mtime) plus the minimum age),
        seconds since the epoch; null when it never expires.
      type: float
    expires_by:
      description: When it is removed at the latest (the first pass after C(expires_at)).
      type: float
    expires_in:
      description: Seconds from now to C(expires_at); negative when it may go at the next pass.
      type: float
    never_expires_because:
      description: Why it does not expire (in use, or the host's settings); null when it does.
      type: str
temps:
  description: Our own temporary files in the cache dir, with C(name), C(size), C(disk_usage),
    C(age) and C(stale) (over a day old, so left by an interrupted run; the next
    M(openstack_ops.precache.cache_image) removes them).
  returned: always
  type: list
  elements: dict
totals:
  description: C(count) of originals, C(resized_count), C(size), C(disk_usage) of all base files,
    and C(in_use), the number of base files in use.
  returned: always
  type: dict
filesystem:
  description: C(total), C(free) and C(used) bytes of the cache dir's filesystem.
  returned: always
  type: dict
images_cached:
  description: The ids of O(images) cached here.
  returned: always
  type: list
  elements: str
images_missing:
  description: The ids of O(images) not cached here.
  returned: always
  type: list
  elements: str
usage_errors:
  description: Instance disks that could not be read, so what they use is unknown.
  returned: always
  type: list
  elements: str
now:
  description: The host's time of the report, seconds since the epoch.
  returned: always
  type: float
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_dir import CacheDir
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_inventory import (
    report)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.host_module import (
    HostModule)

ARGUMENT_SPEC = dict(
    images=dict(type="list", elements="raw", default=[]),
)


class ImageCacheInfoModule(HostModule):
    """Argument handling around cache_inventory.report."""

    argument_spec = ARGUMENT_SPEC
    # Reading what Nova's user cannot read is an error of the report, not a traceback.
    errors = HostModule.errors + (OSError,)

    def run(self):
        def work():
            with CacheDir(self.settings, self.uid, create=False) as cache_dir:
                return report(self.settings, self.qemu_img, cache_dir, self.params["images"])
        return self.run_as_nova(work)

    def finish(self, outcome):
        self.warn(self.layout.unsupported(),
                  *("what this instance disk uses is unknown: %s" % error
                    for error in outcome["usage_errors"]))
        self.module.exit_json(changed=False, **self.common_result(), **outcome)


def main():
    ImageCacheInfoModule()()


if __name__ == "__main__":
    main()
