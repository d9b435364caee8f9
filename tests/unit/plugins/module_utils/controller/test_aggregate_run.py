# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The state of a pre-cache run from Nova's aggregate.cache_images notifications, replayed as
Nova's conductor sends them (cache_images in nova/conductor/manager.py)."""

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import aggregate_run
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.aggregate_run import (
    AggregateRun)

IMG_A = "0c3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f01"
IMG_B = "9d3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f02"
AGG = {"id": 4, "uuid": "cf6aa111-cade-4477-a185-a5c869bc3954", "name": "my-application",
       "hosts": ["compute1", "compute2", "compute3"], "metadata": {}}
OTHER = dict(AGG, id=5, uuid="5d0c1a9e-0000-4000-8000-000000000005", name="other")


def payload(name, data):
    return {"nova_object.name": name, "nova_object.namespace": "nova",
            "nova_object.version": "1.0", "nova_object.data": data}


def start(agg=None):
    return "aggregate.cache_images.start", payload("AggregatePayload", agg or AGG)


def end(agg=None):
    return "aggregate.cache_images.end", payload("AggregatePayload", agg or AGG)


def progress(host, index, cached=(), failed=(), agg=None, total=3):
    agg = agg or AGG
    return "aggregate.cache_images.progress", payload("AggregateCachePayload", {
        "id": agg["id"], "uuid": agg["uuid"], "name": agg["name"], "host": host,
        "index": index, "total": total, "images_cached": list(cached),
        "images_failed": list(failed)})


def feed(run, notes, t0=100.0, step=0.5):
    return [run.feed(event, data, t0 + i * step) for i, (event, data) in enumerate(notes)]


def test_a_whole_run_per_host_in_order():
    run = AggregateRun(4, down=["compute3"])
    taken = feed(run, [start(), progress("compute2", 1, [IMG_A, IMG_B]),
                       progress("compute1", 2, [IMG_A], [IMG_B]),
                       progress("compute3", 3, [], [IMG_A, IMG_B]), end()])
    assert taken == [True] * 5
    result = run.result(now=999)
    assert result["complete"] is True and result["started"] is True
    assert list(result["hosts"]) == ["compute2", "compute1", "compute3"]
    assert result["hosts"]["compute2"] == {
        "index": 1, "total": 3, "images_cached": [IMG_A, IMG_B], "images_failed": [],
        "seconds": 0.5, "status": "ok"}
    assert result["hosts"]["compute1"]["status"] == "failed"
    # Nova skips a down host and reports every image failed: skipped, not failed.
    assert result["hosts"]["compute3"]["status"] == "skipped"
    assert result["hosts_skipped"] == ["compute3"]
    assert result["hosts_failed"] == ["compute1"]
    assert result["image_failures"] == {IMG_B: 1}
    assert result["hosts_pending"] == []
    assert result["elapsed"] == 2.0


def test_a_host_that_was_up_and_failed_everything_is_failed():
    run = AggregateRun("my-application")
    feed(run, [start(), progress("compute3", 1, [], [IMG_A]), end()])
    assert run.result(now=0)["hosts"]["compute3"]["status"] == "failed"


def test_other_aggregates_earlier_runs_and_other_events_are_ignored():
    run = AggregateRun(AGG["uuid"])
    taken = feed(run, [
        progress("compute1", 2, [IMG_A]),            # an earlier run of ours, still going
        end(),                                        # its end
        start(OTHER), progress("compute1", 1, [IMG_A], agg=OTHER),
        ("aggregate.update_metadata.start", payload("AggregatePayload", AGG)),
        ("service.update", payload("ServiceStatusPayload", {"host": "compute1"})),
        start(), progress("compute1", 1, [IMG_A]),
        start(),                                      # a second run of the same aggregate
        end(OTHER), end(),
        progress("compute2", 2, [IMG_A]),             # after our end
    ])
    assert taken == [False, False, False, False, False, False, True, True, False, False, True,
                     False]
    result = run.result(now=0)
    assert list(result["hosts"]) == ["compute1", "compute2", "compute3"]
    assert result["hosts_unreported"] == ["compute2", "compute3"]
    assert result["hosts_pending"] == []
    assert result["complete"] is True


def test_a_host_nova_sent_no_result_for_is_failed_after_the_end():
    # compute2's cache_images call timed out (or nova-compute restarted): the conductor sent
    # no progress for it, and still its end.
    run = AggregateRun(4)
    run.expect([IMG_A, IMG_B])
    feed(run, [start(), progress("compute1", 1, [IMG_A, IMG_B]),
               progress("compute3", 2, [IMG_A, IMG_B]), end()])
    result = run.result(now=999)
    assert result["complete"] is True
    assert list(result["hosts"]) == ["compute1", "compute3", "compute2"]
    assert result["hosts"]["compute2"] == {
        "index": None, "total": 3, "images_cached": [], "images_failed": [IMG_A, IMG_B],
        "seconds": 1.5, "status": "failed", "msg": aggregate_run.NO_RESULT}
    assert result["hosts_failed"] == ["compute2"]
    assert result["hosts_unreported"] == ["compute2"]
    assert result["hosts_pending"] == []
    assert result["image_failures"] == {IMG_A: 1, IMG_B: 1}
    assert "Nova sent no result for this host" in aggregate_run.NO_RESULT
    assert "long_rpc_timeout" in aggregate_run.NO_RESULT
    assert "nova-compute restarted" in aggregate_run.NO_RESULT


def test_a_down_host_nova_skipped_is_no_failure_and_one_that_sent_nothing_is():
    run = AggregateRun(4, down=["compute2", "compute3"])
    feed(run, [start(), progress("compute2", 1, [], [IMG_A]), progress("compute1", 2, [IMG_A]),
               end()])
    result = run.result(now=0)
    assert result["hosts"]["compute2"]["status"] == "skipped"
    assert result["hosts_skipped"] == ["compute2"]
    # Nova reports even the hosts it skips: one that sent nothing is failed, down or not.
    assert result["hosts"]["compute3"]["status"] == "failed"
    assert result["hosts_failed"] == ["compute3"] == result["hosts_unreported"]


def test_every_host_reported():
    run = AggregateRun(4)
    run.expect([IMG_A])
    feed(run, [start(), progress("compute3", 1, [IMG_A]), progress("compute1", 2, [IMG_A]),
               progress("compute2", 3, [IMG_A]), end()])
    result = run.result(now=0)
    assert [r["status"] for r in result["hosts"].values()] == ["ok"] * 3
    assert result["hosts_failed"] == [] and result["hosts_unreported"] == []
    assert all("msg" not in record for record in result["hosts"].values())


def test_watching_the_images_of_a_host_not_reported_are_those_the_others_reported():
    run = AggregateRun()
    feed(run, [start(), progress("compute1", 1, [IMG_A], [IMG_B]), end()])
    result = run.result(now=0)
    assert result["hosts"]["compute2"]["images_failed"] == [IMG_A, IMG_B]
    assert result["hosts_unreported"] == ["compute2", "compute3"]


def test_one_request_per_image_is_one_run_to_the_last_end():
    run = AggregateRun(4, down=["compute3"])
    run.expect([IMG_A])
    feed(run, [start(), progress("compute1", 1, [IMG_A]), progress("compute2", 2, [IMG_A]),
               progress("compute3", 3, [], [IMG_A]), end()], t0=0.0)
    assert run.ended
    run.expect([IMG_B])
    assert not run.ended
    assert run.result(now=3.0)["hosts_pending"] == AGG["hosts"]
    taken = feed(run, [progress("compute1", 1, [IMG_B]),      # before its start: not ours
                       start(), progress("compute3", 1, [], [IMG_B]),
                       progress("compute1", 2, [IMG_B]), end()], t0=10.0)
    assert taken == [False, True, True, True, True]
    result = run.result(now=99.0)
    assert result["complete"] is True and result["elapsed"] == 12.0
    assert list(result["hosts"]) == ["compute3", "compute1", "compute2"]
    assert result["hosts"]["compute1"]["images_cached"] == [IMG_A, IMG_B]
    assert result["hosts"]["compute3"]["status"] == "skipped"
    # compute2 reported the first image, and nothing for the second.
    assert result["hosts"]["compute2"]["images_cached"] == [IMG_A]
    assert result["hosts"]["compute2"]["images_failed"] == [IMG_B]
    assert result["hosts_unreported"] == ["compute2"] == result["hosts_failed"]


def test_a_refused_request_starts_no_run():
    run = AggregateRun(4)
    run.expect([IMG_A, IMG_B])
    run.withdraw()
    run.expect([IMG_A])
    feed(run, [start(), progress("compute1", 1, [IMG_A]), progress("compute2", 2, [IMG_A]),
               progress("compute3", 3, [IMG_A]), end()])
    assert run.ended and run.result(now=0)["hosts_failed"] == []


def test_without_an_aggregate_the_first_run_that_starts_is_followed():
    run = AggregateRun()
    feed(run, [progress("compute1", 1, [IMG_A]), start(OTHER),
               progress("compute1", 1, [IMG_A], agg=AGG),
               progress("compute2", 1, [IMG_A], agg=OTHER)])
    assert run.aggregate["name"] == "other"
    assert list(run.result(now=0)["hosts"]) == ["compute2"]


def test_a_run_that_does_not_end_is_incomplete_and_names_the_hosts_not_heard_from():
    run = AggregateRun(4)
    feed(run, [start(), progress("compute1", 1, [IMG_A])], t0=10.0)
    result = run.result(now=40.0)
    assert result["complete"] is False
    assert result["hosts_pending"] == ["compute2", "compute3"]
    assert result["elapsed"] == 30.0


def test_nothing_started():
    result = AggregateRun(4).result(now=5)
    assert result["started"] is False and result["complete"] is False
    assert result["hosts"] == {} and result["elapsed"] == 0.0
