# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Wave planning for fetch-once-per-site: sites, seeds, fan-out limits and fallbacks."""

import collections
import math

import pytest

from ansible_collections.openstack_ops.precache.plugins.plugin_utils._site_waves import (
    plan_waves)


def hosts_of(count, prefix="c"):
    return ["%s%02d" % (prefix, number) for number in range(1, count + 1)]


def one_site(host):
    return "edge-1"


def served_at_once(plan):
    """{(wave, server): peers whose first source it is}."""
    load = collections.Counter()
    for entry in plan.hosts.values():
        if entry["sources"]:
            load[(entry["wave"], entry["sources"][0])] += 1
    return load


@pytest.mark.parametrize("count, fanout", [(1, 2), (2, 1), (3, 2), (10, 1), (10, 2), (50, 3),
                                           (100, 4)])
def test_one_seed_per_site_and_about_log_n_waves(count, fanout):
    plan = plan_waves(hosts_of(count), one_site, fanout=fanout)
    seeds = [host for host, entry in plan.hosts.items() if entry["seed"]]
    assert seeds == ["c01"]
    assert plan.waves == 1 + math.ceil(math.log(count) / math.log(1 + fanout) - 1e-9)
    assert max(served_at_once(plan).values() or [0]) <= fanout
    # Every peer takes from hosts of earlier waves only, of its own site.
    for host, entry in plan.hosts.items():
        for source in entry["sources"]:
            assert plan.hosts[source]["wave"] < entry["wave"], (host, entry)
    assert sorted(plan.sites["edge-1"]) == sorted(hosts_of(count))


def test_sources_are_a_server_then_two_alternates_and_every_host_stages():
    plan = plan_waves(hosts_of(7), one_site, fanout=2)
    assert plan.hosts["c01"] == {"site": "edge-1", "wave": 0, "seed": True, "sources": [],
                                 "stage": True}
    assert plan.hosts["c02"]["sources"] == plan.hosts["c03"]["sources"] == ["c01"]
    assert [plan.hosts[h]["sources"] for h in ("c04", "c05", "c06", "c07")] == [
        ["c01", "c02", "c03"], ["c02", "c01", "c03"], ["c03", "c01", "c02"],
        ["c01", "c02", "c03"]]
    # Every host of a site stages, for the site's hosts of later batches too.
    assert all(entry["stage"] for entry in plan.hosts.values())


def test_flagged_seeds_and_hosts_without_a_site():
    sites = {"a1": "edge-a", "a2": "edge-a", "a3": "edge-a", "b1": "edge-b", "x": None, "y": ""}
    plan = plan_waves(list(sites), sites.get, is_seed=lambda host: host in ("a2", "a3"))
    assert [h for h, e in plan.hosts.items() if e["seed"]] == ["a2", "a3", "b1", "x", "y"]
    assert plan.hosts["a1"]["sources"] == ["a2", "a3"]
    assert plan.hosts["x"] == {"site": None, "wave": 0, "seed": True, "sources": [], "stage": False}
    assert plan.sites == {"edge-a": ["a2", "a3", "a1"], "edge-b": ["b1"], "host x": ["x"],
                          "host y": ["y"]}
    assert plan.waves == 2


def test_a_site_served_by_an_earlier_batch_has_no_seed():
    plan = plan_waves(["c04", "c05", "c06"], one_site, fanout=1,
                      serving={"edge-1": ["c01", "c02"], "other": ["z1"]})
    assert not any(entry["seed"] for entry in plan.hosts.values())
    assert plan.hosts["c04"]["sources"] == ["c01", "c02"]
    assert plan.hosts["c05"]["sources"] == ["c02", "c01"]
    # c06 waits a wave, and may take from c04 or c05, which stage for it.
    assert plan.hosts["c06"] == {"site": "edge-1", "wave": 1, "seed": False,
                                 "sources": ["c01", "c02", "c04"], "stage": True}
    assert plan.waves == 2


def test_site_names_are_only_grouped_never_interpreted():
    tricky = {"h1": "{{ lookup('pipe', 'id') }}", "h2": "{{ lookup('pipe', 'id') }}",
              "h3": "host h1"}
    plan = plan_waves(list(tricky), tricky.get)
    assert plan.hosts["h2"]["sources"] == ["h1"]
    assert plan.hosts["h3"]["seed"] is True


@pytest.mark.parametrize("fanout", [0, -1, "0"])
def test_a_fanout_below_one_is_refused(fanout):
    with pytest.raises(ValueError, match="fan-out must be 1 or more"):
        plan_waves(["a"], one_site, fanout=fanout)
