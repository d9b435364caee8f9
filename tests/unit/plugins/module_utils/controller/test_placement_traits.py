# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Image traits on compute node providers: names, the change computed, generations, creation."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import (
    placement_traits as pt)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.controller.placement_doubles import (
    FakePlacement)

IMAGE_A = "3f052202-598d-40d9-b5c7-68410a51fd66"
IMAGE_B = "a26887c6-c47b-4654-abb5-dfadf7d3f803"
IMAGE_C = "0c3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f01"
TRAIT_A = "CUSTOM_IMAGE_CACHED_3F052202_598D_40D9_B5C7_68410A51FD66"
TRAIT_B = "CUSTOM_IMAGE_CACHED_A26887C6_C47B_4654_ABB5_DFADF7D3F803"
IMAGE_D = "d1d2d3d4-0000-4000-8000-000000000000"
TRAIT_D = "CUSTOM_IMAGE_CACHED_D1D2D3D4_0000_4000_8000_000000000000"
TRAIT_C = "CUSTOM_IMAGE_CACHED_0C3C2F4E_5D55_4BD5_8CBB_3F3A6F9A2F01"
RP_1 = "11111111-1111-4111-8111-111111111111"
RP_2 = "22222222-2222-4222-8222-222222222222"
NOVA = ["COMPUTE_NET_ATTACH_INTERFACE", "COMPUTE_VOLUME_EXTEND"]


@pytest.fixture
def placement():
    placement = FakePlacement()
    placement.add_provider(RP_1, "compute-1", NOVA + [TRAIT_A, "CUSTOM_RACK_7"])
    placement.add_provider(RP_2, "compute-2", NOVA)
    return placement


def reconcile(placement, hosts, mode=pt.RECONCILE, check_mode=False, attempts=pt.ATTEMPTS):
    reconciler = pt.TraitReconciler(placement, check_mode=check_mode, attempts=attempts,
                                    sleep=lambda seconds: None)
    return reconciler, reconciler.run(hosts, mode)


def test_trait_names_round_trip():
    assert pt.trait_name(IMAGE_A) == TRAIT_A
    assert pt.trait_name(IMAGE_A.upper()) == TRAIT_A
    assert pt.image_id_of(TRAIT_A) == IMAGE_A


@pytest.mark.parametrize("trait", ["COMPUTE_VOLUME_EXTEND", "CUSTOM_IMAGE_CACHED_FOO",
                                   "CUSTOM_IMAGE_CACHED_" + IMAGE_A, TRAIT_A + "_X",
                                   "CUSTOM_IMAGE_CACHED_3F052202598D40D9B5C768410A51FD66", None])
def test_other_traits_are_not_ours(trait):
    assert pt.image_id_of(trait) is None


@pytest.mark.parametrize("bad", ["cirros", IMAGE_A + "0", "", None, 7])
def test_trait_name_wants_a_glance_id(bad):
    with pytest.raises(pt.PlacementTraitsError, match="is not a Glance image id"):
        pt.trait_name(bad)


@pytest.mark.parametrize("mode, images, ours", [
    (pt.RECONCILE, [IMAGE_B], {TRAIT_B}),
    (pt.RECONCILE, [], set()),
    (pt.ADD, [IMAGE_B], {TRAIT_A, TRAIT_B}),
    (pt.REMOVE, [IMAGE_A, IMAGE_B], set()),
])
def test_desired_keeps_every_other_trait(mode, images, ours):
    current = NOVA + [TRAIT_A, "CUSTOM_IMAGE_CACHED_FOO"]
    assert pt.desired_traits(current, images, mode) == set(
        NOVA + ["CUSTOM_IMAGE_CACHED_FOO"]) | ours


def test_reconcile_sets_exactly_the_cached_images(placement):
    reconciler, records = reconcile(placement, [
        {"name": "compute-1", "images": [IMAGE_B, IMAGE_C]},
        {"name": "compute-2", "images": [IMAGE_A]}])
    assert placement.providers[RP_1]["traits"] == set(NOVA + ["CUSTOM_RACK_7", TRAIT_B, TRAIT_C])
    assert placement.providers[RP_2]["traits"] == set(NOVA + [TRAIT_A])
    first = records[0]
    assert (first["provider"], first["added"], first["removed"], first["unchanged"]) == (
        RP_1, sorted([TRAIT_B, TRAIT_C]), [TRAIT_A], [])
    assert first["changed"] and first["error"] is None and first["retries"] == 0
    assert sorted(reconciler.traits_created) == sorted([TRAIT_B, TRAIT_C])


def test_no_put_when_nothing_changes(placement):
    _r, records = reconcile(placement, [{"name": "compute-1", "images": [IMAGE_A]},
                                        {"name": "compute-2", "images": []}])
    assert placement.puts("/") == []
    assert [(r["changed"], r["unchanged"]) for r in records] == [(False, [TRAIT_A]), (False, [])]
    assert placement.providers[RP_1]["generation"] == 1


def test_add_and_remove_touch_only_the_images_named(placement):
    reconcile(placement, [{"name": "compute-1", "images": [IMAGE_B]}], mode=pt.ADD)
    assert placement.providers[RP_1]["traits"] >= {TRAIT_A, TRAIT_B, "CUSTOM_RACK_7"}
    reconcile(placement, [{"name": "compute-1", "images": [IMAGE_A]}], mode=pt.REMOVE)
    assert placement.providers[RP_1]["traits"] == set(NOVA + ["CUSTOM_RACK_7", TRAIT_B])


def test_a_409_reads_again_and_keeps_the_concurrent_trait(placement):
    placement.before_put.append(lambda: placement.set_traits(
        RP_1, NOVA + [TRAIT_A, "CUSTOM_RACK_7", "HW_CPU_X86_AVX2"]))
    _r, records = reconcile(placement, [{"name": "compute-1", "images": [IMAGE_B]}])
    assert records[0]["error"] is None and records[0]["retries"] == 1
    assert placement.providers[RP_1]["traits"] == set(
        NOVA + ["CUSTOM_RACK_7", "HW_CPU_X86_AVX2", TRAIT_B])
    read = ("GET", "/resource_providers/%s/traits" % RP_1)
    assert placement.calls.count(read) == 2 and len(placement.puts()) == 2


def test_gives_up_after_the_attempts_with_a_clear_error(placement):
    def nova_update():
        placement.set_traits(RP_1, placement.providers[RP_1]["traits"])

    placement.before_put.extend([nova_update] * 3)
    _r, records = reconcile(placement, [{"name": "compute-1", "images": [IMAGE_B]},
                                        {"name": "compute-2", "images": [IMAGE_B]}], attempts=3)
    assert len(placement.puts("/resource_providers/%s" % RP_1)) == 3
    assert records[0]["error"] == (
        "compute-1: provider %s changed under each of 3 attempts to set its traits (HTTP 409, "
        "another writer such as nova-compute's resource tracker); nothing was changed, run "
        "again" % RP_1)
    assert records[0]["changed"] is False and records[0]["retries"] == 2
    assert TRAIT_B not in placement.providers[RP_1]["traits"]
    assert records[1]["error"] is None and TRAIT_B in placement.providers[RP_2]["traits"]


def test_each_missing_trait_is_created_once_per_run(placement):
    placement.add_provider("33333333-3333-4333-8333-333333333333", "compute-3", NOVA)
    placement.traits.add(TRAIT_C)
    reconciler, _records = reconcile(placement, [
        {"name": "compute-1", "images": [IMAGE_A, IMAGE_B]},
        {"name": "compute-2", "images": [IMAGE_A, IMAGE_B, IMAGE_C]},
        {"name": "compute-3", "images": [IMAGE_C, IMAGE_D]}])
    assert placement.puts("/traits/") == ["/traits/%s" % TRAIT_B, "/traits/%s" % TRAIT_D]
    assert reconciler.traits_created == [TRAIT_B, TRAIT_D]
    trait_lists = [c for c in placement.calls if c[1].startswith("/traits?")]
    assert trait_lists == [("GET", "/traits?name=startswith%3ACUSTOM_IMAGE_CACHED_")]


def test_check_mode_writes_nothing(placement):
    reconciler, records = reconcile(placement, [{"name": "compute-1", "images": [IMAGE_B]}],
                                    check_mode=True)
    assert [c for c in placement.calls if c[0] == "PUT"] == []
    assert records[0]["changed"] and records[0]["added"] == [TRAIT_B]
    assert reconciler.traits_created == [TRAIT_B]


def test_a_missing_provider_is_an_error_for_that_host_only(placement):
    _r, records = reconcile(placement, [
        {"name": "compute-9", "images": [IMAGE_A]},
        {"name": "compute-2", "provider": "44444444-4444-4444-8444-444444444444", "images": []},
        {"name": "compute-1", "images": []}])
    assert [r["missing"] for r in records] == [True, True, False]
    assert records[0]["error"].startswith("compute-9: Placement has no resource provider "
                                          "compute-9; give the host's provider")
    assert records[2]["removed"] == [TRAIT_A]


def test_providers_by_name_by_uuid_and_by_one_listing(placement, monkeypatch):
    hosts = [{"name": "a", "provider": "compute-1"}, {"name": "b", "provider": RP_2.upper()}]
    assert pt.locate(pt.Placement(placement), hosts) == {"a": RP_1, "b": RP_2}
    assert placement.calls == [("GET", "/resource_providers?name=compute-1")]
    monkeypatch.setattr(pt, "LIST_ABOVE", 0)
    placement.calls = []
    assert pt.locate(pt.Placement(placement), hosts) == {"a": RP_1, "b": RP_2}
    assert placement.calls == [("GET", "/resource_providers")]


def test_two_hosts_on_one_provider_fail_the_second(placement):
    _r, records = reconcile(placement, [{"name": "compute-1", "images": [IMAGE_B]},
                                        {"name": "alias", "provider": RP_1, "images": []}])
    assert records[1]["error"] == ("alias: provider %s is host compute-1's already; give each "
                                   "host its own provider" % RP_1)
    assert TRAIT_B in placement.providers[RP_1]["traits"]


def test_bad_input_is_refused_before_any_call(placement):
    with pytest.raises(pt.PlacementTraitsError) as err:
        reconcile(placement, [{"name": "compute-1", "images": ["cirros\x1b[2J"]},
                              {"name": "compute-1"}])
    assert str(err.value) == (
        "cannot set image traits: host compute-1: 'cirros\\x1b[2J' is not a Glance image id "
        "(a UUID such as 3f052202-598d-40d9-b5c7-68410a51fd66); host compute-1 is given twice")
    assert placement.calls == []


def test_placement_errors_are_reported_printably(placement):
    placement.traits.discard(TRAIT_A)
    placement.providers[RP_2]["traits"] = set()
    placement.before_put.append(lambda: placement.traits.discard(TRAIT_B))
    _r, records = reconcile(placement, [{"name": "compute-2", "images": [IMAGE_B]}])
    assert records[0]["error"] == (
        "compute-2: Placement refused PUT /resource_providers/%s/traits: HTTP 400: No such "
        "trait %s" % (RP_2, TRAIT_B))
