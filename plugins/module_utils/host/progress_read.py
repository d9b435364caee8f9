# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A cache_image run's live status read back (for cache_progress), and the stale clean-up.

The folder belongs to Nova's user, so everything in it may have been planted: nothing is followed
through a link or blocks on a FIFO, reads are bounded, and a status is checked field by field
before it leaves the host (sanitize). See progress_status for the writer.
"""

import json
import math
import os
import re
import stat
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import (
    printable)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_dir import (
    open_instances_dir)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    FILE_FLAGS, CacheError, read_bounded)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.progress_status import (
    INTS, PHASES, PROGRESS_DIR_NAME, VERSION, seen_name, status_name, unlink_entry)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.site_staging import (
    check_image_id, check_run_id)

# A status the writer has not rewritten for this long is a killed run's (it rewrites every 5 s).
STALE_PROGRESS_AGE = 300
MAX_STATUS_SIZE = 64 * 1024
_MAX_TEXT = 256
_MAX_INT = 2 ** 63 - 1
_FILE_RE = re.compile(r"([0-9a-f]{16,64})\.(json|seen)")
_TEMP_RE = re.compile(r"[0-9a-f]{16,64}\.[0-9a-f]{8}\.tmp")


def read_status(instances_path, uid, run_id, touch=True, now=None):
    """The run's status, checked, with its `age` in seconds; None when there is none (not
    started yet, finished, or nothing usable). `touch` beats the run's heartbeat."""
    check_run_id(run_id, "run_id")
    root = open_instances_dir(instances_path, PROGRESS_DIR_NAME, uid, False)
    if root is None:
        return None
    try:
        if touch:
            _touch(seen_name(run_id), root)
        data = _read_bounded(status_name(run_id), root)
    finally:
        os.close(root)
    if data is None:
        return None
    try:
        status = sanitize(json.loads(data.decode("utf-8")))
    except ValueError:
        return None
    now = time.time() if now is None else now
    status["age"] = round(max(0.0, now - status["updated"]), 1)
    return status


def _touch(name, dir_fd):
    # No O_CREAT: only the writer makes the file, and a missing one is a run not started.
    try:
        fd = os.open(name, os.O_WRONLY | FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        return
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.utime(fd)
    finally:
        os.close(fd)


def _read_bounded(name, dir_fd):
    """The content of regular file `name`, or None when missing, not regular or too big."""
    try:
        fd = os.open(name, os.O_RDONLY | FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return read_bounded(fd, MAX_STATUS_SIZE)
    finally:
        os.close(fd)


def sanitize(status):
    """A status read back, field by field; ValueError for anything the writer would not write."""
    if not isinstance(status, dict) or set(status) != set(INTS) | {
            "version", "started", "updated", "phase", "image", "source"}:
        raise ValueError("not a status")
    if status["version"] != VERSION or isinstance(status["version"], bool):
        raise ValueError("not version %d" % VERSION)
    clean = {"version": VERSION}
    for key in INTS:
        value = status[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_INT:
            raise ValueError("bad %s" % key)
        clean[key] = value
    for key in ("started", "updated"):
        value = status[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or value < 0:
            raise ValueError("bad %s" % key)
        clean[key] = float(value)
    if status["phase"] not in PHASES:
        raise ValueError("bad phase")
    clean["phase"] = status["phase"]
    image = status["image"]
    if image is not None:
        try:
            check_image_id(image)
        except CacheError:
            raise ValueError("bad image") from None
    clean["image"] = image
    source = status["source"]
    if source is not None and (not isinstance(source, str) or len(source) > _MAX_TEXT
                               or not (source == "glance" or source.startswith("peer "))):
        raise ValueError("bad source")
    clean["source"] = None if source is None else printable(source)
    return clean


def clean_stale_progress(instances_path, uid, now=None, max_age=STALE_PROGRESS_AGE):
    """Remove the files of runs whose writer is gone, and stale temporaries; their names.

    A run's status is rewritten every few seconds while it lives; one older than `max_age`
    (or, without a status, a heartbeat file that old) is a killed run's.
    """
    root = open_instances_dir(instances_path, PROGRESS_DIR_NAME, uid, False)
    if root is None:
        return []
    now = time.time() if now is None else now
    try:
        files = {}
        for entry in os.listdir(root):
            try:
                info = os.stat(entry, dir_fd=root, follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISREG(info.st_mode):
                files[entry] = info.st_mtime
        removed = []
        for entry, mtime in sorted(files.items()):
            match = _FILE_RE.fullmatch(entry)
            if match:
                status = status_name(match.group(1))
                stale = now - files.get(status, mtime) >= max_age
            else:
                stale = bool(_TEMP_RE.fullmatch(entry)) and now - mtime >= max_age
            if stale:
                unlink_entry(entry, root)
                removed.append(entry)
        return removed
    finally:
        os.close(root)
