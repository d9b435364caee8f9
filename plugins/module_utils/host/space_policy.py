# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""How much room an image needs in the cache dir, and the guard that keeps a reserve free while
the download and the conversion write."""

import io

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import cache_files
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.sizes import (
    format_bytes)

# The download's writes check the free space this often.
SPACE_CHECK_BYTES = 64 * 1024 * 1024


class SpacePolicy:
    """How much room an image needs before, and keeps while, it is written.

    `reserve` bytes stay free for the instances that share the filesystem. With `check`
    `virtual` a raw conversion needs the image's virtual size, as a fully written raw file
    would; with `data` only the data qemu-img would write (`qemu-img map`), for
    thin-provisioned hosts where a huge, sparse raw file is fine.
    """

    def __init__(self, reserve=0, check="virtual"):
        self.reserve = reserve
        self.check = check

    def before_download(self, image, convert):
        needed = image.get("size") or 0
        if convert and self.check == "virtual" and image.get("disk_format") != "raw":
            needed += image.get("virtual_size") or 0
        return needed

    def for_conversion(self, info, path, qemu_img):
        if self.check == "data":
            return qemu_img.data_size(path, info["format"])
        return info["virtual_size"] or 0

    def guard(self, cache_dir, what):
        """A check to call while `what` writes: fails once the reserve is reached."""
        def check():
            free = cache_dir.free_bytes()
            if free < self.reserve:
                raise cache_files.CacheError(
                    "%s stopped: %s is down to %s free, below the reserve of %s "
                    "(free_space_reserve) kept for the instances on that filesystem"
                    % (what, cache_dir.path, format_bytes(free), format_bytes(self.reserve)))
        return check


class GuardedFile(io.FileIO):
    """A temporary file that checks the free space every 64 MiB written."""

    def __init__(self, fd, check):
        super().__init__(fd, "r+", closefd=False)
        self._check = check
        self._since = 0

    def write(self, data):
        self._since += len(data)
        if self._since >= SPACE_CHECK_BYTES:
            self._since = 0
            self._check()
        return super().write(data)
