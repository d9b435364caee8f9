# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The staging area of a site's seed: the original bytes Glance sent, kept for the site's peers.

`<instances_path>/.precache-staging/<run id>/<image id>`: apart from the cache dir, in a folder
Nova never reads (its cache manager looks only at the cache dir, and instance folders are named
by instance UUID), on the cache's filesystem so that staging is a hard link, not a copy. A file is
staged only after its download was verified against Glance's hash; the peers verify that hash
again, end to end, so the staging needs no integrity of its own. The tree belongs to Nova's user,
as the cache dir does: it is opened by descriptor, never following a link (cache_dir.open_dir).

A run's folder goes when its server stops (peer_server), when image_serve is told the site is
done, and, should both have been killed, with the stale clean-up of a later cache_image run.
"""

import errno
import os
import re
import shutil
import stat
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_dir import (
    open_dir, open_instances_dir)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    FILE_FLAGS, CacheError, describe_error, fd_path)

STAGING_DIR_NAME = ".precache-staging"
# A run's staging older than this is a killed run's: no site pre-cache lasts a day.
STALE_STAGING_AGE = 86400
_RUN_ID = re.compile(r"[0-9a-f]{16,64}")
_IMAGE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def check_run_id(run_id, what="the site run id"):
    """The run id, or CacheError: 16 to 64 lowercase hex digits (a file or folder name of ours)."""
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise CacheError("%s must be 16 to 64 lowercase hex digits" % what)
    return run_id


def check_image_id(image_id):
    """The image id, or CacheError: only Glance's UUIDs name staged files."""
    if not isinstance(image_id, str) or not _IMAGE_ID.fullmatch(image_id):
        raise CacheError("%r is not a Glance image id" % (image_id,))
    return image_id


class Staging:
    """One run's staging folder, held open by descriptor; a context manager.

    `instances_path` is Nova's; `uid` the user nova-compute runs as, whom every folder must
    belong to. With `create` false a missing folder reads as empty (`fd` None).
    """

    def __init__(self, instances_path, uid, run_id, create=True):
        self.run_id = check_run_id(run_id)
        self.root = os.path.join(instances_path, STAGING_DIR_NAME)
        self.path = os.path.join(self.root, run_id)
        self.uid = uid
        self.fd = None
        self.root_fd = _open_root(instances_path, uid, create)
        try:
            if self.root_fd is not None:
                self.fd = open_dir(run_id, self.root_fd, uid, create, self.path, mode=0o700)
        except BaseException:
            self.close()
            raise

    def close(self):
        for fd in (self.fd, self.root_fd):
            if fd is not None:
                os.close(fd)
        self.fd = self.root_fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def stage(self, image_id, fd):
        """Keep the verified download open as `fd` as the staged `image_id`: a hard link when
        the staging is on its filesystem, else a copy. An earlier staged file is replaced."""
        name = check_image_id(image_id)
        self._unlink(name)
        try:
            os.link(fd_path(fd), name, dst_dir_fd=self.fd, follow_symlinks=True)
            return
        except OSError as err:
            if err.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise CacheError("cannot stage %s in %s: %s"
                                 % (name, self.path, err.strerror)) from None
        out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | FILE_FLAGS, 0o600,
                      dir_fd=self.fd)
        try:
            with os.fdopen(os.dup(fd), "rb") as source, \
                    os.fdopen(out, "wb", closefd=False) as target:
                source.seek(0)
                shutil.copyfileobj(source, target, 1024 * 1024)
            os.fsync(out)
        except BaseException:
            self._unlink(name)
            raise
        finally:
            os.close(out)

    def open_image(self, image_id):
        """A read-only descriptor of the staged `image_id`, or None when it is not staged (or
        the name holds anything but a regular file)."""
        if self.fd is None:
            return None
        try:
            fd = os.open(check_image_id(image_id), os.O_RDONLY | FILE_FLAGS, dir_fd=self.fd)
        except OSError:
            return None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return fd

    def staged(self):
        """The image ids staged now, sorted."""
        if self.fd is None:
            return []
        return sorted(entry for entry in os.listdir(self.fd) if _IMAGE_ID.fullmatch(entry)
                      and stat.S_ISREG(os.stat(entry, dir_fd=self.fd,
                                               follow_symlinks=False).st_mode))

    def _unlink(self, entry):
        try:
            os.unlink(entry, dir_fd=self.fd)
        except FileNotFoundError:
            pass

    def remove(self):
        """Remove the run's folder and whatever is in it (never following links)."""
        if self.fd is None:
            return
        _empty(self.fd, self.path)
        os.close(self.fd)
        self.fd = None
        try:
            os.rmdir(self.run_id, dir_fd=self.root_fd)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise CacheError("cannot remove %s: %s" % (self.path, describe_error(err))) from None


def clean_stale_staging(instances_path, uid, now=None, max_age=STALE_STAGING_AGE):
    """Remove the runs' folders untouched for `max_age` seconds (killed runs'); the names of the
    runs removed."""
    root_fd = _open_root(instances_path, uid, False)
    if root_fd is None:
        return []
    try:
        return _remove_stale(root_fd, os.path.join(instances_path, STAGING_DIR_NAME), uid, now,
                             max_age)
    finally:
        os.close(root_fd)


def _open_root(instances_path, uid, create):
    """`<instances_path>/.precache-staging`, opened (made when `create`); None when missing."""
    return open_instances_dir(instances_path, STAGING_DIR_NAME, uid, create)


def _remove_stale(root_fd, root, uid, now, max_age):
    removed = []
    now = time.time() if now is None else now
    for entry in sorted(os.listdir(root_fd)):
        if not _RUN_ID.fullmatch(entry):
            continue
        info = os.stat(entry, dir_fd=root_fd, follow_symlinks=False)
        if not stat.S_ISDIR(info.st_mode) or now - info.st_mtime < max_age:
            continue
        old = open_dir(entry, root_fd, uid, False, os.path.join(root, entry))
        if old is None:
            continue
        try:
            _empty(old, os.path.join(root, entry))
        finally:
            os.close(old)
        os.rmdir(entry, dir_fd=root_fd)
        removed.append(entry)
    return removed


def _empty(dir_fd, where):
    """Unlink every entry of a folder of ours; a sub-folder is refused, not followed."""
    for entry in os.listdir(dir_fd):
        try:
            os.unlink(entry, dir_fd=dir_fd)
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            raise CacheError("%s holds a folder %s, which is none of ours; left in place"
                             % (where, entry)) from None
