# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The image_store_copy module's own layer: checks before any copy, result, failures."""

import types

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import connection
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import store_copy
from ansible_collections.openstack_ops.precache.plugins.modules import image_store_copy
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.controller.test_store_copy import (
    IMAGE_A, IMAGE_B, Clock, Glance)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.modules.utils import (
    patch_exits, run_module)


class SDKError(Exception):
    pass


@pytest.fixture
def glance(monkeypatch):
    clock = Clock()
    glance = Glance(clock)
    glance.add(IMAGE_A, "cirros")
    glance.add(IMAGE_B, "ubuntu", stores="site-a,site-b")
    sdk = types.SimpleNamespace(exceptions=types.SimpleNamespace(SDKException=SDKError))
    monkeypatch.setattr(connection, "openstack", sdk)
    monkeypatch.setattr(connection, "connect", lambda options: types.SimpleNamespace(
        image=glance, current_project_id="admin"))
    monkeypatch.setattr(store_copy, "time", types.SimpleNamespace(monotonic=clock,
                                                                  sleep=clock.sleep))
    patch_exits(monkeypatch)
    return glance


def run(args, check_mode=False):
    return run_module(image_store_copy.main, args, check_mode=check_mode)


def test_copies_and_reports_per_store(glance):
    outcome = run({"images": [{"id": IMAGE_A}, "ubuntu"], "stores": ["site-b", "site-b"]})
    assert not outcome.failed
    result = outcome.result
    assert result["changed"] is True
    assert [(r["id"], r["store"], r["status"]) for r in result["copies"]] == [
        (IMAGE_A, "site-b", "copied"), (IMAGE_B, "site-b", "present")]
    assert result["stores"] == {"site-b": {"present": [IMAGE_B], "copied": [IMAGE_A],
                                           "failed": [], "timed_out": [], "missing": []}}
    assert result["target_stores"] == ["site-b"]


def test_present_everywhere_is_no_change(glance):
    outcome = run({"images": [IMAGE_B], "stores": ["site-b"]})
    assert not outcome.failed and outcome.result["changed"] is False
    assert glance.posts == []


def test_check_mode_reports_what_it_would_copy(glance):
    outcome = run({"images": [IMAGE_A, IMAGE_B], "stores": ["site-c"]}, check_mode=True)
    assert outcome.result["changed"] is True
    assert [r["msg"] for r in outcome.result["copies"]] == [
        "would copy it from store site-a (check mode)",
        "would copy it from store site-a or site-b (check mode)"]
    assert glance.posts == []


def test_copy_missing_false_reads_only(glance):
    outcome = run({"images": [IMAGE_A, IMAGE_B], "stores": ["site-b"], "copy_missing": False})
    assert not outcome.failed and outcome.result["changed"] is False
    assert outcome.result["stores"]["site-b"]["missing"] == [IMAGE_A]
    assert glance.posts == []


def test_an_unknown_store_fails_before_anything_starts(glance):
    outcome = run({"images": [IMAGE_A], "stores": ["site-b", "ceph-edge-9"]})
    assert outcome.failed
    assert "Glance has no store 'ceph-edge-9'" in outcome.result["msg"]
    assert "copies" not in outcome.result and glance.posts == []
    assert outcome.result["target_stores"] == ["site-b", "ceph-edge-9"]


def test_a_bad_image_fails_before_anything_starts(glance):
    outcome = run({"images": [IMAGE_A, "missing"], "stores": ["site-b"]})
    assert outcome.failed and "'missing' (images): not found" in outcome.result["msg"]
    assert glance.posts == []


def test_failures_fail_the_task_with_every_record(glance):
    glance.behaviour[IMAGE_A] = "task_fails"
    outcome = run({"images": [IMAGE_A, IMAGE_B], "stores": ["site-c"], "poll_interval": 5})
    assert outcome.failed
    assert outcome.result["msg"].startswith("1 of 2 copies failed or timed out: image %s"
                                            % IMAGE_A)
    assert outcome.result["stores"]["site-c"]["failed"] == [IMAGE_A]
    assert outcome.result["stores"]["site-c"]["copied"] == [IMAGE_B]


def test_empty_stores_is_an_error(glance):
    outcome = run({"images": [IMAGE_A], "stores": []})
    assert outcome.failed and "stores is empty" in outcome.result["msg"]
