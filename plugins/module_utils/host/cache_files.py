# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The names in Nova's image cache: base files, Nova's lock files, our temporary files.

A base file is `sha1(image_id)` (nova.virt.libvirt.imagecache.get_cache_fname), its lock
`<instances_path>/locks/nova-<sha1>`; our temporary files are `.precache-<sha1>-<random>.<purpose>`.
Also the flags every open in Nova's user's tree uses (no links followed, no blocking) and the
error of the cache (CacheError) with its descriptions of OS errors.
"""

import errno
import hashlib
import os
import re
import stat

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.sizes import (
    format_bytes)


TEMP_PREFIX = ".precache-"
# Temporaries whose image cannot be told from their name (an older release's) go after a day.
STALE_TEMP_AGE = 86400
NOVA_LOCK_PREFIX = "nova-"
LOCK_DIR_NAME = "locks"
_TEMP_RE = re.compile(r"^\.precache-([0-9a-f]{40})-[0-9a-f]+\.[a-z]+$")
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class CacheError(PrecacheError):
    """The cache dir, a lock or an install failed; the message says what to do."""


def cache_name(image_id):
    """The base file name Nova uses for an image id."""
    return hashlib.sha1(image_id.encode("utf-8")).hexdigest()


def fd_path(fd):
    """A path naming the open file itself, for qemu-img (given the descriptor) and open()."""
    return "/proc/self/fd/%d" % fd


def is_temp_name(entry):
    return entry.startswith(TEMP_PREFIX)


def temp_image(entry):
    """The base file name a temporary of ours belongs to, or None for an older-style name."""
    match = _TEMP_RE.match(entry)
    return match.group(1) if match else None


def describe_error(err):
    if err.errno == errno.ELOOP:
        return "it is a symbolic link"
    if err.errno == errno.ENOTDIR:
        return "it is not a directory"
    return err.strerror


def _describe_entry(name, dir_fd, err):
    """Why opening `name` without following links failed: O_DIRECTORY says ENOTDIR for a link."""
    if err.errno == errno.ENOTDIR:
        try:
            if stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
                return "it is a symbolic link"
        except OSError:
            pass
    return describe_error(err)


def read_bounded(fd, limit):
    """What descriptor `fd` holds from where it stands, or None when that is over `limit` bytes."""
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, limit + 1 - size)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    return None


def same_file(info, other):
    return info is not None and (info.st_dev, info.st_ino) == (other.st_dev, other.st_ino)


def check_free_space(free, needed, where, what, reserve=0):
    """Fail when `needed` more bytes would leave less than `reserve` of `free` bytes."""
    if needed + reserve > free:
        raise CacheError(
            "not enough space in %s for %s: %s needed%s, %s free; free some space or pre-cache "
            "fewer images" % (where, what, format_bytes(needed),
                              " plus a reserve of %s (free_space_reserve)" % format_bytes(reserve)
                              if reserve else "", format_bytes(free)))
