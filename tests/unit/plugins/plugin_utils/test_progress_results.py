# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What cache_image results mean to a run: the plan's ids, and an rbd host's images counted by
its Glance store."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.plugin_utils import _progress_results
from ansible_collections.openstack_ops.precache.tests.unit.plugins.plugin_utils.module_results import (
    IMG_A, IMG_B, ok_result, rbd_result)


@pytest.mark.parametrize("images,ids", [
    ([{"id": IMG_A}, {"id": "{{ plan.id }}"}, IMG_B], [IMG_A, IMG_B]),
    ("{{ images }}", []),
    (None, []),
])
def test_image_ids(images, ids):
    assert _progress_results.image_ids(images) == ids


def test_store_copies_of_an_rbd_result():
    result = rbd_result()
    # A run whose checks failed (no copies) fails every image with its message.
    runs = [{"stores": ["site-x"], "result": {}},
            {"stores": ["site-b"], "result": {"failed": True, "target_stores": ["site-b"],
                                              "msg": "Glance has no store 'site-b'"}}]
    counted = _progress_results.with_store_copies(result, runs)
    assert counted["failed"] is True and counted["images_failed"] == [IMG_A, IMG_B]
    assert counted["images_unsupported"] == []
    assert counted["images"][0]["store_status"] == "failed"
    assert counted["msg"].startswith("2 of 2 images failed: not in Glance store site-b")
    assert "Glance has no store 'site-b'" in counted["msg"]
    assert result["images_unsupported"] == [IMG_A, IMG_B], "the input is left alone"
    present = {"stores": ["site-b"], "result": {"copies": [
        {"id": IMG_A, "store": "site-b", "status": "present", "msg": "already in store site-b"},
        {"id": IMG_B, "store": "site-b", "status": "copied", "msg": "copied"}]}}
    counted = _progress_results.with_store_copies(result, [present])
    assert counted["images_cached"] == [IMG_A, IMG_B] and "failed" not in counted
    assert counted["images"][1]["msg"] == ("in Glance store site-b (copied), which this rbd "
                                           "host clones from")
    # Not an rbd result, or a store no run asked for: unchanged.
    assert _progress_results.with_store_copies(ok_result([IMG_A]), [present]) == ok_result([IMG_A])
    assert _progress_results.with_store_copies(rbd_result("site-c"), [present]) == rbd_result("site-c")


def test_stores_summary_gives_each_store_its_images_by_status_and_its_problems():
    runs = [{"stores": ["site-b", "site-c"], "result": {"copies": [
        {"id": IMG_A, "store": "site-b", "status": "copied", "msg": "copied"},
        {"id": IMG_A, "store": "site-c", "status": "failed", "msg": "Glance refused: HTTP 403"},
        {"id": IMG_B, "store": "site-b", "status": "present", "msg": "already there"}]}},
        {"stores": ["site-x"], "result": {"failed": True, "msg": "Glance has no store 'site-x'"}},
        {"stores": ["site-y"], "result": {"skipped": True}}]
    assert _progress_results.stores_summary(runs) == {
        "site-b": {"images": {"copied": [IMG_A], "present": [IMG_B]}, "problems": []},
        "site-c": {"images": {"failed": [IMG_A]}, "problems": ["Glance refused: HTTP 403"]},
        "site-x": {"images": {}, "problems": ["Glance has no store 'site-x'"]}}
    assert _progress_results.stores_summary(None) == {}
    # A later run for a store (the real copy after a check-mode look) replaces the earlier.
    looked = {"stores": ["site-b"], "result": {"copies": [
        {"id": IMG_A, "store": "site-b", "status": "copied", "msg": "would copy it"}]}}
    assert _progress_results.stores_summary([looked] + runs)["site-b"] == {
        "images": {"copied": [IMG_A], "present": [IMG_B]}, "problems": []}
