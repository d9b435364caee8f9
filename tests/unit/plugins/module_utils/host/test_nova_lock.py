# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's lock on a base file, taken through CacheDir.lock, against a second process and a lock
dir whose links and FIFOs were planted by Nova's user.

The `layout` and `cache_dir` fixtures are the conftest's (see cache_dir_doubles).
"""

import os
import subprocess
import sys

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import cache_files

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.cache_dir_doubles import (
    IMAGE_SHA1, hold_lock)


def test_lock_waits_for_another_process_then_gives_up(cache_dir, layout):
    path = layout[2] / ("nova-" + IMAGE_SHA1)
    holder = hold_lock(path, 30)
    try:
        with pytest.raises(cache_files.CacheError, match="held by another process.*lock_timeout"):
            with cache_dir.lock(IMAGE_SHA1, 0.3):
                pytest.fail("took a lock another process holds")
    finally:
        holder.kill()
        holder.wait()
    with cache_dir.lock(IMAGE_SHA1, 5):
        probe = subprocess.run(
            [sys.executable, "-c",
             "import fcntl, sys; fcntl.lockf(open(sys.argv[1], 'a'), fcntl.LOCK_EX | fcntl.LOCK_NB)",
             str(path)], capture_output=True, text=True, check=False)
        assert probe.returncode != 0 and "Resource temporarily unavailable" in probe.stderr


def test_lock_file_is_made_as_nova_makes_it(cache_dir, layout):
    with cache_dir.lock(IMAGE_SHA1, 1):
        pass
    info = os.stat(layout[2] / ("nova-" + IMAGE_SHA1))
    assert info.st_uid == os.getuid() and info.st_mode & 0o777 == 0o644 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_lock_removed_while_waiting_is_taken_again_on_the_new_file(cache_dir, layout):
    path = layout[2] / ("nova-" + IMAGE_SHA1)
    holder = hold_lock(path, 0.5, unlink=True)
    with cache_dir.lock(IMAGE_SHA1, 30) as held:
        assert os.fstat(held._fd).st_ino == os.stat(path).st_ino
    holder.wait()


def test_a_planted_lock_link_is_not_followed(cache_dir, layout, tmp_path):
    victim_dir = tmp_path / "root-only"
    victim_dir.mkdir()
    os.symlink(victim_dir / "created-by-us", layout[2] / ("nova-" + IMAGE_SHA1))
    with pytest.raises(cache_files.CacheError, match="lock file .*: it is a symbolic link"):
        with cache_dir.lock(IMAGE_SHA1, 1):
            pytest.fail("locked through a link")
    assert os.listdir(victim_dir) == []


def test_a_planted_lock_fifo_neither_blocks_nor_locks(cache_dir, layout):
    os.mkfifo(layout[2] / ("nova-" + IMAGE_SHA1))
    with pytest.raises(cache_files.CacheError, match="not a regular file"):
        with cache_dir.lock(IMAGE_SHA1, 1):
            pytest.fail("locked a FIFO")


class _Stop(Exception):
    pass


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


def test_on_wait_is_called_while_waiting_and_what_it_raises_ends_the_wait(cache_dir, layout):
    path = layout[2] / ("nova-" + IMAGE_SHA1)
    holder = hold_lock(path, 30)
    calls = []

    def on_wait():
        calls.append(1)
        if len(calls) == 3:
            raise _Stop()
    try:
        cache_dir.lock_dir_fd()
        before = _open_fds()
        with pytest.raises(_Stop):
            with cache_dir.lock(IMAGE_SHA1, 30, on_wait=on_wait):
                pytest.fail("took a lock another process holds")
        assert len(calls) == 3
        assert _open_fds() == before, "the lock file's descriptor was left open"
    finally:
        holder.kill()
        holder.wait()


def test_on_wait_is_not_called_for_a_free_lock(cache_dir):
    with cache_dir.lock(IMAGE_SHA1, 1, on_wait=lambda: pytest.fail("waited for a free lock")):
        pass
