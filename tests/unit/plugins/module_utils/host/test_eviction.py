# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Eviction: limits, the LRU choice, and removal under Nova's locks that never breaks an instance."""

import hashlib
import os
import subprocess
import sys

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import cache_worker
from ansible_collections.openstack_ops.precache.plugins.module_utils.host import eviction as ev
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_inventory import (
    BaseFile, ORIGINAL)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_dir import CacheDir
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    CacheError, cache_name)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.settings import (
    load_settings)

MIB = 1024 * 1024
NOW = 1_800_000_000.0
IDS = ["00000000-0000-4000-8000-%012d" % n for n in range(6)]


@pytest.fixture
def settings(tmp_path):
    (tmp_path / "instances" / "_base").mkdir(parents=True)
    conf = tmp_path / "nova.conf"
    conf.write_text("[DEFAULT]\nstate_path = %s\nmy_ip = 127.0.0.11\nhost = compute1\n" % tmp_path)
    return load_settings(str(conf))


def cached(settings, index, mib=1, age_hours=1):
    """Image IDS[index] cached as a raw base file of `mib` MiB of data, `age_hours` old."""
    path = os.path.join(settings.cache_dir, cache_name(IDS[index]))
    with open(path, "wb") as handle:
        handle.write(os.urandom(mib * MIB))
    mtime = NOW - age_hours * 3600
    os.utime(path, (mtime, mtime))
    return path


def boot(settings, uuid, base_path):
    """An instance whose disk is a real qcow2 overlay backed by `base_path`."""
    directory = os.path.join(settings.instances_path, uuid)
    os.makedirs(directory)
    subprocess.run(["qemu-img", "create", "-f", "qcow2", "-F", "raw", "-b", base_path,
                    os.path.join(directory, "disk")], check=True, capture_output=True)


def present(settings):
    return sorted(n for n in os.listdir(settings.cache_dir) if not n.startswith("."))


def evictor(settings, qemu, pinned=(), **limits):
    return ev.Evictor(CacheDir(settings, os.getuid()), qemu, ev.parse_limits(**limits),
                      list(pinned))


def fake(name, mib, hours, used_by=()):
    return BaseFile(name, "/" + name, ORIGINAL, name, mib * MIB, mib * MIB,
                    NOW - hours * 3600, list(used_by))


def test_parse_limits_takes_human_sizes_and_refuses_nonsense():
    assert ev.parse_limits("200G", 5, 50.0) == ev.Limits(200 * 1024 ** 3, 5, 50.0)
    assert not ev.parse_limits().enabled and ev.parse_limits(max_count=1).enabled
    for bad, match in (({"max_size": "lots"}, "cache_max_size: 'lots' is not a size"),
                       ({"max_count": 0}, "cache_max_count must be at least 1"),
                       ({"max_percent": 0.0}, "cache_max_percent"),
                       ({"max_percent": 101.0}, "cache_max_percent")):
        with pytest.raises(ValueError, match=match):
            ev.parse_limits(**bad)


def test_max_bytes_is_the_stricter_of_size_and_percent():
    assert ev.Limits(max_size=300).max_bytes(1000) == 300
    assert ev.Limits(max_size=300, max_percent=20.0).max_bytes(1000) == 200
    assert ev.Limits(max_percent=50.0).max_bytes(1000) == 500
    assert ev.Limits(max_count=2).max_bytes(1000) is None


def test_lru_choice_takes_the_oldest_unused_unpinned_until_it_fits():
    files = [fake("new-ish", 2, 1), fake("oldest", 1, 50), fake("old-used", 3, 40, ["i"]),
             fake("old-pinned", 3, 30), fake("older", 2, 20)]
    plan = ev.choose(files, 2 * MIB, ev.Limits(max_size=10 * MIB), 10 ** 12, {"old-pinned"})
    # 13 MiB with the new one -> 12 -> 10: the two oldest candidates go, not the used or pinned.
    assert [f.name for f in plan.victims] == ["oldest", "older"] and plan.fits
    assert (plan.count, plan.disk_usage) == (4, 10 * MIB)
    plan = ev.choose(files, 2 * MIB, ev.Limits(max_size=8 * MIB), 10 ** 12, {"old-pinned"})
    assert [f.name for f in plan.victims] == ["oldest", "older", "new-ish"] and plan.fits
    plan = ev.choose(files, 0, ev.Limits(max_count=5), 10 ** 12, set())
    assert [f.name for f in plan.victims] == ["oldest"]
    assert ev.choose(files, 0, ev.Limits(max_count=6), 10 ** 12, set()).victims == []


def test_lru_choice_fails_when_used_and_pinned_files_leave_no_room():
    files = [fake("used", 3, 50, ["i"]), fake("pinned", 3, 40), fake("free", 1, 10)]
    plan = ev.choose(files, 2 * MIB, ev.Limits(max_size=7 * MIB), 10 ** 12, {"pinned"})
    assert not plan.fits
    plan = ev.choose(files, 0, ev.Limits(max_count=2), 10 ** 12, {"pinned"})
    assert not plan.fits


def test_make_room_never_removes_a_backing_file_of_an_instance_disk(settings, qemu):
    used = cached(settings, 0, age_hours=100)
    cached(settings, 1, age_hours=50)
    cached(settings, 2, age_hours=10)
    boot(settings, "inst-1", used)
    evicted = evictor(settings, qemu, max_size="3M").make_room(cache_name(IDS[3]), MIB)
    assert [e["name"] for e in evicted] == [cache_name(IDS[1])]
    assert evicted[0]["mtime"] == NOW - 50 * 3600
    assert present(settings) == sorted([cache_name(IDS[0]), cache_name(IDS[2])])
    assert evicted[0]["disk_usage"] >= MIB


def test_make_room_spares_pinned_images_and_the_original_of_a_used_resized_copy(settings, qemu):
    cached(settings, 0, age_hours=100)
    cached(settings, 1, age_hours=90)
    cached(settings, 2, age_hours=80)
    resized = os.path.join(settings.cache_dir, cache_name(IDS[1]) + "_10")
    with open(resized, "wb") as handle:
        handle.write(b"\0" * MIB)
    boot(settings, "inst-1", resized)
    evicted = evictor(settings, qemu, pinned=[IDS[0]], max_count=3).make_room(
        cache_name(IDS[3]), MIB)
    assert [e["name"] for e in evicted] == [cache_name(IDS[2])]
    assert os.path.exists(resized)


def test_nothing_is_removed_when_the_image_cannot_fit(settings, qemu):
    used = cached(settings, 0, mib=2, age_hours=100)
    cached(settings, 1, age_hours=90)
    cached(settings, 2, age_hours=80)
    boot(settings, "inst-1", used)
    before = present(settings)
    with pytest.raises(CacheError, match=r"does not fit the cache limits \(cache_max_size "
                                         r"3145728 bytes \(3.0 MiB\)\).*1 in use, 1 pinned.*"
                                         r"nothing was evicted"):
        evictor(settings, qemu, pinned=[IDS[2]], max_size="3M").make_room(
            cache_name(IDS[3]), MIB)
    assert present(settings) == before


def test_a_file_whose_lock_is_busy_is_spared_and_the_next_one_taken(settings, qemu):
    cached(settings, 0, age_hours=100)
    cached(settings, 1, age_hours=90)
    cached(settings, 2, age_hours=1)
    lock = os.path.join(settings.lock_dir, "nova-" + cache_name(IDS[0]))
    os.makedirs(settings.lock_dir, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time\nh = open(sys.argv[1], 'a')\n"
         "fcntl.lockf(h, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(30)", lock],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        evicted = evictor(settings, qemu, max_count=2).make_room(cache_name(IDS[3]), MIB)
    finally:
        holder.kill()
        holder.wait()
    assert [e["name"] for e in evicted] == [cache_name(IDS[1]), cache_name(IDS[2])]
    assert present(settings) == [cache_name(IDS[0])]


def test_preview_chooses_without_removing(settings, qemu):
    cached(settings, 0, age_hours=100)
    cached(settings, 1, age_hours=90)
    preview = evictor(settings, qemu, max_percent=100.0, max_count=1).preview(
        cache_name(IDS[3]), MIB)
    assert [e["name"] for e in preview] == [cache_name(IDS[0]), cache_name(IDS[1])]
    assert len(present(settings)) == 2


def test_unreadable_instance_disk_stops_eviction(settings, qemu):
    cached(settings, 0, age_hours=100)
    directory = os.path.join(settings.instances_path, "inst-1")
    os.makedirs(directory)
    with open(os.path.join(directory, "disk"), "wb") as disk:
        disk.write(b"QFI\xfb\xff\xff\xff\xff" + b"\0" * 4096)
    with pytest.raises(CacheError, match="cannot tell which cached images instances use"):
        evictor(settings, qemu, max_count=1).make_room(cache_name(IDS[3]), MIB)
    assert present(settings) == [cache_name(IDS[0])]


def plan_entry(glance, index, mib):
    root, url = glance
    data = os.urandom(mib * MIB)
    (root / IDS[index]).write_bytes(data)
    return {"id": IDS[index], "name": "image-%d" % index, "url": "%s/%s" % (url, IDS[index]),
            "size": len(data), "disk_format": "raw", "container_format": "bare",
            "os_hash_algo": "sha512", "os_hash_value": hashlib.sha512(data).hexdigest()}


@pytest.mark.parametrize("check_mode", [False, True])
def test_cache_image_evicts_to_install_and_reports_it(settings, qemu, glance, check_mode):
    old = cached(settings, 0, mib=2, age_hours=100)
    cached(settings, 1, mib=2, age_hours=10)
    image = plan_entry(glance, 3, 2)
    evicting = evictor(settings, qemu, pinned=[IDS[3]], max_size="5M")
    cacher = cache_worker.ImageCacher(
        settings, qemu, True, evicting.cache_dir, 0o644, lock_timeout=5,
        download_options={"retries": 0, "timeout": 10}, check_mode=check_mode,
        evictor=evicting)
    record = cacher.cache(image)
    assert record["action"] == "downloaded", record["msg"]
    assert [e["path"] for e in record["evicted"]] == [old]
    verb = "would evict" if check_mode else "evicted"
    assert "; %s 1 unused images" % verb in record["msg"]
    expected = [0, 1] if check_mode else [1, 3]
    assert present(settings) == sorted(cache_name(IDS[i]) for i in expected)


def test_cache_image_fails_an_image_that_cannot_fit_before_downloading_it(settings, qemu, glance):
    cached(settings, 0, age_hours=100)
    image = plan_entry(glance, 3, 1)
    evicting = evictor(settings, qemu, pinned=[IDS[0], IDS[3]], max_count=1)
    cacher = cache_worker.ImageCacher(
        settings, qemu, True, evicting.cache_dir, 0o644, lock_timeout=5,
        download_options={"retries": 0, "timeout": 10}, evictor=evicting)
    record = cacher.cache(image)
    assert record["action"] == "failed" and record["bytes_transferred"] == 0
    assert record["msg"].startswith("image %s (image-3): it does not fit" % IDS[3])
    assert present(settings) == [cache_name(IDS[0])]
    assert [n for n in os.listdir(settings.cache_dir) if n.startswith(".")] == []
