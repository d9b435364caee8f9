# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The store_copy_result filter: an rbd host's cache_image result counted by its Glance store."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.openstack_ops.precache.plugins.filter.store_copy_result import (
    FilterModule, store_copy_result)

IMG = "c3b84ecf-43e9-4c6c-adfd-ab6db0e2bca2"
RBD = {"changed": False, "images": [{"id": IMG, "action": "unsupported", "msg": "rbd"}],
       "images_cached": [], "images_failed": [], "images_unsupported": [IMG],
       "glance_store": "site-b"}


def test_the_host_succeeds_when_its_store_has_the_images():
    runs = [{"stores": ["site-b"], "result": {"copies": [
        {"id": IMG, "store": "site-b", "status": "copied", "msg": "copied"}]}}]
    counted = FilterModule().filters()["store_copy_result"](RBD, runs)
    assert counted["images_cached"] == [IMG] and not counted.get("failed")


def test_the_host_fails_when_the_copy_timed_out():
    runs = [{"stores": ["site-b"], "result": {"failed": True, "copies": [
        {"id": IMG, "store": "site-b", "status": "timed_out", "msg": "not in store site-b "
         "after 600s"}]}}]
    counted = store_copy_result(RBD, runs)
    assert counted["failed"] and counted["images_failed"] == [IMG]
    assert counted["images"][0]["store_status"] == "timed_out"
    assert "after 600s" in counted["msg"]


@pytest.mark.parametrize("result, runs", [("x", []), (RBD, {"stores": []})])
def test_bad_input(result, runs):
    with pytest.raises(AnsibleFilterError):
        store_copy_result(result, runs)


def test_a_keep_warm_look_skips_what_is_not_there():
    runs = [{"stores": ["site-b"], "result": {"copies": [
        {"id": IMG, "store": "site-b", "status": "missing", "msg": "not in store site-b"}]}}]
    counted = store_copy_result(RBD, runs)
    assert not counted.get("failed")
    assert (counted["images_cached"], counted["images_failed"], counted["images_skipped"]) == (
        [], [], [IMG])
    assert "keep-warm" in counted["images"][0]["msg"]
