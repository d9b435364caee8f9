# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's image cache dir held open: our temp files and installs, and a tree whose links,
FIFOs and swapped files were planted by Nova's user.

The `layout` and `cache_dir` fixtures are the conftest's (see cache_dir_doubles).
"""

import os
import time

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import cache_dir as cache
from ansible_collections.openstack_ops.precache.plugins.module_utils.host import cache_files

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.cache_dir_doubles import (
    IMAGE_SHA1, hold_lock, settings_for)

OTHER_SHA1 = "0" * 40


def nova_scanner_kind(entry):
    """How nova.virt.libvirt.imagecache._scan_base_images classifies a _base entry."""
    if len(entry) == 40:
        return "original"
    if len(entry) > 42 and entry[40] == "_":
        return "resized"
    return "other"


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


def test_direct_io_probe_leaves_nothing_behind(cache_dir, layout):
    assert cache_dir.supports_direct_io(IMAGE_SHA1) in (True, False)
    assert os.listdir(layout[1]) == []
