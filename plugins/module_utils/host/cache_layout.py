# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's image cache layout on this host, chosen once from its [libvirt] images_type.

Each layout is a class in its own layout_*.py file, registered here by the images_type values
it serves; every other image type has base files in the local cache dir (layout_local.py).
A layout answers what the modules ask of it:
- `uses_cache_dir`: whether Nova boots from base files in the local cache dir, so that the
  dir is made, qemu-img is needed and images are downloaded into it;
- `unsupported()`: why caching here is pointless (reported per image as `unsupported`), or None;
- `glance_store`: the Glance store the host's instances are cloned from, or None.

To add a layout: write layout_<name>.py with such a class and add it to _LAYOUTS.
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.layout_local import (
    LocalFiles)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.layout_rbd import Rbd

# images_type -> the layout; the types not listed keep base files in the local cache dir.
_LAYOUTS = {
    "rbd": Rbd,
}


def layout_for(settings):
    """The cache layout of this host's NovaSettings."""
    return _LAYOUTS.get(settings.images_type, LocalFiles)(settings)
