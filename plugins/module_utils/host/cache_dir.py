# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's image cache dir on a compute host, held open: our temporary files, install, refresh.

Names and locking match nova.virt.libvirt (imagecache.get_cache_fname, utils.synchronized with
external=True): a base file is `sha1(image_id)`, guarded by a POSIX record lock (fcntl.lockf, as
fasteners takes it) on `<instances_path>/locks/nova-<sha1>`. Our temporary files are
`.precache-<sha1>-<random>.<purpose>`: neither 40-hex originals nor `<sha1>_<n>` resized copies,
so Nova's cache manager never treats them as images, and Nova's own pre-cache never writes them.

The tree belongs to Nova's user, who may plant links, FIFOs or anything else in it. So the cache
dir and the lock dir are opened once, without following links, checked to be directories of
that user, and every later operation is relative to their descriptors: files are created
exclusively, opened without following links or blocking, and checked to be regular files
before they are read, refreshed or installed.
"""

import errno
import fcntl
import mmap
import os
import secrets
import stat
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    DIR_FLAGS, FILE_FLAGS, LOCK_DIR_NAME, NOVA_LOCK_PREFIX, STALE_TEMP_AGE, TEMP_PREFIX,
    CacheError, _describe_entry, describe_error, same_file, is_temp_name, temp_image)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.nova_lock import NovaLock


def open_dir(name, dir_fd, uid, create, where, mode=0o755):
    """Open directory `name` (relative to dir_fd, or absolute) without following a link.

    Creates it (with `mode`, as the calling user) when missing and `create`; returns None when
    missing otherwise. Refuses anything but a directory owned by `uid`.
    """
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        if not create:
            return None
        try:
            os.mkdir(name, mode, dir_fd=dir_fd)
        except FileExistsError:
            pass
        except OSError as err:
            raise CacheError("cannot create %s: %s" % (where, err.strerror)) from None
        return open_dir(name, dir_fd, uid, False, where)
    except OSError as err:
        raise CacheError("refusing %s: %s; Nova's directories must be real directories of the "
                         "user nova-compute runs as" % (where, _describe_entry(name, dir_fd, err))
                         ) from None
    owner = os.fstat(fd).st_uid
    if owner != uid:
        os.close(fd)
        raise CacheError("refusing %s: it is owned by uid %d, not by uid %d, the user "
                         "nova-compute runs as (set owner and group if that is wrong)"
                         % (where, owner, uid))
    return fd


def open_instances_dir(instances_path, name, uid, create, mode=0o700):
    """Folder `name` of ours right under `instances_path`, opened by descriptor (open_dir);
    made when `create`, None when missing otherwise."""
    try:
        instances_fd = os.open(instances_path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        if create:
            raise CacheError("the instances dir %s does not exist" % instances_path) from None
        return None
    except OSError as err:
        raise CacheError("cannot open the instances dir %s: %s"
                         % (instances_path, err.strerror)) from None
    try:
        return open_dir(name, instances_fd, uid, create, os.path.join(instances_path, name),
                        mode=mode)
    finally:
        os.close(instances_fd)


class CacheDir:
    """Nova's cache dir and lock dir on this host, held open by descriptor.

    `settings` are the host's NovaSettings; `uid` the user nova-compute runs as, whom the
    directories must belong to. With `create` false (check mode, reports) nothing is created
    and a missing cache dir reads as empty (`fd` None).
    """

    def __init__(self, settings, uid, create=True):
        self.path = settings.cache_dir
        self.instances_path = settings.instances_path
        self.uid = uid
        self.create = create
        self.instances_fd = None
        self.fd = None
        self._lock_fd = None
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self):
        relative = os.path.relpath(self.path, self.instances_path)
        if relative.startswith(os.pardir) or os.path.isabs(relative) or relative == os.curdir:
            # A cache_dir of its own: only its last component is guarded.
            self.fd = open_dir(self.path, None, self.uid, self.create, self.path)
            return
        try:
            self.instances_fd = os.open(self.instances_path, os.O_RDONLY | os.O_DIRECTORY
                                        | os.O_CLOEXEC)
        except FileNotFoundError:
            if self.create:
                raise CacheError("the instances dir %s does not exist: is nova-compute installed "
                                 "here?" % self.instances_path) from None
            return
        except OSError as err:
            raise CacheError("cannot open the instances dir %s: %s"
                             % (self.instances_path, err.strerror)) from None
        fd, done = self.instances_fd, self.instances_path
        for part in relative.split(os.sep):
            done = os.path.join(done, part)
            parent, fd = fd, open_dir(part, fd, self.uid, self.create, done)
            if parent != self.instances_fd:
                os.close(parent)
            if fd is None:
                return
        self.fd = fd

    def close(self):
        for fd in (self.fd, self._lock_fd, self.instances_fd):
            if fd is not None:
                os.close(fd)
        self.fd = self._lock_fd = self.instances_fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def file_path(self, entry):
        return os.path.join(self.path, entry)

    def lock_dir_fd(self, create=True):
        """Nova's lock dir `<instances_path>/locks`, opened (and made) once; None when absent."""
        if self._lock_fd is None:
            base = self.instances_fd
            name = LOCK_DIR_NAME
            if base is None:
                name = os.path.join(self.instances_path, LOCK_DIR_NAME)
            self._lock_fd = open_dir(name, base, self.uid, create,
                                     os.path.join(self.instances_path, LOCK_DIR_NAME))
        return self._lock_fd

    def lock(self, name, timeout, on_wait=None):
        """Nova's lock for base file `name`, waited for up to `timeout` seconds; `on_wait()` is
        called between tries (it may raise to stop waiting)."""
        return NovaLock(self.lock_dir_fd(), NOVA_LOCK_PREFIX + name, timeout,
                        os.path.join(self.instances_path, LOCK_DIR_NAME, NOVA_LOCK_PREFIX + name),
                        on_wait=on_wait)

    def lstat(self, entry):
        """lstat of an entry of the cache dir, or None when there is none."""
        if self.fd is None:
            return None
        try:
            return os.stat(entry, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def open_regular(self, entry):
        """A read-only descriptor of regular file `entry`, or None when it does not exist.

        Never follows a link and never blocks on a FIFO; anything but a regular file is an error.
        """
        try:
            fd = os.open(entry, os.O_RDONLY | FILE_FLAGS, dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise CacheError("%s: %s; left in place"
                             % (self.file_path(entry), describe_error(err))) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise CacheError("%s exists but is not a regular file; left in place"
                             % self.file_path(entry))
        return fd

    def create_temp(self, name, purpose):
        """A new temporary file of ours for base file `name`: (entry, descriptor open rw)."""
        entry = "%s%s-%s.%s" % (TEMP_PREFIX, name, secrets.token_hex(4), purpose)
        fd = os.open(entry, os.O_RDWR | os.O_CREAT | os.O_EXCL | FILE_FLAGS, 0o600,
                     dir_fd=self.fd)
        return entry, fd

    def remove(self, entry):
        """Remove an entry of ours; one already gone is fine."""
        try:
            os.unlink(entry, dir_fd=self.fd)
        except FileNotFoundError:
            pass

    def discard(self, entry, fd):
        """Close and remove temporary `entry` of ours (open as `fd`), if it is still that file."""
        try:
            if same_file(self.lstat(entry), os.fstat(fd)):
                self.remove(entry)
        finally:
            os.close(fd)

    def install(self, entry, fd, name, mode):
        """Make our temporary `entry` (open as `fd`) Nova's base file `name`, atomically.

        The data is made durable and moded through the descriptor; the rename happens only while
        `entry` still names that very file, and the result is checked again afterwards.
        """
        os.fsync(fd)
        os.fchmod(fd, mode)
        ours = os.fstat(fd)
        if not same_file(self.lstat(entry), ours):
            raise CacheError("our temporary file %s was replaced while it was written; nothing "
                             "was installed" % self.file_path(entry))
        os.rename(entry, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        os.fsync(self.fd)
        if not same_file(self.lstat(name), ours):
            raise CacheError("%s was replaced right after it was installed; check who writes "
                             "into the cache dir" % self.file_path(name))

    def regular_files(self, wanted):
        """(name, lstat result) of the regular files whose name `wanted` accepts, by name."""
        if self.fd is None:
            return
        for entry in sorted(os.listdir(self.fd)):
            if not wanted(entry):
                continue
            info = self.lstat(entry)
            if info is not None and stat.S_ISREG(info.st_mode):
                yield entry, info

    def free_bytes(self):
        info = os.fstatvfs(self.fd)
        return info.f_bavail * info.f_frsize

    def temp_is_stale(self, entry, info, now):
        """Whether no running cache_image holds temporary `entry`.

        Its writer holds Nova's lock of its image for as long as the file lives: a temporary
        whose image's lock can be taken at once was left by a killed run. The lock is tried,
        never waited for, and only when Nova's lock file exists (else no writer can hold it).
        """
        name = temp_image(entry)
        if name is None:
            return now - info.st_mtime >= STALE_TEMP_AGE
        lock_fd = self.lock_dir_fd(create=False)
        if lock_fd is None:
            return True
        try:
            fd = os.open(NOVA_LOCK_PREFIX + name, os.O_RDWR | FILE_FLAGS, dir_fd=lock_fd)
        except FileNotFoundError:
            return True
        except OSError:
            return False
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        finally:
            # Closing drops the lock, if taken.
            os.close(fd)
        return True

    def clean_stale_temps(self, only=None, now=None):
        """Remove our temporaries that no running cache_image holds; return their names.

        `only` limits it to the temporaries of one base file, whose lock the caller holds (so
        they are all stale). Only regular files with our prefix: nothing of Nova's.
        """
        now = time.time() if now is None else now
        removed = []
        for entry, info in self.regular_files(is_temp_name):
            if only is not None:
                if temp_image(entry) != only:
                    continue
            elif not self.temp_is_stale(entry, info, now):
                continue
            self.remove(entry)
            removed.append(entry)
        return removed

    def supports_direct_io(self, name):
        """Whether files here take O_DIRECT writes (tmpfs, for one, does not always).

        Nova passes `qemu-img convert -t none` when they do and `-t writeback` otherwise; it
        tests with a 4 KiB aligned write to a temporary file, as this does (a temporary of
        base file `name`, removed at once).
        """
        if not hasattr(os, "O_DIRECT"):
            return False
        entry = "%s%s-%s.directio" % (TEMP_PREFIX, name, secrets.token_hex(4))
        # O_DIRECT needs an aligned buffer: anonymous memory maps are page aligned.
        buffer = mmap.mmap(-1, 4096)
        fd = None
        try:
            buffer.write(b"\0" * 4096)
            fd = os.open(entry, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_DIRECT | FILE_FLAGS,
                         0o600, dir_fd=self.fd)
            os.write(fd, buffer)
            return True
        except OSError as exc:
            if exc.errno in (errno.EINVAL, errno.ENOENT):
                return False
            raise CacheError("cannot test direct I/O in %s: %s" % (self.path, exc)) from None
        finally:
            buffer.close()
            if fd is not None:
                os.close(fd)
                self.remove(entry)
