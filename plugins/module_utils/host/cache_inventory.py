# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What Nova's image cache on this host holds: base files, who uses them, and when they expire.

The rules are those of Nova's image cache manager (nova/virt/imagecache.py and
nova/virt/libvirt/imagecache.py): a 40-character name in the cache dir is an original image
(`sha1(image id)`), `<sha1>_<n>` is a resized copy of it; a base file is in use when it is the
backing file (by name) of an instance disk `<instances_path>/<instance>/disk`, and an instance
using a resized copy uses its image, so the original counts as in use too. An unused file is
removed by the cache manager's first pass after its age since mtime reaches
`remove_unused_original_minimum_age_seconds` (resized copies:
`remove_unused_resized_minimum_age_seconds`); passes run every `manager_interval` seconds.
"""

import dataclasses
import json
import os
import re
import stat
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    CacheError, cache_name, fd_path, is_temp_name)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.inspector import (
    ImageFormatError, detect_format, qcow2_backing_file)

ORIGINAL, RESIZED = "original", "resized"
_ORIGINAL_RE = re.compile(r"^[0-9a-f]{40}$")
# Nova's resized copies are `<sha1>_<n>`; `<sha1>_sm` is the older name of the same thing.
_RESIZED_RE = re.compile(r"^([0-9a-f]{40})_(?:[0-9]+|sm)$")
# Nova reads `disk` only. A rescued instance also boots `disk.rescue` from a base file, so it is
# read too: one file more counted as in use never removes anything.
INSTANCE_DISKS = ("disk", "disk.rescue")
# oslo.service runs a periodic task with spacing 0 at its default interval.
DEFAULT_PERIODIC_INTERVAL = 60


def classify(entry):
    """(kind, sha1 of the original) of a cache dir entry name, or (None, None) for other files."""
    if _ORIGINAL_RE.match(entry):
        return ORIGINAL, entry
    match = _RESIZED_RE.match(entry)
    if match:
        return RESIZED, match.group(1)
    return None, None


@dataclasses.dataclass
class Usage:
    """Base file names that instance disks on this host back on, and disks that could not be read."""

    by_file: dict
    errors: list

    def users(self, name):
        """Instances using base file `name`; an original is used through its resized copies too."""
        users = set(self.by_file.get(name, ()))
        kind, original = classify(name)
        if kind == ORIGINAL:
            for other, instances in self.by_file.items():
                if classify(other) == (RESIZED, original):
                    users.update(instances)
        return sorted(users)


_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
# Nova's disk.info names; qemu-img's where they differ.
_QEMU_NAMES = {"ploop": "parallels"}


def _disk_formats(instance_fd):
    """{disk file name: format} from the instance's disk.info, as Nova records them."""
    try:
        fd = os.open("disk.info", _OPEN_FILE, dir_fd=instance_fd)
    except OSError:
        return {}
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return {}
        data = json.loads(os.read(fd, 65536).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    finally:
        os.close(fd)
    if not isinstance(data, dict):
        return {}
    # Nova keys it by the disk's path as nova-compute sees it (inside its container on Kolla).
    return {os.path.basename(str(path)): fmt for path, fmt in data.items()
            if isinstance(fmt, str)}


def _backing_file(fd, recorded, qemu_img):
    """The backing file an instance disk names, without ever letting qemu-img probe it.

    The format is the one disk.info records, else our own header check's. Raw disks (whose
    first bytes the guest writes) have none, and a qcow2 header names it. Without disk.info only
    a qcow2 header counts: libvirt's image backends make qcow2 or raw disks, so any other header
    was written by a guest. A format disk.info records otherwise is given to qemu-img.
    """
    path = fd_path(fd)
    fmt = recorded or detect_format(path)
    if fmt == "qcow2":
        return qcow2_backing_file(path)
    if recorded is None or fmt in ("raw", "gpt", "iso"):
        return None
    return qemu_img.info(path, _QEMU_NAMES.get(fmt, fmt)).get("backing-filename")


def scan_usage(cache_dir, qemu_img):
    """Read the backing file of every instance disk in the instances dir of `cache_dir`.

    Every directory with a disk is looked at, not only the instances Nova's database lists (this
    runs without it), which can only count more files as in use; on a shared instances path
    that covers the instances of every host sharing it. Links and anything but regular files are
    not followed or read. A disk that vanishes while it is read is skipped, as Nova skips it;
    any other failure is reported in `errors`.
    """
    by_file, errors = {}, []
    base = cache_dir.instances_fd
    if base is None:
        return Usage(by_file, errors)
    for instance in sorted(os.listdir(base)):
        try:
            instance_fd = os.open(instance, _OPEN_DIR, dir_fd=base)
        except OSError:
            continue
        try:
            formats = _disk_formats(instance_fd)
            for disk in INSTANCE_DISKS:
                path = os.path.join(cache_dir.instances_path, instance, disk)
                try:
                    fd = os.open(disk, _OPEN_FILE, dir_fd=instance_fd)
                except OSError:
                    continue
                try:
                    if not stat.S_ISREG(os.fstat(fd).st_mode):
                        continue
                    backing = _backing_file(fd, formats.get(disk), qemu_img)
                except ImageFormatError as err:
                    errors.append("%s: %s" % (path, err))
                    continue
                finally:
                    os.close(fd)
                if backing:
                    # Nova compares the name only: the path may be the one inside a container.
                    by_file.setdefault(os.path.basename(backing), set()).add(instance)
        finally:
            os.close(instance_fd)
    return Usage({name: sorted(users) for name, users in by_file.items()}, errors)


def disk_usage(info):
    """Bytes a file occupies on disk (less than its size when it is sparse)."""
    return info.st_blocks * 512


@dataclasses.dataclass
class BaseFile:
    """One base file of Nova's cache dir."""

    name: str
    path: str
    kind: str
    original: str
    size: int
    disk_usage: int
    mtime: float
    used_by: list

    @property
    def in_use(self):
        return bool(self.used_by)


def list_base_files(cache_dir, usage):
    """The originals and resized copies in `cache_dir` (regular files only, as Nova), by name."""
    found = []
    for entry, info in cache_dir.regular_files(lambda name: classify(name)[0] is not None):
        kind, original = classify(entry)
        found.append(BaseFile(entry, cache_dir.file_path(entry), kind, original, info.st_size,
                              disk_usage(info), info.st_mtime, usage.users(entry)))
    return found


def expiry(base_file, settings, now):
    """When Nova's cache manager removes this file if nothing uses or refreshes it.

    Returns {expires_at, expires_by, expires_in, never_expires_because}: it becomes removable at
    `expires_at` (mtime + minimum age) and is gone by `expires_by` (the first pass after that,
    at most one interval later); the times are None when it never expires, and why is said.
    """
    reason = None
    if base_file.in_use:
        reason = "in use: Nova's cache manager refreshes it on each pass"
    elif not settings.remove_unused_base_images:
        reason = "[image_cache] remove_unused_base_images is false"
    elif settings.manager_interval < 0:
        reason = "[image_cache] manager_interval is negative: the cache manager never runs"
    if reason:
        return {"expires_at": None, "expires_by": None, "expires_in": None,
                "never_expires_because": reason}
    if base_file.kind == ORIGINAL:
        minimum_age = settings.remove_unused_original_minimum_age_seconds
    else:
        minimum_age = settings.remove_unused_resized_minimum_age_seconds
    interval = settings.manager_interval or DEFAULT_PERIODIC_INTERVAL
    expires_at = base_file.mtime + minimum_age
    return {"expires_at": expires_at, "expires_by": max(expires_at, now) + interval,
            "expires_in": expires_at - now, "never_expires_because": None}


def list_temps(cache_dir, now):
    """Our own temporary files in the cache dir, and whether they are stale: held by no running
    cache_image, so left by an interrupted one."""
    return [{"name": entry, "size": info.st_size, "disk_usage": disk_usage(info),
             "age": now - info.st_mtime, "stale": cache_dir.temp_is_stale(entry, info, now)}
            for entry, info in cache_dir.regular_files(is_temp_name)]


def filesystem(cache_dir):
    """Size, free space (for unprivileged users, as df shows it) and use of the cache dir's
    filesystem; measured at the instances dir, or its nearest existing parent, when the cache
    dir does not exist yet."""
    if cache_dir.fd is not None:
        info = os.fstatvfs(cache_dir.fd)
    else:
        path = cache_dir.instances_path
        while not os.path.exists(path) and os.path.dirname(path) != path:
            path = os.path.dirname(path)
        info = os.statvfs(path)
    total = info.f_blocks * info.f_frsize
    free = info.f_bavail * info.f_frsize
    return {"total": total, "free": free, "used": (info.f_blocks - info.f_bfree) * info.f_frsize}


def _file_format(cache_dir, entry):
    try:
        fd = cache_dir.open_regular(entry)
    except CacheError:
        return None
    if fd is None:
        return None
    try:
        return detect_format(fd_path(fd))
    except ImageFormatError:
        return None
    finally:
        os.close(fd)


def image_names(images):
    """{base file name: (image id, image name)} for images given as ids or plan records."""
    known = {}
    for image in images or ():
        image_id, name = (image.get("id"), image.get("name")) if isinstance(image, dict) else (
            image, None)
        if not image_id:
            raise ValueError("images: %r has no id" % (image,))
        known[cache_name(str(image_id))] = (str(image_id), name)
    return known


def report(settings, qemu_img, cache_dir, images=None, now=None):
    """The image_cache_info result: base files, our temporary files, totals, the filesystem.

    `cache_dir` is the host's CacheDir, opened without creating anything.
    """
    now = time.time() if now is None else now
    known = image_names(images)
    usage = scan_usage(cache_dir, qemu_img)
    files = []
    for base in list_base_files(cache_dir, usage):
        image_id, image_name = known.get(base.original, (None, None))
        image_format = _file_format(cache_dir, base.name)
        record = {"name": base.name, "path": base.path, "kind": base.kind,
                  "image_id": image_id, "image_name": image_name, "size": base.size,
                  "disk_usage": base.disk_usage, "format": image_format, "mtime": base.mtime,
                  "age": now - base.mtime, "in_use": base.in_use, "used_by": base.used_by}
        record.update(expiry(base, settings, now))
        files.append(record)
    ids = [image_id for image_id, _name in known.values()]
    cached_ids = {f["image_id"] for f in files if f["kind"] == ORIGINAL and f["image_id"]}
    originals = [f for f in files if f["kind"] == ORIGINAL]
    totals = {"count": len(originals), "resized_count": len(files) - len(originals),
              "size": sum(f["size"] for f in files),
              "disk_usage": sum(f["disk_usage"] for f in files),
              "in_use": sum(1 for f in files if f["in_use"])}
    return {
        "files": files,
        "temps": list_temps(cache_dir, now),
        "totals": totals,
        "filesystem": filesystem(cache_dir),
        "images_cached": [image_id for image_id in ids if image_id in cached_ids],
        "images_missing": [image_id for image_id in ids if image_id not in cached_ids],
        "usage_errors": usage.errors,
        "now": now,
    }
