# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's image cache on a compute host: file names, Nova's own lock, our temporary files, install.

Names and locking match nova.virt.libvirt (imagecache.get_cache_fname, utils.synchronized with
external=True): a base file is `sha1(image_id)`, guarded by a POSIX record lock (fcntl.lockf, as
fasteners takes it) on `<instances_path>/locks/nova-<sha1>`. Our temporary files start with a dot
and are neither 40-hex originals nor `<sha1>_<n>` resized copies, so Nova's cache manager never
treats them as images, and Nova's own pre-cache never writes to them.
"""

import errno
import fcntl
import hashlib
import os
import secrets
import stat
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils._sizes import format_bytes

TEMP_PREFIX = ".precache-"
STALE_TEMP_AGE = 86400
NOVA_LOCK_PREFIX = "nova-"


class CacheError(Exception):
    """The cache dir, a lock or an install failed; the message says what to do."""


def cache_name(image_id):
    """The base file name Nova uses for an image id."""
    return hashlib.sha1(image_id.encode("utf-8")).hexdigest()


def lock_file(lock_dir, name):
    """Nova's external lock file for base file `name`."""
    return os.path.join(lock_dir, NOVA_LOCK_PREFIX + name)


def temp_path(cache_dir, name, purpose):
    """A fresh temporary file name of ours in the cache dir (same filesystem, same SELinux label)."""
    return os.path.join(cache_dir, "%s%s-%s.%s" % (TEMP_PREFIX, name, secrets.token_hex(4), purpose))


def is_temp_name(entry):
    return entry.startswith(TEMP_PREFIX)


def ensure_dir(path, uid, gid, mode=0o755):
    """Create a Nova directory that is missing, owned like Nova's own; True when created."""
    try:
        os.mkdir(path, mode)
    except OSError as err:
        if err.errno != errno.EEXIST:
            raise CacheError("cannot create %s: %s" % (path, err.strerror))
        if not os.path.isdir(path):
            raise CacheError("%s exists and is not a directory" % path)
        return False
    os.chown(path, uid, gid)
    return True


class NovaLock:
    """Nova's external lock for one base file, waited for up to `timeout` seconds.

    The lock file is created owned by the cache's owner: a root-owned 0644 lock file would make
    nova-compute's own open(path, 'a') fail.
    """

    def __init__(self, path, timeout, uid, gid, poll_interval=0.1):
        self.path = path
        self.timeout = timeout
        self.uid = uid
        self.gid = gid
        self.poll_interval = poll_interval
        self._handle = None

    def __enter__(self):
        ensure_dir(os.path.dirname(self.path), self.uid, self.gid)
        existed = os.path.exists(self.path)
        self._handle = open(self.path, "a")
        if not existed:
            os.fchown(self._handle.fileno(), self.uid, self.gid)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.lockf(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as err:
                if err.errno not in (errno.EACCES, errno.EAGAIN):
                    self._close()
                    raise CacheError("cannot lock %s: %s" % (self.path, err.strerror))
            if time.monotonic() >= deadline:
                self._close()
                raise CacheError(
                    "Nova's lock %s is held by another process (nova-compute booting from or "
                    "removing this image?) for more than %ss; try again later or raise "
                    "lock_timeout" % (self.path, self.timeout))
            time.sleep(self.poll_interval)

    def __exit__(self, *exc):
        fcntl.lockf(self._handle, fcntl.LOCK_UN)
        self._close()

    def _close(self):
        self._handle.close()
        self._handle = None


def refresh(path):
    """Restart Nova's expiry clock of a cached file, as Nova's own pre-cache does."""
    os.utime(path, None)


def free_bytes(path):
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def check_free_space(path, needed, what):
    """Fail before a download when the filesystem of `path` cannot hold `needed` more bytes."""
    free = free_bytes(path)
    if needed > free:
        raise CacheError("not enough space in %s for %s: %s needed, %s free; free some space or "
                         "pre-cache fewer images" % (path, what, format_bytes(needed),
                                                     format_bytes(free)))


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def install(temp, final, uid, gid, mode):
    """Make `temp` Nova's base file `final`: durable, owned and moded like Nova's, atomically."""
    fd = os.open(temp, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    os.rename(temp, final)
    fsync_dir(os.path.dirname(final))


def remove_quietly(path):
    """Remove one of our temporary files; a file already gone is fine."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def regular_files(cache_dir, wanted):
    """(name, path, lstat result) of the regular files in cache_dir whose name `wanted` accepts,
    by name; none when the dir does not exist, and a file gone meanwhile is left out."""
    try:
        entries = sorted(os.listdir(cache_dir))
    except FileNotFoundError:
        return
    for entry in entries:
        if not wanted(entry):
            continue
        path = os.path.join(cache_dir, entry)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode):
            yield entry, path, info


def clean_stale_temps(cache_dir, max_age=STALE_TEMP_AGE, now=None):
    """Remove our temporary files older than max_age (left by a killed run); return their names.

    Only regular files with our prefix: nothing of Nova's, nothing a running pre-cache still writes.
    """
    now = time.time() if now is None else now
    removed = []
    for entry, path, info in regular_files(cache_dir, is_temp_name):
        if now - info.st_mtime >= max_age:
            remove_quietly(path)
            removed.append(entry)
    return removed
