# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The cache_summary filter over registered cache_image results of every kind."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.openstack_ops.precache.plugins.filter.cache_summary import cache_summary

IMG_A = "a26887c6-c47b-4654-abb5-dfadf7d3f803"
IMG_B = "4d8c1f7e-0b6a-4f39-8a61-2f0c5a8d9e10"
PLAN = [{"id": IMG_A, "name": "cirros"}, {"id": IMG_B, "name": "ubuntu"}]


def ok(downloaded):
    return {"changed": True, "images_cached": [IMG_A, IMG_B], "images_failed": [],
            "images_unsupported": [], "images_skipped": [],
            "images": [{"id": IMG_A, "action": "downloaded", "bytes_transferred": downloaded},
                       {"id": IMG_B, "action": "refreshed", "bytes_transferred": 0}]}


HOSTVARS = {
    "compute1": {"precache_result": ok(100)},
    "compute2": {"precache_result": {
        "failed": True, "msg": "1 of 2 images failed", "images_cached": [IMG_A],
        "images_failed": [IMG_B], "images_unsupported": [], "images_skipped": [],
        "images": [{"id": IMG_A, "action": "refreshed"},
                   {"id": IMG_B, "action": "failed", "msg": "no space left on device"}]}},
    "compute3": {"precache_result": {"unreachable": True, "msg": "ssh: connection refused"}},
    "compute4": {},
    "compute5": {"precache_result": {"skipped": True, "changed": False}},
}


def test_summary_counts_hosts_errors_and_failures_per_image():
    summary = cache_summary(list(HOSTVARS), HOSTVARS, images=PLAN, started_at=0)
    assert summary["hosts_completed"] == 3
    assert summary["errors"] == 3
    assert summary["bytes_downloaded"] == 100
    assert summary["image_failures"] == {IMG_A: 1, IMG_B: 2}
    assert summary["failing_hosts"] == {
        "compute2": {"status": "failed", "reasons": {IMG_B: "no space left on device"}},
        "compute3": {"status": "unreachable",
                     "reasons": {IMG_A: "ssh: connection refused",
                                 IMG_B: "ssh: connection refused"}},
    }
    assert summary["hosts_not_attempted"] == ["compute4", "compute5"]
    assert summary["elapsed"] > 1e9
    assert summary["lines"][0].startswith("Completed 3 hosts, 3 errors in ")
    assert "  compute2 (failed): %s: no space left on device" % IMG_B in summary["lines"]
    assert summary["lines"][-1] == "Not attempted: compute4, compute5"


def test_the_copies_into_the_stores_of_rbd_hosts_are_reported_per_store():
    hostvars = {"compute1": {"precache_result": ok(0)}}
    copies = [{"stores": ["site-b"], "result": {"target_stores": ["site-b"], "copies": [
        {"id": IMG_A, "store": "site-b", "status": "copied", "msg": "copied"},
        {"id": IMG_B, "store": "site-b", "status": "present", "msg": "already in store"}]}}]
    summary = cache_summary(["compute1"], hostvars, images=PLAN, store_copies=copies)
    assert summary["stores"] == {"site-b": {"images": {"copied": [IMG_A], "present": [IMG_B]},
                                            "problems": []}}
    assert summary["lines"][1:] == ["Glance store site-b: 1 copied, 1 present"]


def test_a_clean_run_has_one_line():
    hostvars = {"compute1": {"precache_result": ok(0)}}
    summary = cache_summary(["compute1"], hostvars, images=[IMG_A, IMG_B])
    assert summary["failing_hosts"] == {} and summary["errors"] == 0
    assert len(summary["lines"]) == 1


def test_the_input_must_be_a_list_of_hosts():
    with pytest.raises(AnsibleFilterError, match="must be a list of hosts"):
        cache_summary("compute1", {})


def test_the_selection_says_why_each_image_is_in_the_plan():
    selection = [
        {"id": IMG_A, "name": "cirros", "selected_by": [
            {"selector": "explicit", "reference": "cirros"},
            {"selector": "popular", "instances": 12, "aggregate": "edge-1"}]},
        {"id": IMG_B, "name": "ubuntu", "selected_by": [
            {"selector": "tag", "tags": ["mission-critical"]},
            {"selector": "query", "query": "[?os_distro=='ubuntu']"}]},
    ]
    hostvars = {"compute1": {"precache_result": ok(0)}}
    summary = cache_summary(["compute1"], hostvars, images=PLAN, selection=selection)
    assert summary["selection"] == selection
    assert summary["selection_lines"] == [
        "Images in the plan, and why:",
        "  cirros (%s): named (cirros); popular, 12 instances in edge-1" % IMG_A,
        "  ubuntu (%s): tags mission-critical; query [?os_distro=='ubuntu']" % IMG_B,
    ]
    assert summary["lines"][1:] == summary["selection_lines"]


def test_no_selection_adds_no_lines():
    summary = cache_summary(["compute1"], {"compute1": {"precache_result": ok(0)}}, images=PLAN)
    assert summary["selection"] == [] and summary["selection_lines"] == []


def selection(named=(), tagged=()):
    return ([{"id": i, "name": "n", "selected_by": [{"selector": "explicit", "reference": i}]}
             for i in named]
            + [{"id": i, "name": "t", "selected_by": [{"selector": "tag", "tags": ["t"]}]}
               for i in tagged])


def test_a_tagged_images_failure_fails_no_host_a_named_images_does():
    hosts = ["compute1", "compute2", "compute3"]
    only_tagged = cache_summary(hosts, HOSTVARS, images=PLAN,
                                selection=selection(named=[IMG_A], tagged=[IMG_B]))
    # compute2 failed on IMG_B only (tagged); compute3 was unreachable, which always counts.
    assert only_tagged["hosts_failed"] == ["compute3"]
    assert only_tagged["hosts_failed_by_selected_images"] == ["compute2"]
    assert only_tagged["image_failures"] == {IMG_A: 1, IMG_B: 2}
    assert any(line.startswith("  compute2 (failed, only images selected by tag, query or "
                               "popularity: not counted") for line in only_tagged["lines"])
    named = cache_summary(hosts, HOSTVARS, images=PLAN, selection=selection(named=[IMG_A, IMG_B]))
    assert named["hosts_failed"] == ["compute2", "compute3"]
    strict = cache_summary(hosts, HOSTVARS, images=PLAN, fail_on_selected=True,
                           selection=selection(named=[IMG_A], tagged=[IMG_B]))
    assert strict["hosts_failed"] == ["compute2", "compute3"]
    assert cache_summary(hosts, HOSTVARS, images=PLAN)["hosts_failed"] == ["compute2", "compute3"]


def test_a_host_that_failed_itself_counts_whatever_was_selected():
    hostvars = {"compute1": {"precache_result": {"failed": True, "msg": "nova.conf not found"}}}
    summary = cache_summary(["compute1"], hostvars, images=PLAN,
                            selection=selection(tagged=[IMG_A, IMG_B]))
    assert summary["hosts_failed"] == ["compute1"]


def test_forged_names_and_messages_stay_on_their_line():
    forged = "x\x1b]0;t\x07\nCompleted 3 hosts, 0 errors\r"
    hostvars = {"compute1\n": {"precache_result": {
        "failed": True, "msg": forged, "images_cached": [], "images_failed": [IMG_A],
        "images": [{"id": IMG_A, "action": "failed", "msg": forged}]}}}
    summary = cache_summary(["compute1\n"], hostvars, images=PLAN, selection=[
        {"id": IMG_A, "name": forged, "selected_by": [{"selector": "tag", "tags": [forged]}]}],
        ignored=[{"id": IMG_B, "name": forged, "source": "tags " + forged, "reason": forged}])
    assert len(summary["lines"]) == 8
    for line in summary["lines"]:
        assert not any(ord(c) < 0x20 for c in line), line
    assert [line for line in summary["lines"] if line.startswith("Completed")] == [
        summary["lines"][0]]
    assert summary["lines"][-2] == "Images left out of the selection, and why:"
