# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""images_type rbd: instance disks are Ceph clones of the image, the local cache is never used.

The image has to be in the Glance store backed by this host's Ceph cluster
([libvirt] images_rbd_glance_store_name), which image_store_copy fills (see cache_layout.py).
"""


class Rbd:
    """Nova clones instance disks from the image in Ceph: nothing to cache on this host."""

    uses_cache_dir = False

    def __init__(self, settings):
        self.settings = settings

    @property
    def glance_store(self):
        """The Glance store this host boots from (images_rbd_glance_store_name), else None."""
        return self.settings.images_rbd_glance_store_name or None

    def unsupported(self):
        """Why caching is pointless on this host: the image belongs in its Glance store."""
        store = self.settings.images_rbd_glance_store_name
        where = ("Glance store %r ([libvirt] images_rbd_glance_store_name)" % store if store else
                 "Glance store backed by this host's Ceph pool ([libvirt] "
                 "images_rbd_glance_store_name is not set, so Nova will not copy it there itself)")
        return ("this host uses [libvirt] images_type = rbd (%s): instance disks are cloned from "
                "the image in Ceph and the local cache is never used, so nothing was downloaded; "
                "put the image into the %s with openstack_ops.precache.image_store_copy (Glance "
                "copy-image) instead" % (", ".join(self.settings.nova_conf) or "nova.conf", where))
