# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's cache names, Nova's lock against a second process, our temp files and installs,
and a tree whose links, FIFOs and swapped files were planted by Nova's user."""

import os
import subprocess
import sys
import time
import types

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import cache_dir as cache
from ansible_collections.openstack_ops.precache.plugins.module_utils.host import cache_files

IMAGE_ID = "a26887c6-c47b-4654-abb5-dfadf7d3f803"
IMAGE_SHA1 = "8c14d42f39d0714ec59394e3aeb68634f04e9a48"  # printf %s IMAGE_ID | sha1sum
OTHER_SHA1 = "0" * 40

HOLD_LOCK = """
import fcntl, os, sys, time
handle = open(sys.argv[1], "a")
fcntl.lockf(handle, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
if len(sys.argv) > 3:
    os.unlink(sys.argv[1])  # as Nova's cache manager removes a lock file after its base file
"""


def nova_scanner_kind(entry):
    """How nova.virt.libvirt.imagecache._scan_base_images classifies a _base entry."""
    if len(entry) == 40:
        return "original"
    if len(entry) > 42 and entry[40] == "_":
        return "resized"
    return "other"


def settings_for(tmp_path, subdir="_base"):
    instances = tmp_path / "instances"
    return types.SimpleNamespace(instances_path=str(instances),
                                 cache_dir=str(instances / subdir))


@pytest.fixture
def layout(tmp_path):
    """(settings, cache dir path, lock dir path) of an instances dir with _base and locks."""
    settings = settings_for(tmp_path)
    os.makedirs(os.path.join(settings.instances_path, "locks"))
    os.mkdir(settings.cache_dir)
    return settings, tmp_path / "instances" / "_base", tmp_path / "instances" / "locks"


@pytest.fixture
def cache_dir(layout):
    with cache.CacheDir(layout[0], os.getuid()) as opened:
        yield opened


def hold_lock(path, seconds, unlink=False):
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)]
                            + (["unlink"] if unlink else []), stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_cache_name_is_novas_sha1():
    assert cache_files.cache_name(IMAGE_ID) == IMAGE_SHA1


def test_temp_names_are_never_images_to_nova(cache_dir, layout):
    entries = set()
    for purpose in ("download", "convert"):
        for _round in range(20):
            entry, fd = cache_dir.create_temp(IMAGE_SHA1, purpose)
            os.close(fd)
            entries.add(entry)
    assert len(entries) == 40 and set(os.listdir(layout[1])) == entries
    for entry in entries:
        assert nova_scanner_kind(entry) == "other"
        assert cache_files.is_temp_name(entry) and cache_files.temp_image(entry) == IMAGE_SHA1
        assert not entry.endswith((".part", ".converted"))
        assert os.stat(layout[1] / entry).st_mode & 0o777 == 0o600


def test_missing_dirs_are_created_by_the_caller(tmp_path):
    settings = settings_for(tmp_path)
    os.mkdir(settings.instances_path)
    with cache.CacheDir(settings, os.getuid()) as opened:
        opened.lock_dir_fd()
    for made in ("_base", "locks"):
        info = os.stat(os.path.join(settings.instances_path, made))
        assert info.st_uid == os.getuid() and info.st_mode & 0o777 == 0o755


def test_check_mode_creates_nothing(tmp_path):
    settings = settings_for(tmp_path)
    os.mkdir(settings.instances_path)
    with cache.CacheDir(settings, os.getuid(), create=False) as opened:
        assert opened.fd is None and opened.lstat(IMAGE_SHA1) is None
        assert list(opened.regular_files(lambda name: True)) == []
    assert os.listdir(settings.instances_path) == []


@pytest.mark.parametrize("subdir", ["_base", "_base_127.0.0.11"])
def test_a_linked_cache_dir_is_refused_and_its_target_untouched(tmp_path, subdir):
    settings = settings_for(tmp_path, subdir)
    os.mkdir(settings.instances_path)
    target = tmp_path / "root-only"
    target.mkdir()
    os.symlink(target, settings.cache_dir)
    with pytest.raises(cache_files.CacheError, match="refusing .*%s: it is a symbolic link" % subdir):
        cache.CacheDir(settings, os.getuid())
    assert os.listdir(target) == []


def test_a_cache_dir_of_another_user_is_refused(layout):
    with pytest.raises(cache_files.CacheError, match="owned by uid %d, not by uid 4242" % os.getuid()):
        cache.CacheDir(layout[0], 4242)


def test_a_linked_lock_dir_is_refused(tmp_path):
    settings = settings_for(tmp_path)
    os.makedirs(settings.cache_dir)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", os.path.join(settings.instances_path, "locks"))
    with cache.CacheDir(settings, os.getuid()) as opened:
        with pytest.raises(cache_files.CacheError, match="locks: it is a symbolic link"):
            with opened.lock(IMAGE_SHA1, 1):
                pytest.fail("locked through a link")
    assert os.listdir(tmp_path / "elsewhere") == []


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


def test_install_is_durable_moded_and_atomic(cache_dir, layout):
    entry, fd = cache_dir.create_temp(IMAGE_SHA1, "download")
    os.write(fd, b"image data")
    cache_dir.install(entry, fd, IMAGE_SHA1, 0o644)
    os.close(fd)
    final = layout[1] / IMAGE_SHA1
    assert final.stat().st_mode & 0o777 == 0o644 and final.read_bytes() == b"image data"
    assert os.listdir(layout[1]) == [IMAGE_SHA1]


def test_a_temporary_swapped_for_a_link_is_not_installed(cache_dir, layout, tmp_path):
    secret = tmp_path / "root-only-file"
    secret.write_text("secret")
    secret.chmod(0o600)
    entry, fd = cache_dir.create_temp(IMAGE_SHA1, "download")
    os.unlink(layout[1] / entry)
    os.symlink(secret, layout[1] / entry)
    with pytest.raises(cache_files.CacheError, match="replaced while it was written"):
        cache_dir.install(entry, fd, IMAGE_SHA1, 0o644)
    cache_dir.discard(entry, fd)
    assert secret.stat().st_mode & 0o777 == 0o600
    assert os.path.islink(layout[1] / entry) and not os.path.lexists(layout[1] / IMAGE_SHA1)


def test_open_regular_refuses_links_and_fifos_without_blocking(cache_dir, layout, tmp_path):
    (tmp_path / "target").write_text("x")
    os.symlink(tmp_path / "target", layout[1] / IMAGE_SHA1)
    os.mkfifo(layout[1] / OTHER_SHA1)
    with pytest.raises(cache_files.CacheError, match="symbolic link; left in place"):
        cache_dir.open_regular(IMAGE_SHA1)
    with pytest.raises(cache_files.CacheError, match="not a regular file; left in place"):
        cache_dir.open_regular(OTHER_SHA1)
    assert cache_dir.open_regular("missing") is None


def test_stale_temps_are_those_nobody_holds_and_nothing_else(cache_dir, layout):
    now = time.time()
    held_entry, fd = cache_dir.create_temp(OTHER_SHA1, "download")
    os.close(fd)
    stale_entry, fd = cache_dir.create_temp(IMAGE_SHA1, "download")
    os.close(fd)
    old_style, young_old_style = ".precache-directio-0011", ".precache-directio-0022"
    novas = [IMAGE_SHA1, IMAGE_SHA1 + "_10", IMAGE_SHA1 + ".part", "swap_512"]
    for entry in [old_style, young_old_style] + novas:
        (layout[1] / entry).write_bytes(b"x")
    old = now - cache_files.STALE_TEMP_AGE - 10
    os.utime(layout[1] / old_style, (old, old))
    (layout[1] / ".precache-a-directory").mkdir()
    holder = hold_lock(layout[2] / ("nova-" + OTHER_SHA1), 30)
    try:
        removed = cache_dir.clean_stale_temps(now=now)
    finally:
        holder.kill()
        holder.wait()
    assert sorted(removed) == sorted([stale_entry, old_style])
    assert sorted(os.listdir(layout[1])) == sorted(
        [held_entry, young_old_style, ".precache-a-directory"] + novas)
    assert cache_dir.clean_stale_temps(only=OTHER_SHA1) == [held_entry]


def test_free_space_check_says_what_and_how_much():
    cache_files.check_free_space(10, 1, "/x", "image x")
    with pytest.raises(cache_files.CacheError, match=r"not enough space in /x for image x: 1125899906842624 bytes \(1024.0 TiB\) needed, 10 bytes"):
        cache_files.check_free_space(10, 1024 ** 5, "/x", "image x")
    with pytest.raises(cache_files.CacheError, match=r"8 bytes needed plus a reserve of 4 bytes"):
        cache_files.check_free_space(10, 8, "/x", "image x", reserve=4)


def test_direct_io_probe_leaves_nothing_behind(cache_dir, layout):
    assert cache_dir.supports_direct_io(IMAGE_SHA1) in (True, False)
    assert os.listdir(layout[1]) == []
