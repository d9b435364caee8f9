# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Which aggregate a host is reported under: the aggregates inventory's host variables and a
play's precache_aggregates."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.plugin_utils import _progress_run
from ansible_collections.openstack_ops.precache.tests.unit.plugins.plugin_utils.module_results import (
    IMG_A, IMG_B, ok_result)


AGG3 = {"nova_aggregates": ["a", "b", "c"], "nova_aggregate_ids": [1, 2, 3],
        "nova_aggregate_uuids": ["ua", "ub", "uc"]}


@pytest.mark.parametrize("hostvars,wanted,identity", [
    ({}, None, (None, None, None)),
    ({}, ["a"], (None, None, None)),
    (AGG3, None, (1, "ua", "a")),
    (AGG3, [], (1, "ua", "a")),
    (AGG3, ["b"], (2, "ub", "b")),
    (AGG3, ["c", "b"], (2, "ub", "b")),
    (AGG3, ["x"], (1, "ua", "a")),
    # Shorter lists than the names (an inventory of an older version): what is there.
    ({"nova_aggregates": ["a", "b"], "nova_aggregate_ids": [1, 2]}, ["b"], (2, None, "b")),
    ({"nova_aggregates": "a", "nova_aggregate_ids": [1]}, ["a"], (1, None, None)),
])
def test_host_aggregate(hostvars, wanted, identity):
    assert _progress_run.host_aggregate(hostvars, wanted) == identity


@pytest.mark.parametrize("value,names", [
    (None, None),
    ("rollout", ["rollout"]),
    (["a", "b"], ["a", "b"]),
    (("a", 2024), ["a", "2024"]),
    ([], []),
    (["", "a"], ["a"]),
])
def test_aggregate_names(value, names):
    assert _progress_run.aggregate_names(value) == names


@pytest.mark.parametrize("value", [5, True, {"a": 1}, [["a"]], [None], [True]])
def test_aggregate_names_refuses(value):
    with pytest.raises(ValueError):
        _progress_run.aggregate_names(value)


def test_a_site_s_hosts_count_their_bytes_by_where_they_came_from():
    run = _progress_run.Run(clock=lambda: 100.0)
    run.add_hosts([(host, (1, "u1", "edge")) for host in ("seed", "peer", "other")])
    seed = dict(ok_result([IMG_A, IMG_B]), site="edge-1", bytes_from_glance=2000,
                bytes_from_peers=0)
    peer = dict(ok_result([IMG_A, IMG_B]), site="edge-1", bytes_from_glance=0,
                bytes_from_peers=2000)
    peer["images"] = [dict(image, source="peer seed") for image in peer["images"]]
    peer["images"][1]["source"] = "peer seed\x1b[2J"
    _notes, seed_line = run.result("seed", "ok", seed, [IMG_A, IMG_B])
    _notes, peer_line = run.result("peer", "ok", peer, [IMG_A, IMG_B])
    _notes, other_line = run.result("other", "ok", ok_result([IMG_A]), [IMG_A])
    assert seed_line.endswith(")") and " - from" not in seed_line
    assert peer_line.endswith(" - from peer seed, peer seed\\x1b[2J")
    assert " - from" not in other_line
    assert run.summary()["sites"] == {"edge-1": {"hosts": 2, "bytes_from_glance": 2000,
                                                 "bytes_from_peers": 2000}}
