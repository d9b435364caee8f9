# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The placement_image_traits module's own layer: result, check mode, diff, missing providers."""

import types

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import connection
from ansible_collections.openstack_ops.precache.plugins.modules import placement_image_traits
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.controller.placement_doubles import (
    FakePlacement)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.controller.test_placement_traits import (
    IMAGE_A, IMAGE_B, NOVA, RP_1, RP_2, TRAIT_A, TRAIT_B)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.modules.utils import run_module


class SDKError(Exception):
    pass


@pytest.fixture
def placement(monkeypatch):
    placement = FakePlacement()
    placement.add_provider(RP_1, "compute-1", NOVA + [TRAIT_A])
    placement.add_provider(RP_2, "compute-2.example.org", NOVA)
    sdk = types.SimpleNamespace(exceptions=types.SimpleNamespace(SDKException=SDKError))
    monkeypatch.setattr(connection, "openstack", sdk)
    monkeypatch.setattr(connection, "connect", lambda options: types.SimpleNamespace(
        placement=placement))
    return placement


HOSTS = [{"name": "compute-1", "images": [IMAGE_B]},
         {"name": "compute-2", "provider": "compute-2.example.org", "images": [IMAGE_B]}]


def test_sets_the_traits_and_reports_per_provider(placement):
    outcome = run_module(placement_image_traits.main, {"hosts": HOSTS})
    assert not outcome.failed
    result = outcome.result
    assert result["changed"] is True and "diff" not in result
    assert [(r["host"], r["provider"], r["added"], r["removed"], r["retries"])
            for r in result["providers"]] == [("compute-1", RP_1, [TRAIT_B], [TRAIT_A], 0),
                                              ("compute-2", RP_2, [TRAIT_B], [], 0)]
    assert result["traits_created"] == [TRAIT_B]
    assert (result["failed_hosts"], result["skipped_hosts"]) == ([], [])
    assert placement.providers[RP_2]["traits"] == set(NOVA + [TRAIT_B])


def test_nothing_to_change(placement):
    outcome = run_module(placement_image_traits.main, {
        "hosts": [{"name": "compute-1", "images": [IMAGE_A]}], "mode": "add"})
    assert not outcome.failed and outcome.result["changed"] is False
    assert placement.puts("/") == []


def test_check_mode_with_diff_shows_our_traits_only_and_writes_nothing(placement):
    generations = [p["generation"] for p in placement.providers.values()]
    outcome = run_module(placement_image_traits.main, {"hosts": HOSTS}, check_mode=True,
                         diff=True)
    assert outcome.result["changed"] is True
    assert outcome.result["diff"] == [
        {"before_header": "compute-1 (provider %s)" % RP_1,
         "after_header": "compute-1 (provider %s)" % RP_1,
         "before": TRAIT_A + "\n", "after": TRAIT_B + "\n"},
        {"before_header": "compute-2 (provider %s)" % RP_2,
         "after_header": "compute-2 (provider %s)" % RP_2,
         "before": "", "after": TRAIT_B + "\n"}]
    assert outcome.result["traits_created"] == [TRAIT_B]
    assert [c for c in placement.calls if c[0] == "PUT"] == []
    assert [p["generation"] for p in placement.providers.values()] == generations
    assert TRAIT_B not in placement.traits


def test_a_missing_provider_fails_the_task_after_the_others(placement):
    outcome = run_module(placement_image_traits.main, {"hosts": [
        {"name": "compute-2", "images": [IMAGE_B]},
        {"name": "compute-1", "images": [IMAGE_B]}]})
    assert outcome.failed
    assert outcome.result["msg"] == (
        "1 of 2 hosts failed: compute-2: Placement has no resource provider compute-2; give "
        "the host's provider (the name `openstack resource provider list` shows, usually "
        "Nova's hypervisor_hostname, or its uuid) as provider")
    assert outcome.result["failed_hosts"] == ["compute-2"]
    assert outcome.result["providers"][0]["provider"] is None
    assert placement.providers[RP_1]["traits"] == set(NOVA + [TRAIT_B])


def test_a_missing_provider_can_be_skipped(placement):
    outcome = run_module(placement_image_traits.main, {
        "hosts": [{"name": "compute-9\x1b]0;pwned\x07", "images": [IMAGE_B]}],
        "skip_missing_providers": True})
    assert not outcome.failed and outcome.result["changed"] is False
    assert outcome.result["skipped_hosts"] == ["compute-9\x1b]0;pwned\x07"]
    assert "\\x1b]0;pwned\\x07: Placement has no" in outcome.result["providers"][0]["error"]


def test_bad_image_ids_fail_before_any_call(placement):
    outcome = run_module(placement_image_traits.main, {
        "hosts": [{"name": "compute-1", "images": ["cirros"]}]})
    assert outcome.failed and "'cirros' is not a Glance image id" in outcome.result["msg"]
    assert placement.calls == []
