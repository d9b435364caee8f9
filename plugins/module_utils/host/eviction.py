# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Keeping Nova's image cache within limits: which images make room for a new one, and removing them.

Only original base files (40-hex `sha1(image id)` names) are counted and evicted: they are the
images. Resized copies (`<sha1>_<n>`), swap and ephemeral files, Nova's `.part`/`.converted`
files and anything else stay untouched, and Nova's own cache manager ages them out. A file is
evicted only when no instance disk backs on it (nor on a resized copy of it), it is not pinned,
and it is the least recently used (oldest mtime, Nova's expiry clock) of those left. The choice
is made first, for the whole image: when the limits cannot be met even by evicting every
candidate, nothing is removed. Each file is removed under Nova's lock for it, after checking
again, under the lock, that no instance uses it and that nobody refreshed it meanwhile.
"""

import contextlib
import dataclasses
import os
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import (
    cache_inventory as inventory)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    CacheError, cache_name)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.sizes import (
    format_bytes, parse_size)


@dataclasses.dataclass
class Limits:
    """Per-host limits of the image cache; None is no limit."""

    max_size: int = None
    max_count: int = None
    max_percent: float = None

    @property
    def enabled(self):
        return any(value is not None for value in (self.max_size, self.max_count,
                                                   self.max_percent))

    def max_bytes(self, fs_total):
        """The stricter of max_size and max_percent of a filesystem of `fs_total` bytes."""
        caps = [] if self.max_size is None else [self.max_size]
        if self.max_percent is not None:
            caps.append(int(fs_total * self.max_percent / 100))
        return min(caps) if caps else None

    def describe(self, fs_total):
        parts = []
        if self.max_count is not None:
            parts.append("cache_max_count %d" % self.max_count)
        if self.max_size is not None:
            parts.append("cache_max_size %s" % format_bytes(self.max_size))
        if self.max_percent is not None:
            parts.append("cache_max_percent %g%% of %s"
                         % (self.max_percent, format_bytes(fs_total)))
        return ", ".join(parts)


def parse_limits(max_size=None, max_count=None, max_percent=None):
    """Limits from the module's options, with errors that name the option."""
    try:
        size = None if max_size in (None, "") else parse_size(max_size)
    except ValueError as err:
        raise ValueError("cache_max_size: %s" % err) from None
    if max_count is not None and max_count < 1:
        raise ValueError("cache_max_count must be at least 1, not %d" % max_count)
    if max_percent is not None and not 0 < max_percent <= 100:
        raise ValueError("cache_max_percent must be more than 0 and at most 100, not %g"
                         % max_percent)
    return Limits(size, max_count, max_percent)


@dataclasses.dataclass
class Plan:
    """The files to evict for one new image, least recently used first; `fits` False if none do."""

    victims: list
    fits: bool
    count: int
    disk_usage: int
    max_bytes: int


def choose(originals, incoming_size, limits, fs_total, pinned):
    """Pick the least recently used unused, unpinned originals until a new image fits the limits.

    `originals` are the cache's original base files other than the new image's own; the new
    image adds one file of `incoming_size` bytes on disk.
    """
    max_bytes = limits.max_bytes(fs_total)
    count = len(originals) + 1
    used = sum(f.disk_usage for f in originals) + incoming_size

    def over():
        return ((limits.max_count is not None and count > limits.max_count)
                or (max_bytes is not None and used > max_bytes))

    candidates = sorted((f for f in originals if not f.in_use and f.name not in pinned),
                        key=lambda f: (f.mtime, f.name))
    victims = []
    for candidate in candidates:
        if not over():
            break
        victims.append(candidate)
        count -= 1
        used -= candidate.disk_usage
    return Plan(victims, not over(), count, used, max_bytes)


def record(base_file, now):
    return {"name": base_file.name, "path": base_file.path, "size": base_file.size,
            "disk_usage": base_file.disk_usage, "mtime": base_file.mtime,
            "age": round(now - base_file.mtime, 3)}


class Evictor:
    """Makes room in one host's cache for new images, within `limits`, sparing `pinned_ids`."""

    def __init__(self, cache_dir, qemu_img, limits, pinned_ids):
        self.cache_dir = cache_dir
        self.qemu_img = qemu_img
        self.limits = limits
        self.pinned = {cache_name(image_id) for image_id in pinned_ids}

    def _usage(self):
        """Which base files the instance disks use; CacheError when any disk cannot be read."""
        usage = inventory.scan_usage(self.cache_dir, self.qemu_img)
        if usage.errors:
            raise CacheError(
                "cannot tell which cached images instances use, so nothing was evicted: %s"
                % "; ".join(usage.errors))
        return usage

    def _plan(self, incoming_name, incoming_size, skipped):
        usage = self._usage()
        originals = [f for f in inventory.list_base_files(self.cache_dir, usage)
                     if f.kind == inventory.ORIGINAL and f.name != incoming_name]
        fs_total = inventory.filesystem(self.cache_dir)["total"]
        plan = choose(originals, incoming_size, self.limits, fs_total, self.pinned | skipped)
        if not plan.fits:
            spared = [f for f in originals if f not in plan.victims]
            raise CacheError(
                "it does not fit the cache limits (%s) even after evicting every cached image "
                "that no instance uses and that is not pinned: %d images, %s on disk would "
                "remain with it (%d in use, %d pinned, %d busy); nothing was evicted: raise the "
                "limits or unpin images"
                % (self.limits.describe(fs_total), plan.count, format_bytes(plan.disk_usage),
                   sum(1 for f in spared if f.in_use),
                   sum(1 for f in spared if f.name in self.pinned and not f.in_use),
                   sum(1 for f in spared if f.name in skipped and not f.in_use)))
        return plan

    def preview(self, incoming_name, incoming_size):
        """What make_room would evict (check mode); raises CacheError when it cannot fit."""
        now = time.time()
        return [record(f, now) for f in self._plan(incoming_name, incoming_size, set()).victims]

    def make_room(self, incoming_name, incoming_size):
        """Evict what a new image of `incoming_size` bytes on disk needs; return what went.

        The caller holds Nova's lock of the new image. A file whose lock is busy, that an
        instance started to use, or that was refreshed since it was chosen is spared and the
        choice made again; nothing is removed until the whole choice holds under the locks.
        """
        skipped = set()
        while True:
            plan = self._plan(incoming_name, incoming_size, skipped)
            if not plan.victims:
                return []
            with contextlib.ExitStack() as locks:
                changed = self._lock_and_recheck(plan.victims, locks)
                if not changed:
                    return self._remove(plan.victims)
            skipped.update(changed)

    def _lock_and_recheck(self, victims, locks):
        """Take the victims' locks (not waiting); return the names no longer to be evicted."""
        changed = set()
        for victim in victims:
            try:
                locks.enter_context(self.cache_dir.lock(victim.name, 0))
            except CacheError:
                changed.add(victim.name)
        if changed:
            return changed
        usage = self._usage()
        for victim in victims:
            info = self.cache_dir.lstat(victim.name)
            if info is None or info.st_mtime != victim.mtime or usage.users(victim.name):
                changed.add(victim.name)
        return changed

    def _remove(self, victims):
        now = time.time()
        for victim in victims:
            self.cache_dir.remove(victim.name)
        os.fsync(self.cache_dir.fd)
        return [record(victim, now) for victim in victims]
