# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's own lock on a base file, taken as nova-compute takes it.

nova.virt.libvirt.utils.synchronized with external=True: a POSIX record lock (fcntl.lockf, as
fasteners takes it) on `<instances_path>/locks/nova-<sha1>`, so that Nova and cache_image never
write the same base file at once.
"""

import errno
import fcntl
import os
import stat
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    FILE_FLAGS, CacheError, describe_error, same_file)


class NovaLock:
    """Nova's external lock for one base file, in the lock dir open as `dir_fd`.

    The lock file is opened without following a link and created, when missing, by the calling
    user (Nova's). Once the lock is held, the name must still be that file: Nova's cache manager
    removes a lock file after the base file, and a lock on the removed inode guards nothing.
    `on_wait()`, when given, is called before each pause while the lock is held by another
    process; whatever it raises ends the wait (a run the controller stopped following).
    """

    def __init__(self, dir_fd, entry, timeout, path, poll_interval=0.1, on_wait=None):
        self.dir_fd = dir_fd
        self.entry = entry
        self.timeout = timeout
        self.path = path
        self.poll_interval = poll_interval
        self.on_wait = on_wait
        self._fd = None

    def _open(self):
        try:
            fd = os.open(self.entry, os.O_RDWR | os.O_CREAT | FILE_FLAGS, 0o644,
                         dir_fd=self.dir_fd)
        except OSError as err:
            raise CacheError("cannot open Nova's lock file %s: %s"
                             % (self.path, describe_error(err))) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise CacheError("Nova's lock file %s is not a regular file; left in place"
                             % self.path)
        return fd

    def __enter__(self):
        deadline = time.monotonic() + self.timeout
        while True:
            fd = self._open()
            if self._wait(fd, deadline):
                try:
                    current = os.stat(self.entry, dir_fd=self.dir_fd, follow_symlinks=False)
                except FileNotFoundError:
                    current = None
                if same_file(current, os.fstat(fd)):
                    self._fd = fd
                    return self
            os.close(fd)

    def _wait(self, fd, deadline):
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError as err:
                if err.errno not in (errno.EACCES, errno.EAGAIN):
                    os.close(fd)
                    raise CacheError("cannot lock %s: %s" % (self.path, err.strerror)) from None
            if time.monotonic() >= deadline:
                os.close(fd)
                raise CacheError(
                    "Nova's lock %s is held by another process (nova-compute booting from or "
                    "removing this image?) for more than %ss; try again later or raise "
                    "lock_timeout" % (self.path, self.timeout))
            if self.on_wait is not None:
                try:
                    self.on_wait()
                except BaseException:
                    os.close(fd)
                    raise
            time.sleep(self.poll_interval)

    def __exit__(self, *exc):
        fcntl.lockf(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
