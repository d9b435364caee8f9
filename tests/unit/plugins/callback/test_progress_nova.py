# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The progress callback and the nova_cache_summary filter fed aggregate_precache results
(Nova's own pre-cache, the role's nova engine), shaped as the module returns them."""

import itertools
import json

import pytest

from ansible.inventory.host import Host
from ansible.playbook.task import Task
from ansible.plugins.loader import callback_loader

from ansible_collections.openstack_ops.precache.plugins.filter.nova_cache_summary import (
    nova_cache_summary)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils import (
    _progress_notifications, _progress_run)

NAME = "openstack_ops.precache.progress"
IMG_A = "c3b84ecf-43e9-4c6c-adfd-ab6db0e2bca2"
IMG_B = "4d8c2a1e-0b7e-4a39-9d51-0f3c6a4c1b22"
AGGREGATE = {"id": 2, "uuid": "cf6aa111-cade-4477-a185-a5c869bc3954", "name": "my-application",
             "hosts": ["compute1", "compute2", "compute3"], "availability_zone": None}


class Result:
    def __init__(self, task, result):
        self._host = Host("localhost")
        self._task = task
        self._result = result


class Display:
    def __init__(self):
        self.lines = []

    def display(self, msg, **kwargs):
        self.lines.append(msg)

    def warning(self, msg, **kwargs):
        raise AssertionError(msg)


def host(index, cached, failed, status, seconds):
    return {"index": index, "total": 3, "images_cached": cached, "images_failed": failed,
            "status": status, "seconds": seconds}


def module_result(**extra):
    """A followed run: compute2 first, compute1 with IMG_B failed, compute3 skipped (down)."""
    result = {
        "changed": True, "aggregate": AGGREGATE, "requested": True, "followed": True,
        "complete": True, "elapsed": 12.0,
        "hosts": {
            "compute1": host(2, [IMG_A], [IMG_B], "failed", 8.0),
            "compute2": host(1, [IMG_A, IMG_B], [], "ok", 4.0),
            "compute3": host(3, [], [IMG_A, IMG_B], "skipped", 12.0)},
        "hosts_skipped": ["compute3"], "hosts_failed": ["compute1"], "hosts_pending": [],
        "image_failures": {IMG_B: 1}}
    result.update(extra)
    return result


@pytest.fixture(autouse=True)
def message_ids(monkeypatch):
    ids = ("00000000-0000-4000-8000-%012d" % n for n in itertools.count(1))
    monkeypatch.setattr(_progress_notifications.uuid, "uuid4", lambda: next(ids))


@pytest.fixture
def plugin(tmp_path):
    plugin = callback_loader.get(NAME)
    plugin.set_options(direct={"progress_file": str(tmp_path / "progress.jsonl"),
                               "summary_file": str(tmp_path / "summary.json")})
    plugin._display = Display()
    # The playbook started at 1000; the module returns at 1030.
    plugin.run = _progress_run.Run(publisher="ansible-precache:controller",
                                   clock=itertools.chain([1000, 1030], itertools.repeat(1040)).__next__)
    return plugin


def task(loop=False):
    task = Task()
    task.action = task._resolved_action = "openstack_ops.precache.aggregate_precache"
    if loop:
        task.loop = "{{ aggregates }}"
    return task


def notes(tmp_path):
    with open(str(tmp_path / "progress.jsonl")) as handle:
        return [json.loads(line) for line in handle]


@pytest.mark.parametrize("loop", [False, True])
def test_one_line_and_notification_per_host_in_the_order_nova_reported(plugin, tmp_path, loop):
    result = module_result()
    if loop:
        # A loop: each item's result, then the task's result holding them all (not counted).
        plugin.v2_runner_item_on_failed(Result(task(loop), dict(result, item="my-application")))
        plugin.v2_runner_on_failed(Result(task(loop), {"results": [result], "failed": True}))
    else:
        plugin.v2_runner_on_failed(Result(task(), result))
    plugin.v2_playbook_on_stats(None)
    # Each host timed when it reported: 1030 - (12 - seconds) after the start at 1000.
    assert plugin._display.lines[:3] == [
        "host 1/3 compute2: 2 cached, 0 failed (33%, ETA 0:44)",
        "host 2/3 compute1: 1 cached, 1 failed (67%, ETA 0:13)",
        "host 3/3 compute3: 0 cached, 2 failed (100%, ETA 0:00) - skipped by Nova, its "
        "compute service is down"]
    sent = notes(tmp_path)
    assert [n["event_type"] for n in sent] == [
        "aggregate.cache_images.start"] + ["aggregate.cache_images.progress"] * 3 + [
        "aggregate.cache_images.end"]
    assert sent[0]["payload"]["nova_object.data"] == dict(
        id=2, uuid=AGGREGATE["uuid"], name="my-application", hosts=AGGREGATE["hosts"],
        metadata={})
    assert sent[2]["payload"]["nova_object.data"] == dict(
        id=2, uuid=AGGREGATE["uuid"], name="my-application", host="compute1", index=2, total=3,
        images_cached=[IMG_A], images_failed=[IMG_B])
    with open(str(tmp_path / "summary.json")) as handle:
        summary = json.load(handle)
    assert summary["hosts_completed"] == 3
    assert summary["errors"] == 1
    assert summary["image_failures"] == {IMG_B: 1}
    assert summary["failing_hosts"]["compute3"] == {
        "status": "skipped",
        "reasons": {IMG_A: "skipped by Nova: its compute service was down",
                    IMG_B: "skipped by Nova: its compute service was down"}}
    assert summary["failing_hosts"]["compute1"]["status"] == "failed"
    assert summary["hosts_not_attempted"] == []


def test_a_run_not_followed_reports_no_host(plugin, tmp_path):
    plugin.v2_runner_on_ok(Result(task(), module_result(followed=False, complete=False,
                                                        hosts={})))
    plugin.v2_playbook_on_stats(None)
    assert plugin._display.lines == []
    assert notes(tmp_path) == []


def test_the_filter_summarizes_several_aggregates():
    other = dict(AGGREGATE, id=3, uuid="u3", name="edge", hosts=["edge1", "edge2"])
    incomplete = module_result(aggregate=other, complete=False, failed=True, hosts={
        "edge1": host(1, [IMG_A], [], "ok", 1.0)}, hosts_pending=["edge2"])
    summary = nova_cache_summary([module_result(), incomplete, {"skipped": True}],
                                 started_at=0)
    assert summary["hosts_completed"] == 4
    assert summary["errors"] == 1
    assert summary["hosts_not_attempted"] == ["edge2"]
    assert summary["bytes_downloaded"] == 0
    assert summary["lines"][0].startswith("Completed 4 hosts, 1 errors in ")
    assert "  compute3 (skipped): %s: skipped by Nova: its compute service was down; %s: " \
           "skipped by Nova: its compute service was down" % (IMG_B, IMG_A) in summary["lines"]
    assert "Not attempted: edge2" in summary["lines"]


def test_the_filter_reports_the_copies_into_the_rbd_hosts_stores():
    copy = {"target_stores": ["edge-ceph"], "failed": True, "copies": [
        {"id": IMG_A, "store": "edge-ceph", "status": "present", "msg": "already in store"},
        {"id": IMG_B, "store": "edge-ceph", "status": "timed_out",
         "msg": "image %s: not in store edge-ceph after 600s" % IMG_B}]}
    summary = nova_cache_summary([module_result()], started_at=0, store_copies=[
        {"stores": ["edge-ceph"], "result": copy}])
    assert summary["stores"] == {"edge-ceph": {
        "images": {"present": [IMG_A], "timed_out": [IMG_B]},
        "problems": ["image %s: not in store edge-ceph after 600s" % IMG_B]}}
    assert summary["lines"][-2:] == ["Glance store edge-ceph: 1 present, 1 timed out",
                                     "  image %s: not in store edge-ceph after 600s" % IMG_B]
    assert nova_cache_summary([module_result()])["stores"] == {}


def test_the_filter_refuses_what_is_not_a_list():
    with pytest.raises(Exception, match="must be a list of aggregate_precache results"):
        nova_cache_summary({"hosts": {}})


def test_the_filter_ends_with_why_each_image_is_in_the_plan():
    selection = [{"id": IMG_A, "name": "cirros",
                  "selected_by": [{"selector": "tag", "tags": ["mission-critical"]}]}]
    summary = nova_cache_summary([module_result()], started_at=0, selection=selection)
    assert summary["selection"] == selection
    assert summary["lines"][-2:] == summary["selection_lines"] == [
        "Images in the plan, and why:", "  cirros (%s): tags mission-critical" % IMG_A]


NO_RESULT = "Nova sent no result for this host: its cache_images call timed out"


def unreported(images):
    """compute2's cache_images call never returned: aggregate_precache failed it at the end."""
    return module_result(failed=True, hosts={
        "compute1": host(1, [IMG_A], [], "ok", 4.0),
        "compute3": host(2, [], [IMG_A], "skipped", 6.0),
        "compute2": dict(host(None, [], images, "failed", 12.0), msg=NO_RESULT)},
        hosts_failed=["compute2"], hosts_unreported=["compute2"], image_failures={
            image: 1 for image in images})


def test_a_host_nova_sent_no_result_for_is_shown_as_a_failure(plugin, tmp_path):
    plugin.v2_runner_on_failed(Result(task(), unreported([IMG_A])))
    plugin.v2_playbook_on_stats(None)
    assert plugin._display.lines[:3] == [
        "host 1/3 compute1: 1 cached, 0 failed (33%, ETA 0:44)",
        "host 2/3 compute3: 0 cached, 1 failed (67%, ETA 0:12) - skipped by Nova, its "
        "compute service is down",
        "host 3/3 compute2: 0 cached, 1 failed (100%, ETA 0:00)"]
    assert "  compute2 (failed): %s: %s" % (IMG_A, NO_RESULT) in plugin._display.lines
    sent = notes(tmp_path)
    assert sent[3]["payload"]["nova_object.data"]["host"] == "compute2"
    assert sent[3]["payload"]["nova_object.data"]["images_failed"] == [IMG_A]


@pytest.mark.parametrize("images, reasons", [
    ([IMG_A], {IMG_A: NO_RESULT}),
    # Watching a run no host reported: its images are not known, the host's failure is.
    ([], {"": NO_RESULT}),
])
def test_the_filter_counts_a_host_nova_sent_no_result_for(images, reasons):
    summary = nova_cache_summary([unreported(images)], started_at=0)
    assert summary["failing_hosts"]["compute2"] == {"status": "failed", "reasons": reasons}
    assert summary["hosts_not_attempted"] == []
    assert summary["errors"] == len(images)
    assert "  compute2 (failed): %s" % "; ".join(
        "%s: %s" % (image, why) if image else why for image, why in reasons.items()) \
        in summary["lines"]
