# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's cache names, Nova's lock against a second process, our temp files and installs."""

import os
import subprocess
import sys
import time

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils import _image_cache as cache

IMAGE_ID = "a26887c6-c47b-4654-abb5-dfadf7d3f803"
IMAGE_SHA1 = "8c14d42f39d0714ec59394e3aeb68634f04e9a48"  # printf %s IMAGE_ID | sha1sum

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")

HOLD_LOCK = """
import fcntl, sys, time
handle = open(sys.argv[1], "a")
fcntl.lockf(handle, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def nova_scanner_kind(entry):
    """How nova.virt.libvirt.imagecache._scan_base_images classifies a _base entry."""
    if len(entry) == 40:
        return "original"
    if len(entry) > 42 and entry[40] == "_":
        return "resized"
    return "other"


def test_cache_name_is_novas_sha1():
    assert cache.cache_name(IMAGE_ID) == IMAGE_SHA1


def test_lock_file_is_novas(tmp_path):
    assert cache.lock_file(str(tmp_path), IMAGE_SHA1) == str(tmp_path / ("nova-" + IMAGE_SHA1))


def test_temp_names_are_never_images_to_nova(tmp_path):
    names = {cache.temp_path(str(tmp_path), IMAGE_SHA1, purpose)
             for purpose in ("download", "convert") for _round in range(20)}
    assert len(names) == 40
    for path in names:
        entry = os.path.basename(path)
        assert os.path.dirname(path) == str(tmp_path)
        assert nova_scanner_kind(entry) == "other"
        assert cache.is_temp_name(entry)
        assert not entry.endswith((".part", ".converted"))


def hold_lock(path, seconds):
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, path, str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_lock_waits_for_another_process_then_gives_up(tmp_path):
    path = str(tmp_path / "locks" / ("nova-" + IMAGE_SHA1))
    os.mkdir(tmp_path / "locks")
    holder = hold_lock(path, 30)
    try:
        with pytest.raises(cache.CacheError, match="held by another process.*lock_timeout"):
            with cache.NovaLock(path, timeout=0.3, uid=os.getuid(), gid=os.getgid()):
                pytest.fail("took a lock another process holds")
    finally:
        holder.kill()
        holder.wait()
    with cache.NovaLock(path, timeout=5, uid=os.getuid(), gid=os.getgid()):
        probe = subprocess.run(
            [sys.executable, "-c",
             "import fcntl, sys; fcntl.lockf(open(sys.argv[1], 'a'), fcntl.LOCK_EX | fcntl.LOCK_NB)",
             path], capture_output=True, text=True, check=False)
        assert probe.returncode != 0 and "Resource temporarily unavailable" in probe.stderr


def test_lock_is_taken_once_the_holder_releases_it(tmp_path):
    path = str(tmp_path / ("nova-" + IMAGE_SHA1))
    holder = hold_lock(path, 0.5)
    with cache.NovaLock(path, timeout=30, uid=os.getuid(), gid=os.getgid()):
        assert holder.poll() is not None or holder.wait(timeout=30) == 0
    holder.wait()


@needs_root
def test_lock_file_and_dir_are_created_owned_by_nova(tmp_path):
    path = str(tmp_path / "locks" / ("nova-" + IMAGE_SHA1))
    with cache.NovaLock(path, timeout=1, uid=4242, gid=4343):
        pass
    for created in (path, os.path.dirname(path)):
        info = os.stat(created)
        assert (info.st_uid, info.st_gid) == (4242, 4343)


@needs_root
def test_existing_lock_file_keeps_its_owner(tmp_path):
    path = tmp_path / ("nova-" + IMAGE_SHA1)
    path.write_text("")
    os.chown(path, 1111, 1111)
    with cache.NovaLock(str(path), timeout=1, uid=4242, gid=4343):
        pass
    assert os.stat(path).st_uid == 1111


@needs_root
def test_install_is_durable_owned_moded_and_atomic(tmp_path):
    temp = cache.temp_path(str(tmp_path), IMAGE_SHA1, "download")
    with open(temp, "wb") as handle:
        handle.write(b"image data")
    os.chmod(temp, 0o600)
    final = str(tmp_path / IMAGE_SHA1)
    cache.install(temp, final, 4242, 4343, 0o644)
    info = os.stat(final)
    assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (4242, 4343, 0o644)
    assert not os.path.exists(temp)
    with open(final, "rb") as handle:
        assert handle.read() == b"image data"


def test_refresh_restarts_novas_expiry_clock(tmp_path):
    path = tmp_path / IMAGE_SHA1
    path.write_bytes(b"x")
    old = time.time() - 7 * 86400
    os.utime(path, (old, old))
    cache.refresh(str(path))
    assert time.time() - path.stat().st_mtime < 3600


def test_stale_temps_are_cleaned_and_nothing_else(tmp_path):
    now = time.time()
    old = now - cache.STALE_TEMP_AGE - 10
    stale = os.path.basename(cache.temp_path(str(tmp_path), IMAGE_SHA1, "download"))
    fresh = os.path.basename(cache.temp_path(str(tmp_path), IMAGE_SHA1, "convert"))
    novas = [IMAGE_SHA1, IMAGE_SHA1 + "_10", IMAGE_SHA1 + ".part", "swap_512"]
    for entry in [stale, fresh] + novas:
        (tmp_path / entry).write_bytes(b"x")
        os.utime(tmp_path / entry, (old, old) if entry != fresh else (now, now))
    (tmp_path / ".precache-a-directory").mkdir()
    os.utime(tmp_path / ".precache-a-directory", (old, old))
    assert cache.clean_stale_temps(str(tmp_path), now=now) == [stale]
    assert sorted(os.listdir(tmp_path)) == sorted([fresh, ".precache-a-directory"] + novas)


def test_clean_stale_temps_without_a_cache_dir(tmp_path):
    assert cache.clean_stale_temps(str(tmp_path / "missing")) == []


def test_free_space_check_says_what_and_how_much(tmp_path):
    cache.check_free_space(str(tmp_path), 1, "image x")
    with pytest.raises(cache.CacheError, match=r"not enough space in .* for image x: 1125899906842624 bytes \(1024.0 TiB\) needed"):
        cache.check_free_space(str(tmp_path), 1024 ** 5, "image x")


def test_ensure_dir_refuses_a_file_in_the_way(tmp_path):
    (tmp_path / "locks").write_text("")
    with pytest.raises(cache.CacheError, match="not a directory"):
        cache.ensure_dir(str(tmp_path / "locks"), os.getuid(), os.getgid())
