# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The image_cache_info module's own layer: arguments, the result, check mode, errors."""

import hashlib
import os
import subprocess
import time

import pytest

from ansible_collections.openstack_ops.precache.plugins.modules import image_cache_info
from ansible_collections.openstack_ops.precache.tests.unit.plugins.modules.utils import (
    run_module)

IMAGE_ID = "5a1f0c2d-3b4e-4f56-8789-0a1b2c3d4e5f"
OTHER_ID = "9b8a7c6d-5e4f-4321-8fed-cba987654321"


def sha1(image_id):
    return hashlib.sha1(image_id.encode()).hexdigest()


@pytest.fixture
def host(tmp_path):
    """nova.conf with a short expiry, a cached image an instance uses and one nobody does."""
    cache_dir = tmp_path / "instances" / "_base"
    cache_dir.mkdir(parents=True)
    conf = tmp_path / "nova.conf"
    conf.write_text("[DEFAULT]\nstate_path = %s\nmy_ip = 127.0.0.11\nhost = compute1\n"
                    "[image_cache]\nmanager_interval = 600\n"
                    "remove_unused_original_minimum_age_seconds = 7200\n" % tmp_path)
    for image_id in (IMAGE_ID, OTHER_ID):
        (cache_dir / sha1(image_id)).write_bytes(b"\0" * 65536)
    old = time.time() - 3600
    os.utime(cache_dir / sha1(OTHER_ID), (old, old))
    instance = tmp_path / "instances" / "8d6f4a2e-instance"
    instance.mkdir()
    subprocess.run(["qemu-img", "create", "-f", "qcow2", "-F", "raw", "-b",
                    str(cache_dir / sha1(IMAGE_ID)), str(instance / "disk")],
                   check=True, capture_output=True)
    return tmp_path, str(conf)


@pytest.mark.parametrize("check_mode", [False, True])
def test_reports_use_expiry_and_names(host, check_mode):
    outcome = run_module(image_cache_info.main, {
        "nova_conf": [host[1]], "images": [{"id": IMAGE_ID, "name": "cirros"}, "missing-id"],
        "owner": str(os.getuid()), "group": str(os.getgid())}, check_mode=check_mode)
    assert not outcome.failed, outcome.result["msg"]
    result = outcome.result
    files = {f["name"]: f for f in result["files"]}
    used, unused = files[sha1(IMAGE_ID)], files[sha1(OTHER_ID)]
    assert (used["image_id"], used["image_name"], used["in_use"]) == (IMAGE_ID, "cirros", True)
    assert used["used_by"] == ["8d6f4a2e-instance"] and used["expires_at"] is None
    assert unused["image_id"] is None and not unused["in_use"]
    assert unused["expires_in"] == pytest.approx(3600, abs=60)
    assert unused["expires_by"] - unused["expires_at"] <= 600
    assert result["images_cached"] == [IMAGE_ID] and result["images_missing"] == ["missing-id"]
    assert result["totals"]["count"] == 2 and result["totals"]["in_use"] == 1
    assert result["nova_conf"]["manager_interval"] == 600
    assert not result["changed"]


def test_unknown_nova_conf_fails_clearly(tmp_path):
    outcome = run_module(image_cache_info.main, {"nova_conf": [str(tmp_path / "nope.conf")]})
    assert outcome.failed and "does not exist" in outcome.result["msg"]


def test_image_without_id_fails_clearly(host):
    outcome = run_module(image_cache_info.main, {
        "nova_conf": [host[1]], "images": [{"name": "cirros"}], "owner": str(os.getuid()),
        "group": str(os.getgid())})
    assert outcome.failed and "has no id" in outcome.result["msg"]
