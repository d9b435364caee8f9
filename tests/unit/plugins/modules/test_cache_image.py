# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The cache_image module's own layer: arguments, the result it returns, and when it fails."""

import functools
import hashlib
import http.server
import json
import os
import threading

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import host_module
from ansible_collections.openstack_ops.precache.plugins.modules import cache_image
from ansible_collections.openstack_ops.precache.tests.unit.plugins.modules.utils import (
    run_module)

IMAGE_ID = "0c3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f01"


@pytest.fixture
def served(tmp_path):
    """A raw image served over HTTP, and its plan entry."""
    data = os.urandom(512 * 1024)
    (tmp_path / "image.raw").write_bytes(data)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield {"id": IMAGE_ID, "disk_format": "raw", "size": len(data),
           "url": "http://127.0.0.1:%d/image.raw" % server.server_address[1],
           "os_hash_algo": "sha512", "os_hash_value": hashlib.sha512(data).hexdigest()}
    server.shutdown()
    server.server_close()


def run(args, check_mode=False):
    # As the tests' own user: the drop to another user is tested in test_run_as.
    args = dict({"owner": str(os.getuid()), "group": str(os.getgid())}, **args)
    return run_module(cache_image.main, args, check_mode=check_mode, diff=True)


def test_caches_into_the_given_dir_and_reports_it(tmp_path, served):
    cache_dir = tmp_path / "instances" / "_base"
    cache_dir.mkdir(parents=True)
    outcome = run({"images": [served], "cache_dir": str(cache_dir), "auth_token": "s3cret"})
    assert not outcome.failed, outcome.result["msg"]
    result = outcome.result
    assert result["changed"] and result["images_cached"] == [IMAGE_ID]
    assert result["images"][0]["action"] == "downloaded"
    assert result["diff"]["after"] == "%s\n" % result["images"][0]["path"]
    assert os.path.isfile(result["images"][0]["path"])
    assert "s3cret" not in json.dumps(result)


def test_check_mode_reports_and_creates_nothing(tmp_path, served):
    cache_dir = tmp_path / "instances" / "_base"
    cache_dir.mkdir(parents=True)
    outcome = run({"images": [served], "cache_dir": str(cache_dir)}, check_mode=True)
    assert outcome.result["changed"] and outcome.result["images"][0]["msg"] == "would download"
    assert os.listdir(cache_dir) == []


def test_a_failed_image_fails_the_task_after_the_others_ran(tmp_path, served):
    cache_dir = tmp_path / "instances" / "_base"
    cache_dir.mkdir(parents=True)
    bad = dict(served, id="11111111-2222-3333-4444-555555555555", os_hash_value="0" * 128)
    outcome = run({"images": [bad, served], "cache_dir": str(cache_dir), "retries": 0})
    assert outcome.failed
    assert outcome.result["msg"].startswith("1 of 2 images failed: image 11111111-")
    assert outcome.result["images_failed"] == [bad["id"]]
    assert outcome.result["images_cached"] == [IMAGE_ID]


def test_without_nova_conf_or_cache_dir_it_says_where_it_looked(tmp_path, served, monkeypatch):
    monkeypatch.setattr(host_module, "load_settings", functools.partial(
        host_module.load_settings, root=str(tmp_path)))
    outcome = run({"images": [served]})
    assert outcome.failed and "nova.conf" in outcome.result["msg"]


@pytest.mark.parametrize("args, message", [
    ({"mode": "rw-r--r--"}, "not an octal number"),
    ({"rate_limit": "fast"}, "is not a size"),
    ({"owner": "no-such-user-here"}, "user no-such-user-here does not exist"),
])
def test_bad_arguments_are_clear_errors(tmp_path, served, args, message):
    cache_dir = tmp_path / "_base"
    cache_dir.mkdir()
    outcome = run(dict({"images": [served], "cache_dir": str(cache_dir)}, **args))
    assert outcome.failed and message in outcome.result["msg"]
    assert os.listdir(cache_dir) == []


def test_eviction_makes_room_and_reports_it(tmp_path, served):
    cache_dir = tmp_path / "instances" / "_base"
    cache_dir.mkdir(parents=True)
    old = cache_dir / hashlib.sha1(b"old-image").hexdigest()
    old.write_bytes(os.urandom(4096))
    pinned = cache_dir / hashlib.sha1(b"pinned-image").hexdigest()
    pinned.write_bytes(os.urandom(4096))
    os.utime(pinned, (1, 1))
    outcome = run({"images": [served], "cache_dir": str(cache_dir), "cache_max_count": 2,
                   "pinned_images": ["pinned-image"]})
    assert not outcome.failed, outcome.result["msg"]
    result = outcome.result
    assert [e["path"] for e in result["evicted"]] == [str(old)]
    assert result["images"][0]["evicted"] == result["evicted"]
    assert result["diff"]["before"] == "%s\n" % old
    assert not old.exists() and pinned.exists()


def test_bad_cache_limit_fails_before_anything(tmp_path, served):
    cache_dir = tmp_path / "instances" / "_base"
    cache_dir.mkdir(parents=True)
    outcome = run({"images": [served], "cache_dir": str(cache_dir), "cache_max_size": "2 apples"})
    assert outcome.failed and outcome.result["msg"].startswith("cache_max_size: '2 apples'")
    assert os.listdir(cache_dir) == []


def test_an_rbd_host_names_its_glance_store(tmp_path, served):
    conf = tmp_path / "nova.conf"
    conf.write_text("[DEFAULT]\nstate_path = %s\n[libvirt]\nimages_type = rbd\n"
                    "images_rbd_glance_store_name = edge-1-ceph\n" % tmp_path)
    (tmp_path / "instances").mkdir()
    outcome = run({"images": [served], "nova_conf": [str(conf)]})
    assert not outcome.failed, outcome.result["msg"]
    result = outcome.result
    assert (result["images_type"], result["glance_store"]) == ("rbd", "edge-1-ceph")
    assert result["images_unsupported"] == [IMAGE_ID] and result["changed"] is False
    assert result["images"][0]["store"] == "edge-1-ceph"


def test_other_hosts_have_no_glance_store(tmp_path, served):
    cache_dir = tmp_path / "instances" / "_base"
    cache_dir.mkdir(parents=True)
    result = run({"images": [served], "cache_dir": str(cache_dir)}, check_mode=True).result
    assert result["glance_store"] is None and "store" not in result["images"][0]


RUN_ID = "feedfacefeedface"


def test_progress_is_written_while_it_runs_and_killed_runs_files_are_removed(
        tmp_path, served, monkeypatch):
    cache_dir = tmp_path / "instances" / "_base"
    cache_dir.mkdir(parents=True)
    folder = tmp_path / "instances" / ".precache-progress"
    folder.mkdir(mode=0o700)
    (folder / "0123456789abcdef.json").write_text("{}")
    os.utime(folder / "0123456789abcdef.json", (1, 1))
    written = []

    class Recording(cache_image.StatusWriter):
        def _write(self, status):
            written.append(status)
            super()._write(status)
    monkeypatch.setattr(cache_image, "StatusWriter", Recording)
    outcome = run({"images": [served], "cache_dir": str(cache_dir),
                   "progress": {"run_id": RUN_ID, "heartbeat_timeout": 60}})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["stale_temps_removed"] == [".precache-progress/0123456789abcdef.json"]
    assert written and written[0]["total"] == served["size"] and written[0]["images"] == 1
    assert os.listdir(folder) == []


def test_check_mode_writes_no_progress(tmp_path, served):
    cache_dir = tmp_path / "instances" / "_base"
    cache_dir.mkdir(parents=True)
    outcome = run({"images": [served], "cache_dir": str(cache_dir),
                   "progress": {"run_id": RUN_ID}}, check_mode=True)
    assert not outcome.failed, outcome.result["msg"]
    assert not (tmp_path / "instances" / ".precache-progress").exists()


@pytest.mark.parametrize("progress, message", [
    ({"run_id": "not-hex"}, "progress.run_id must be 16 to 64 lowercase hex digits"),
    ({"run_id": RUN_ID, "heartbeat_timeout": -1}, "progress.heartbeat_timeout must be 0"),
])
def test_bad_progress_options_fail_before_anything(tmp_path, served, progress, message):
    cache_dir = tmp_path / "instances" / "_base"
    cache_dir.mkdir(parents=True)
    outcome = run({"images": [served], "cache_dir": str(cache_dir), "progress": progress})
    assert outcome.failed and message in outcome.result["msg"]
    assert os.listdir(cache_dir) == []
