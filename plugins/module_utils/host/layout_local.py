# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Base files in the local cache dir: images_type raw, flat, qcow2, lvm, ploop and default.

nova.virt.libvirt.imagebackend fetches the image into <instances_path>/<subdirectory_name> as
sha1(image id) and makes each instance disk from that base file (see cache_layout.py).
"""


class LocalFiles:
    """Nova boots from base files in the cache dir, which cache_image fills."""

    uses_cache_dir = True
    glance_store = None

    def __init__(self, settings):
        self.settings = settings

    def unsupported(self):
        return None
