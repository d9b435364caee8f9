# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Listing Nova's cache dir, in-use detection from real qcow2 overlays, and expiry arithmetic."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import (
    cache_inventory as inv)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_dir import CacheDir
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    cache_name)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.settings import (
    load_settings)

MIB = 1024 * 1024
NOW = 1_800_000_000.0
IMAGE_A = "0f5c6d2e-8a4b-4c1e-9d7f-1a2b3c4d5e6f"
IMAGE_B = "7e1d2c3b-4a59-4687-9a0b-c1d2e3f4a5b6"
IMAGE_C = "c0ffee00-1111-4222-8333-944455566677"


def make_host(tmp_path, conf_extra=""):
    instances = tmp_path / "instances"
    (instances / "_base").mkdir(parents=True)
    conf = tmp_path / "nova.conf"
    conf.write_text("[DEFAULT]\nstate_path = %s\nmy_ip = 127.0.0.11\nhost = compute1\n%s"
                    % (tmp_path, conf_extra))
    return load_settings(str(conf))


@pytest.fixture
def settings(tmp_path):
    return make_host(tmp_path)


def base_file(settings, name, mib=1, mtime=NOW - 3600, sparse=False):
    """A raw base file of `mib` MiB (all data, or one sparse hole) with the given mtime."""
    path = os.path.join(settings.cache_dir, name)
    with open(path, "wb") as handle:
        if sparse:
            handle.truncate(mib * MIB)
        else:
            handle.write(os.urandom(mib * MIB))
    os.utime(path, (mtime, mtime))
    return path


def instance(settings, uuid, backing, disk="disk", absolute=None):
    """An instance dir whose disk is a real qcow2 overlay on `backing` (a base file path)."""
    directory = os.path.join(settings.instances_path, uuid)
    os.makedirs(directory, exist_ok=True)
    target = absolute or backing
    subprocess.run(["qemu-img", "create", "-f", "qcow2", "-F", "raw", "-b", target, "-u",
                    os.path.join(directory, disk), "1M"], check=True, capture_output=True)
    return directory


def opened(settings):
    """The cache dir as image_cache_info opens it: by descriptor, creating nothing."""
    return CacheDir(settings, os.getuid(), create=False)


def test_classify_follows_novas_names():
    sha = cache_name(IMAGE_A)
    assert inv.classify(sha) == (inv.ORIGINAL, sha)
    assert inv.classify(sha + "_20") == (inv.RESIZED, sha)
    assert inv.classify(sha + "_sm") == (inv.RESIZED, sha)
    for other in (sha + ".part", sha + ".converted", ".precache-%s-1a2b.download" % sha,
                  "swap_512", "ephemeral_10_40d1d2c", sha[:39], sha.upper(), sha + "_x"):
        assert inv.classify(other) == (None, None), other


def test_listing_reports_kinds_sizes_ids_and_ignores_other_files(settings, qemu):
    a, b = cache_name(IMAGE_A), cache_name(IMAGE_B)
    base_file(settings, a, mib=2)
    base_file(settings, b, mib=4, sparse=True)
    base_file(settings, b + "_10")
    for other in (a + ".part", "swap_512", ".precache-x.download"):
        base_file(settings, other)
    os.mkdir(os.path.join(settings.cache_dir, cache_name(IMAGE_C)))
    result = inv.report(settings, qemu, opened(settings), images=[{"id": IMAGE_A, "name": "cirros"}, IMAGE_C],
                        now=NOW)
    files = {f["name"]: f for f in result["files"]}
    assert sorted(files) == sorted([a, b, b + "_10"])
    assert (files[a]["image_id"], files[a]["image_name"], files[a]["kind"]) == (
        IMAGE_A, "cirros", "original")
    assert files[b]["image_id"] is None and files[b + "_10"]["kind"] == "resized"
    assert files[a]["size"] == 2 * MIB and files[a]["disk_usage"] >= 2 * MIB
    assert files[b]["size"] == 4 * MIB and files[b]["disk_usage"] < MIB
    assert files[a]["format"] == "raw" and files[a]["age"] == 3600
    assert result["images_cached"] == [IMAGE_A] and result["images_missing"] == [IMAGE_C]
    assert result["totals"] == {"count": 2, "resized_count": 1, "size": 7 * MIB,
                                "disk_usage": sum(f["disk_usage"] for f in files.values()),
                                "in_use": 0}
    assert [t["name"] for t in result["temps"]] == [".precache-x.download"]
    assert result["filesystem"]["total"] >= result["filesystem"]["free"] > 0


def test_instance_overlays_mark_their_backing_files_in_use(settings, qemu):
    a, b, c = cache_name(IMAGE_A), cache_name(IMAGE_B), cache_name(IMAGE_C)
    for name in (a, b, c, c + "_20"):
        base_file(settings, name)
    instance(settings, "inst-1", os.path.join(settings.cache_dir, a))
    # A disk written by nova-compute in a container names the container's path: the name counts.
    instance(settings, "inst-2", None, absolute="/var/lib/nova/instances/_base/" + a)
    instance(settings, "inst-3", os.path.join(settings.cache_dir, c + "_20"))
    instance(settings, "inst-4", os.path.join(settings.cache_dir, b), disk="disk.rescue")
    # Not an instance disk: a config drive or a console log never makes a file in use.
    instance(settings, "inst-5", os.path.join(settings.cache_dir, b), disk="disk.config")
    files = {f["name"]: f for f in inv.report(settings, qemu, opened(settings), now=NOW)["files"]}
    assert files[a]["used_by"] == ["inst-1", "inst-2"]
    # An instance on the resized copy uses the image: the original is in use too.
    assert files[c + "_20"]["used_by"] == ["inst-3"] and files[c]["used_by"] == ["inst-3"]
    assert files[b]["used_by"] == ["inst-4"]
    assert all(f["in_use"] for f in files.values())


def test_raw_instance_disks_use_nothing_and_unreadable_disks_are_reported(settings, qemu):
    a = cache_name(IMAGE_A)
    base_file(settings, a)
    os.makedirs(os.path.join(settings.instances_path, "flat"))
    base_file(settings, "../flat/disk")
    broken = instance(settings, "broken", os.path.join(settings.cache_dir, a))
    with open(os.path.join(broken, "disk"), "r+b") as disk:
        disk.seek(4)
        disk.write(b"\xff\xff\xff\xff")  # qcow2 version 0xffffffff: qemu-img refuses it
    usage = inv.scan_usage(opened(settings), qemu)
    assert usage.by_file == {}
    assert len(usage.errors) == 1 and usage.errors[0].startswith(os.path.join(broken, "disk"))


def test_expiry_follows_novas_settings(tmp_path):
    unused = inv.BaseFile("x", "/x", inv.ORIGINAL, "x", 1, 1, NOW - 3600, [])
    resized = inv.BaseFile("x_1", "/x_1", inv.RESIZED, "x", 1, 1, NOW - 3600, [])
    used = inv.BaseFile("y", "/y", inv.ORIGINAL, "y", 1, 1, NOW - 3600, ["i"])
    settings = make_host(tmp_path / "default")
    assert inv.expiry(unused, settings, NOW) == {
        "expires_at": NOW - 3600 + 86400, "expires_by": NOW - 3600 + 86400 + 2400,
        "expires_in": 86400 - 3600, "never_expires_because": None}
    assert inv.expiry(resized, settings, NOW)["expires_at"] == NOW
    # Old enough already: removable now, gone by the next pass at the latest.
    old = inv.BaseFile("z", "/z", inv.ORIGINAL, "z", 1, 1, NOW - 90000, [])
    assert inv.expiry(old, settings, NOW)["expires_in"] == -3600
    assert inv.expiry(old, settings, NOW)["expires_by"] == NOW + 2400
    assert "in use" in inv.expiry(used, settings, NOW)["never_expires_because"]
    custom = make_host(tmp_path / "custom", "[image_cache]\nmanager_interval = 0\n"
                       "remove_unused_original_minimum_age_seconds = 600\n")
    assert inv.expiry(unused, custom, NOW)["expires_by"] == NOW + 60
    off = make_host(tmp_path / "off", "[image_cache]\nremove_unused_base_images = false\n")
    assert inv.expiry(unused, off, NOW)["expires_at"] is None
    assert "remove_unused_base_images" in inv.expiry(unused, off, NOW)["never_expires_because"]
    never = make_host(tmp_path / "never", "[image_cache]\nmanager_interval = -1\n")
    assert "never runs" in inv.expiry(unused, never, NOW)["never_expires_because"]


HOLD_LOCK = """
import fcntl, sys, time
handle = open(sys.argv[1], "a")
fcntl.lockf(handle, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(30)
"""


def test_temps_are_stale_when_no_running_cache_image_holds_them(settings):
    held, free = cache_name(IMAGE_A), cache_name(IMAGE_B)
    base_file(settings, ".precache-%s-1.download" % held, mtime=NOW - 60)
    base_file(settings, ".precache-%s-2.convert" % free, mtime=NOW - 60)
    locks = os.path.join(settings.instances_path, "locks")
    os.mkdir(locks)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK,
                               os.path.join(locks, "nova-" + held)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"locked"
        temps = inv.list_temps(opened(settings), NOW)
    finally:
        holder.kill()
        holder.wait()
    assert sorted((t["name"], t["stale"]) for t in temps) == sorted([
        (".precache-%s-1.download" % held, False), (".precache-%s-2.convert" % free, True)])


def test_missing_cache_dir_is_an_empty_cache(tmp_path, qemu):
    settings = make_host(tmp_path)
    os.rmdir(settings.cache_dir)
    result = inv.report(settings, qemu, opened(settings), images=[IMAGE_A], now=NOW)
    assert result["files"] == [] and result["images_missing"] == [IMAGE_A]
    assert result["filesystem"]["total"] > 0


def test_images_without_id_are_refused():
    with pytest.raises(ValueError, match="has no id"):
        inv.image_names([{"name": "cirros"}])


DESCRIPTOR = (b'# Disk DescriptorFile\nversion=1\ncreateType="monolithicFlat"\n'
              b'RW 2048 FLAT "%s" 0\n')


@pytest.mark.parametrize("with_disk_info", [True, False])
def test_a_guest_cannot_make_the_scan_open_host_files(settings, qemu, tmp_path, with_disk_info):
    # A raw disk whose guest wrote a VMDK descriptor naming a FIFO: a probing qemu-img would
    # block on it for ever.
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    directory = os.path.join(settings.instances_path, "guest")
    os.makedirs(directory)
    with open(os.path.join(directory, "disk"), "wb") as disk:
        disk.write(DESCRIPTOR % str(fifo).encode() + bytes(MIB))
    if with_disk_info:
        with open(os.path.join(directory, "disk.info"), "w") as info:
            json.dump({os.path.join("/var/lib/nova/instances/guest", "disk"): "raw"}, info)
    usage = inv.scan_usage(opened(settings), qemu)
    assert (usage.by_file, usage.errors) == ({}, [])


def test_links_and_fifos_in_instance_dirs_are_not_read(settings, qemu, tmp_path):
    a = cache_name(IMAGE_A)
    base_file(settings, a)
    real = instance(settings, "real", os.path.join(settings.cache_dir, a))
    linked = os.path.join(settings.instances_path, "linked")
    os.makedirs(linked)
    os.symlink(os.path.join(real, "disk"), os.path.join(linked, "disk"))
    os.symlink(real, os.path.join(settings.instances_path, "linked-dir"))
    fifo_dir = os.path.join(settings.instances_path, "fifo")
    os.makedirs(fifo_dir)
    os.mkfifo(os.path.join(fifo_dir, "disk"))
    usage = inv.scan_usage(opened(settings), qemu)
    assert (usage.by_file, usage.errors) == ({a: ["real"]}, [])
