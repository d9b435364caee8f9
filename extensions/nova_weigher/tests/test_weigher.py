"""ImageCachedWeigher alone, through Nova's HostWeightHandler as the scheduler calls it."""

import logging

import pytest
from keystoneauth1 import exceptions as ks_exc

from nova import objects
from nova.scheduler import weights
from nova.tests.unit.scheduler import fakes

from openstack_ops_precache_weigher import ImageCachedWeigher
from openstack_ops_precache_weigher.weigher import image_trait

from conftest import IMAGE, TRAIT

LOGGER = "openstack_ops_precache_weigher.weigher"


def make_hosts(count):
    return [fakes.FakeHostState("host%d" % i, "node%d" % i, {"uuid": "rp-%d" % i})
            for i in range(count)]


def boot_from_image(image_id=IMAGE, is_bfv=False):
    image = objects.ImageMeta(id=image_id) if image_id else objects.ImageMeta()
    return objects.RequestSpec(image=image, is_bfv=is_bfv)


def weigh(hosts, spec, weigher=None):
    weigher = weigher or ImageCachedWeigher()
    weighed = weights.HostWeightHandler().get_weighed_objects([weigher], hosts, spec)
    # In Nova's order: best first.
    return {w.obj.host: w.weight for w in weighed}


def test_trait_name_is_the_image_id_upper_case_with_underscores():
    assert image_trait(IMAGE) == TRAIT


def test_cached_hosts_outrank_the_others(placement):
    hosts = make_hosts(4)
    placement.traits = {"rp-1": {TRAIT}, "rp-3": {TRAIT, "CUSTOM_OTHER"}}
    scores = weigh(hosts, boot_from_image())
    assert scores == {"host0": 0.0, "host1": 1.0, "host2": 0.0, "host3": 1.0}
    assert set(list(scores)[:2]) == {"host1", "host3"}


def test_every_host_cached_still_weighs_one(placement):
    # Without minval/maxval Nova's normalization would turn all 1.0 into all 0.0.
    hosts = make_hosts(3)
    placement.traits = {h.uuid: {TRAIT} for h in hosts}
    scores = weigh(hosts, boot_from_image())
    assert set(scores.values()) == {1.0}


def test_one_placement_call_for_many_hosts(placement):
    hosts = make_hosts(200)
    placement.traits = {"rp-7": {TRAIT}}
    scores = weigh(hosts, boot_from_image())
    assert placement.calls == [("/resource_providers?required=" + TRAIT, "1.18")]
    assert list(scores)[0] == "host7" and sum(scores.values()) == 1.0


def test_answer_is_cached_for_the_ttl_then_asked_again(placement, clock, flags):
    flags(image_cached_cache_seconds=10)
    weigher, hosts, spec = ImageCachedWeigher(), make_hosts(3), boot_from_image()
    placement.traits = {"rp-0": {TRAIT}}
    weigh(hosts, spec, weigher)
    placement.traits = {"rp-2": {TRAIT}}
    clock[0] += 9.9
    scores = weigh(hosts, spec, weigher)
    assert len(placement.calls) == 1 and scores["host0"] == 1.0
    clock[0] += 0.2
    scores = weigh(hosts, spec, weigher)
    assert len(placement.calls) == 2 and scores["host2"] == 1.0 and scores["host0"] == 0.0


def test_ttl_zero_asks_at_every_weighing(placement, clock, flags):
    flags(image_cached_cache_seconds=0)
    weigher, hosts, spec = ImageCachedWeigher(), make_hosts(3), boot_from_image()
    for _attempt in range(3):
        weigh(hosts, spec, weigher)
    assert len(placement.calls) == 3


def test_cache_is_per_image(placement, clock):
    other = "0b5f4e2a-1111-4222-8333-944455556666"
    weigher, hosts = ImageCachedWeigher(), make_hosts(2)
    placement.traits = {"rp-0": {TRAIT}, "rp-1": {image_trait(other)}}
    assert list(weigh(hosts, boot_from_image(), weigher))[0] == "host0"
    assert list(weigh(hosts, boot_from_image(other), weigher))[0] == "host1"
    assert len(placement.calls) == 2


def test_image_cached_nowhere_yet_is_all_zero_and_quiet(placement, caplog):
    # Placement answers 400 "No such trait" for a trait no provider ever had.
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    scores = weigh(make_hosts(3), boot_from_image())
    assert set(scores.values()) == {0.0}
    assert not [r for r in caplog.records if r.name == LOGGER]


@pytest.mark.parametrize("spec", [
    boot_from_image(is_bfv=True),
    boot_from_image(image_id=None),
    objects.RequestSpec(image=None, is_bfv=False),
    objects.RequestSpec(),
    {},
], ids=["boot-from-volume", "image-without-id", "no-image", "bare-spec", "dict"])
def test_no_image_to_weigh_is_a_no_op(placement, spec):
    placement.traits = {"rp-0": {TRAIT}}
    scores = weigh(make_hosts(3), spec)
    assert set(scores.values()) == {0.0}
    assert placement.calls == []


def test_multiplier_zero_skips_placement(placement, flags):
    flags(image_cached_weight_multiplier=0.0)
    weigh(make_hosts(3), boot_from_image())
    assert placement.calls == []


@pytest.mark.parametrize("error", [
    503,
    ks_exc.ConnectFailure("connection refused"),
    ks_exc.EndpointNotFound(),
], ids=["http-503", "connect-failure", "no-endpoint"])
def test_placement_error_gives_zero_and_one_log_line_per_burst(placement, clock, caplog, error):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    weigher, hosts, spec = ImageCachedWeigher(), make_hosts(50), boot_from_image()
    placement.traits = {"rp-0": {TRAIT}}
    placement.error = error
    for _attempt in range(5):
        clock[0] += 60
        scores = weigh(hosts, spec, weigher)
        assert set(scores.values()) == {0.0}
    assert len(placement.calls) == 5
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert IMAGE in warnings[0].getMessage() and TRAIT in warnings[0].getMessage()

    placement.error = None
    clock[0] += 60
    assert list(weigh(hosts, spec, weigher))[0] == "host0"
    assert any("answers again" in r.getMessage() for r in caplog.records if r.name == LOGGER)

    placement.error = error
    clock[0] += 60
    weigh(hosts, spec, weigher)
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]
    assert len(warnings) == 2


def test_failure_is_remembered_for_the_ttl(placement, clock, flags):
    flags(image_cached_cache_seconds=10)
    weigher, hosts, spec = ImageCachedWeigher(), make_hosts(3), boot_from_image()
    placement.error = 500
    for _attempt in range(4):
        weigh(hosts, spec, weigher)
    assert len(placement.calls) == 1


def test_malformed_answer_is_an_error_not_a_crash(placement):
    placement.get = lambda *a, **k: type("R", (), {"status_code": 200, "text": "<html>",
                                                   "json": lambda self: {"unexpected": 1}})()
    scores = weigh(make_hosts(3), boot_from_image())
    assert set(scores.values()) == {0.0}


def test_multiplier_from_config(flags):
    host = make_hosts(1)[0]
    assert ImageCachedWeigher().weight_multiplier(host) == 1.0
    flags(image_cached_weight_multiplier=2.5)
    assert ImageCachedWeigher().weight_multiplier(host) == 2.5


def test_multiplier_from_aggregate_metadata(flags):
    flags(image_cached_weight_multiplier=1.0)
    host = make_hosts(1)[0]
    host.aggregates = [objects.Aggregate(
        id=1, name="gpu", hosts=[host.host],
        metadata={"image_cached_weight_multiplier": "3"})]
    assert ImageCachedWeigher().weight_multiplier(host) == 3.0
    host.aggregates.append(objects.Aggregate(
        id=2, name="ssd", hosts=[host.host],
        metadata={"image_cached_weight_multiplier": "1.5"}))
    # Nova's rule for a host in several aggregates: the smallest value.
    assert ImageCachedWeigher().weight_multiplier(host) == 1.5


def test_aggregate_multiplier_applies_to_the_score(placement, flags):
    flags(image_cached_weight_multiplier=1.0)
    hosts = make_hosts(3)
    hosts[1].aggregates = [objects.Aggregate(
        id=1, name="fast", hosts=["host1"], metadata={"image_cached_weight_multiplier": "4"})]
    placement.traits = {"rp-0": {TRAIT}, "rp-1": {TRAIT}}
    scores = weigh(hosts, boot_from_image())
    assert scores == {"host0": 1.0, "host1": 4.0, "host2": 0.0}
    assert list(scores) == ["host1", "host0", "host2"]


def test_loaded_by_name_as_weight_classes_does():
    handler = weights.HostWeightHandler()
    classes = handler.get_matching_classes(
        ["nova.scheduler.weights.all_weighers",
         "openstack_ops_precache_weigher.ImageCachedWeigher"])
    assert ImageCachedWeigher in classes
    assert len(classes) > 1
