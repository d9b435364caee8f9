# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Which images Nova caches, by Glance's disk and container formats: one list for both sides."""

# Glance disk formats whose content Nova's libvirt driver inspects and then boots from a cached
# base file, and that cache_image inspects the same way (see host/inspector.py). Not vhd: qemu
# names it vpc, Nova compares the names literally and refuses every VHD image. Not ploop (not
# inspected; Virtuozzo only). The AMI family (ami, aki, ari), which cache_image caches as Nova
# does, is left for operators to allow explicitly.
DEFAULT_DISK_FORMATS = ("raw", "qcow2", "vmdk", "vdi", "vhdx", "iso")
# Nova caches the data of these as it is (ovf and the AMI family wrap a plain disk).
CACHEABLE_CONTAINER_FORMATS = ("bare", "ovf", "ami", "aki", "ari")
REFUSED_CONTAINER_FORMATS = {
    "docker": "a Docker image (a tar archive of a container), not a disk the libvirt driver "
              "can boot",
    "ova": "an OVA archive (a tar of disks and their OVF descriptor); import it with Glance's "
           "ova plugin, which stores the disk inside as its own image",
    "compressed": "a compressed archive, which Nova does not unpack, so no instance could "
                  "boot from it",
}


def container_format_problem(container_format):
    """Why Nova would not cache an image of this container_format, or None when it would."""
    if container_format in CACHEABLE_CONTAINER_FORMATS:
        return None
    reason = REFUSED_CONTAINER_FORMATS.get(
        container_format, "not a container format Nova knows (it caches %s)"
        % ", ".join(CACHEABLE_CONTAINER_FORMATS))
    return "container_format %s is refused: %s" % (container_format, reason)
