# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The progress callback fed cache_image results shaped as the module returns them.

The results follow cache_image's RETURN (images with action/bytes_transferred/msg,
images_cached, images_failed, images_unsupported) and what Ansible hands callbacks for
unreachable hosts; the notifications are checked whole, with a fixed clock and message ids.
"""

import itertools
import json
import os
import sys

import pytest

from ansible.inventory.host import Host
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.task import Task
from ansible.plugins.loader import callback_loader

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 templates any string

    def trust_as_template(value):
        return value

from ansible_collections.openstack_ops.precache.plugins.plugin_utils import (
    _progress_notifications, _progress_run)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.plugin_utils.module_results import (
    IMG_A, IMG_B, image, ok_result, rbd_result)

NAME = "openstack_ops.precache.progress"
AGG = {"nova_aggregates": ["my-application", "other"], "nova_aggregate_ids": [2, 7],
       "nova_aggregate_uuids": ["cf6aa111-cade-4477-a185-a5c869bc3954", "x"]}
PUBLISHER = "ansible-precache:controller"


class Result:
    """What Ansible passes to v2_runner_on_*: the host, the task and the result dict."""

    def __init__(self, host, task, result):
        self._host = host
        self._task = task
        self._result = result


class Inventory:
    def __init__(self, hosts):
        self.hosts = hosts
        self.calls = []

    def get_hosts(self, pattern, ignore_restrictions=False):
        self.calls.append((pattern, ignore_restrictions))
        return self.hosts


class Manager:
    """The variable manager: the inventory, and the play's variables (extra vars included)."""

    def __init__(self, inventory, variables=None):
        self._inventory = inventory
        self.variables = variables or {}

    def get_vars(self, play=None, **kwargs):
        assert play is not None and "host" not in kwargs
        return dict(self.variables, playbook_dir="/tmp")


def play_vars(text):
    """Variables as a playbook's YAML gives them (templates in them are trusted)."""
    return DataLoader().load(trust_as_template(text))


class Play:
    def __init__(self, inventory, uuid_="play-1", variables=None):
        self.hosts = "computes"
        self.name = "cache"
        self._uuid = uuid_
        self._manager = Manager(inventory, variables)

    def get_variable_manager(self):
        return self._manager

    def get_loader(self):
        return DataLoader()


class Display:
    def __init__(self):
        self.lines = []
        self.warnings = []

    def display(self, msg, **kwargs):
        self.lines.append(msg)

    def warning(self, msg, **kwargs):
        self.warnings.append(msg)


def make_host(name, **hostvars):
    host = Host(name)
    for key, value in hostvars.items():
        host.set_variable(key, value)
    return host


def make_task(action="openstack_ops.precache.cache_image", images="{{ plan }}"):
    task = Task()
    task.action = action
    task.args = {"images": images}
    task._resolved_action = action
    return task


def failed_result():
    images = [image(IMG_A, "refreshed", 0, "refreshed"),
              image(IMG_B, "failed", 2048, "image %s: sha512 mismatch after 2.0 KiB; the "
                    "download was discarded" % IMG_B)]
    return {"failed": True, "changed": False, "msg": "1 of 2 images failed", "images": images,
            "images_cached": [IMG_A], "images_failed": [IMG_B], "images_unsupported": [],
            "invocation": {"module_args": {"images": [{"id": IMG_A}, {"id": IMG_B}]}}}


def unreachable_result():
    return {"unreachable": True, "changed": False,
            "msg": "Failed to connect to the host via ssh: Connection refused"}


@pytest.fixture
def clock():
    ticks = itertools.count(1000, 10)
    return lambda: next(ticks)


@pytest.fixture(autouse=True)
def message_ids(monkeypatch):
    ids = ("00000000-0000-4000-8000-%012d" % n for n in itertools.count(1))
    monkeypatch.setattr(_progress_notifications.uuid, "uuid4", lambda: next(ids))


@pytest.fixture
def callback(tmp_path, clock):
    def make(**options):
        plugin = callback_loader.get(NAME)
        direct = {"progress_file": str(tmp_path / "progress.jsonl"),
                  "summary_file": str(tmp_path / "summary.json")}
        direct.update(options)
        plugin.set_options(direct=direct)
        plugin._display = Display()
        plugin.run = _progress_run.Run(publisher=PUBLISHER, clock=clock)
        return plugin
    return make


def lines(tmp_path):
    with open(str(tmp_path / "progress.jsonl")) as handle:
        return [json.loads(line) for line in handle]


def envelope(event, name, version, data, timestamp, number):
    return {"priority": "INFO", "event_type": "aggregate.cache_images." + event,
            "publisher_id": PUBLISHER, "timestamp": timestamp,
            "message_id": "00000000-0000-4000-8000-%012d" % number,
            "payload": {"nova_object.name": name, "nova_object.namespace": "nova",
                        "nova_object.version": version, "nova_object.data": data}}


def agg_data(hosts):
    return {"id": 2, "uuid": "cf6aa111-cade-4477-a185-a5c869bc3954", "name": "my-application",
            "hosts": hosts, "metadata": {}}


def progress_data(host, index, total, cached, failed):
    data = dict(agg_data([]), host=host, index=index, total=total, images_cached=cached,
                images_failed=failed)
    del data["hosts"], data["metadata"]
    return data


def test_two_serial_batches_ok_failed_unreachable(callback, tmp_path):
    plugin = callback()
    hosts = [make_host("compute%d" % n, **AGG) for n in (1, 2, 3)]
    inventory = Inventory(hosts)
    task = make_task()
    # Batch one: compute1 ok, compute2 failed on one image.
    plugin.v2_playbook_on_play_start(Play(inventory))
    plugin.v2_playbook_on_task_start(task, False)
    plugin.v2_runner_on_ok(Result(hosts[0], task, ok_result([IMG_A, IMG_B])))
    plugin.v2_runner_on_failed(Result(hosts[1], task, failed_result()))
    # Batch two: the same play again (a copy with the same uuid), compute3 unreachable.
    plugin.v2_playbook_on_play_start(Play(inventory))
    plugin.v2_playbook_on_task_start(task, False)
    plugin.v2_runner_on_unreachable(Result(hosts[2], task, unreachable_result()))
    plugin.v2_playbook_on_stats(None)

    assert inventory.calls == [("computes", True)]
    names = ["compute1", "compute2", "compute3"]
    assert lines(tmp_path) == [
        envelope("start", "AggregatePayload", "1.1", agg_data(names),
                 "1970-01-01 00:16:50.000000", 1),
        envelope("progress", "AggregateCachePayload", "1.0",
                 progress_data("compute1", 1, 3, [IMG_A, IMG_B], []),
                 "1970-01-01 00:17:00.000000", 2),
        envelope("progress", "AggregateCachePayload", "1.0",
                 progress_data("compute2", 2, 3, [IMG_A], [IMG_B]),
                 "1970-01-01 00:17:10.000000", 3),
        envelope("progress", "AggregateCachePayload", "1.0",
                 progress_data("compute3", 3, 3, [], [IMG_A, IMG_B]),
                 "1970-01-01 00:17:30.000000", 4),
        envelope("end", "AggregatePayload", "1.1", agg_data(names),
                 "1970-01-01 00:17:40.000000", 5),
    ]
    assert plugin._display.lines[:3] == [
        "host 1/3 compute1: 2 cached, 0 failed (33%, ETA 0:40)",
        "host 2/3 compute2: 1 cached, 1 failed (67%, ETA 0:15)",
        "host 3/3 compute3: 0 cached, 2 failed (100%, ETA 0:00)",
    ]
    sha_msg = "image %s: sha512 mismatch after 2.0 KiB; the download was discarded" % IMG_B
    unreachable = "Failed to connect to the host via ssh: Connection refused"
    expected = {
        "hosts_completed": 3,
        "errors": 3,
        "elapsed": 70,
        "failing_hosts": {
            "compute2": {"status": "failed", "reasons": {IMG_B: sha_msg}},
            "compute3": {"status": "unreachable",
                         "reasons": {IMG_A: unreachable, IMG_B: unreachable}},
        },
        "image_failures": {IMG_A: 1, IMG_B: 2},
        "bytes_downloaded": 2 * 1048576 + 2048,
        "hosts_not_attempted": [],
        # No rbd host's Glance store, no fetch-once-per-site run.
        "stores": {},
        "sites": {},
    }
    with open(str(tmp_path / "summary.json")) as handle:
        assert json.load(handle) == expected
    assert plugin._display.lines[3:] == [
        "Completed 3 hosts, 3 errors in 1:10, 2099200 bytes downloaded",
        "Errors from hosts:",
        "  compute2 (failed): %s: %s" % (IMG_B, sha_msg),
        "  compute3 (unreachable): %s: %s; %s: %s" % (IMG_B, unreachable, IMG_A, unreachable),
        "Image %s failed 2 times" % IMG_B,
        "Image %s failed 1 time" % IMG_A,
    ]
    assert plugin._display.warnings == []


def test_forged_messages_stay_escaped_on_one_line_and_files_are_private(callback, tmp_path):
    plugin = callback()
    host = make_host("compute1", **AGG)
    task = make_task()
    forged = "x\x1b]0;pwned\x07\nCompleted 3 hosts, 0 errors"
    result = failed_result()
    result["images"][1]["msg"] = forged
    plugin.v2_playbook_on_play_start(Play(Inventory([host])))
    plugin.v2_runner_on_failed(Result(host, task, result))
    plugin.v2_playbook_on_stats(None)
    for line in plugin._display.lines:
        assert not any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in line), line
    assert [line for line in plugin._display.lines if line.startswith("Completed")] == [
        "Completed 1 hosts, 1 errors in 0:30, 2048 bytes downloaded"]
    assert "  compute1 (failed): %s: x\\x1b]0;pwned\\x07\\x0aCompleted 3 hosts, 0 errors" % IMG_B \
        in plugin._display.lines
    for name in ("summary.json", "progress.jsonl"):
        assert os.stat(str(tmp_path / name)).st_mode & 0o777 == 0o600
    with open(str(tmp_path / "summary.json")) as handle:
        assert json.load(handle)["failing_hosts"]["compute1"]["reasons"][IMG_B] == forged


def test_file_mode_sets_the_files_mode(callback, tmp_path):
    (tmp_path / "summary.json").write_text("{}")
    os.chmod(str(tmp_path / "summary.json"), 0o666)
    plugin = callback(file_mode="0640")
    plugin.v2_playbook_on_play_start(Play(Inventory([make_host("compute1", **AGG)])))
    plugin.v2_runner_on_ok(Result(make_host("compute1", **AGG), make_task(), ok_result([IMG_A])))
    plugin.v2_playbook_on_stats(None)
    for name in ("summary.json", "progress.jsonl"):
        assert os.stat(str(tmp_path / name)).st_mode & 0o777 == 0o640


def test_check_mode_and_other_tasks(callback, tmp_path):
    plugin = callback(aggregate_id=9, aggregate_name="rollout")
    host = make_host("compute1", **AGG)
    plugin.v2_playbook_on_play_start(Play(Inventory([host])))
    # A task named like ours but running another module is not counted.
    other = make_task(action="ansible.builtin.debug")
    other.name = "openstack_ops.precache.cache_image"
    plugin.v2_runner_on_ok(Result(host, other, {"msg": "hi"}))
    plugin.v2_runner_on_ok(Result(host, make_task(), ok_result([IMG_A], check=True)))
    plugin.v2_playbook_on_stats(None)
    notes = lines(tmp_path)
    assert [n["event_type"] for n in notes] == [
        "aggregate.cache_images.start", "aggregate.cache_images.progress",
        "aggregate.cache_images.end"]
    data = notes[1]["payload"]["nova_object.data"]
    assert data == {"id": 9, "uuid": None, "name": "rollout", "host": "compute1", "index": 1,
                    "total": 1, "images_cached": [IMG_A], "images_failed": []}
    with open(str(tmp_path / "summary.json")) as handle:
        summary = json.load(handle)
    assert summary["bytes_downloaded"] == 0
    assert summary["failing_hosts"] == {}
    assert plugin._display.lines[0] == "host 1/1 compute1: 1 cached, 0 failed (100%, ETA 0:00)"


def test_several_aggregates(callback, tmp_path):
    plugin = callback()
    hosts = [make_host("a1", nova_aggregates=["a"], nova_aggregate_ids=[1],
                       nova_aggregate_uuids=["ua"]),
             make_host("b1", nova_aggregates=["b"], nova_aggregate_ids=[2],
                       nova_aggregate_uuids=["ub"]),
             make_host("a2", nova_aggregates=["a"], nova_aggregate_ids=[1],
                       nova_aggregate_uuids=["ua"])]
    plugin.v2_playbook_on_play_start(Play(Inventory(hosts)))
    for host in hosts:
        plugin.v2_runner_on_ok(Result(host, make_task(), ok_result([IMG_A])))
    plugin.v2_playbook_on_stats(None)
    seen = [(n["event_type"].rsplit(".", 1)[1], n["payload"]["nova_object.data"]["name"],
             n["payload"]["nova_object.data"].get("index"),
             n["payload"]["nova_object.data"].get("total")) for n in lines(tmp_path)]
    assert seen == [("start", "a", None, None), ("progress", "a", 1, 2),
                    ("start", "b", None, None), ("progress", "b", 1, 1),
                    ("progress", "a", 2, 2), ("end", "a", None, None),
                    ("end", "b", None, None)]


def reported(tmp_path):
    """(event, host or hosts, aggregate id, name, index, total) of each notification."""
    seen = []
    for note in lines(tmp_path):
        data = note["payload"]["nova_object.data"]
        seen.append((note["event_type"].rsplit(".", 1)[1], data.get("host", data.get("hosts")),
                     data["id"], data["uuid"], data["name"], data.get("index"),
                     data.get("total")))
    return seen


def two_aggregates(name, first, second):
    """A host in two aggregates, as the aggregates inventory sets its variables."""
    return make_host(name, nova_aggregates=[first, second],
                     nova_aggregate_ids=[ord(first[-1]), ord(second[-1])],
                     nova_aggregate_uuids=["u" + first, "u" + second])


def test_play_aggregates_template_over_extra_vars(callback, tmp_path):
    plugin = callback()
    # c1 and c2 are in "rollout" second, c3 only in "edge-c": it keeps its first aggregate.
    hosts = [two_aggregates("c1", "edge-a", "rollout"), two_aggregates("c2", "edge-b", "rollout"),
             make_host("c3", nova_aggregates=["edge-c"], nova_aggregate_ids=[99],
                       nova_aggregate_uuids=["uedge-c"])]
    variables = play_vars('{"precache_aggregates": "{{ aggregate }}", "aggregate": "rollout"}')
    plugin.v2_playbook_on_play_start(Play(Inventory(hosts), variables=variables))
    for host in hosts:
        plugin.v2_runner_on_ok(Result(host, make_task(), ok_result([IMG_A])))
    plugin.v2_playbook_on_stats(None)
    t = ord("t")
    assert reported(tmp_path) == [
        ("start", ["c1", "c2"], t, "urollout", "rollout", None, None),
        ("progress", "c1", t, "urollout", "rollout", 1, 2),
        ("progress", "c2", t, "urollout", "rollout", 2, 2),
        ("start", ["c3"], 99, "uedge-c", "edge-c", None, None),
        ("progress", "c3", 99, "uedge-c", "edge-c", 1, 1),
        ("end", ["c1", "c2"], t, "urollout", "rollout", None, None),
        ("end", ["c3"], 99, "uedge-c", "edge-c", None, None),
    ]
    assert plugin._display.warnings == []


def test_play_aggregates_list_host_order_and_no_match(callback, tmp_path):
    plugin = callback()
    # The host's own order decides between two listed aggregates; none listed: the first.
    hosts = [two_aggregates("c1", "edge-a", "rollout"), two_aggregates("c2", "edge-b", "edge-z")]
    variables = play_vars('{"precache_aggregates": ["nope", "rollout", "edge-a"]}')
    plugin.v2_playbook_on_play_start(Play(Inventory(hosts), variables=variables))
    for host in hosts:
        plugin.v2_runner_on_ok(Result(host, make_task(), ok_result([IMG_A])))
    plugin.v2_playbook_on_stats(None)
    assert [seen[:5] for seen in reported(tmp_path) if seen[0] == "progress"] == [
        ("progress", "c1", ord("a"), "uedge-a", "edge-a"),
        ("progress", "c2", ord("b"), "uedge-b", "edge-b"),
    ]


def test_options_win_over_play_aggregates(callback, tmp_path):
    plugin = callback(aggregate_name="rollout-x")
    host = two_aggregates("c1", "edge-a", "rollout")
    variables = play_vars('{"precache_aggregates": "{{ undefined_variable }}"}')
    plugin.v2_playbook_on_play_start(Play(Inventory([host]), variables=variables))
    plugin.v2_runner_on_ok(Result(host, make_task(), ok_result([IMG_A])))
    plugin.v2_playbook_on_stats(None)
    assert reported(tmp_path)[1] == ("progress", "c1", None, None, "rollout-x", 1, 1)
    # Not even templated: the options decide.
    assert plugin._display.warnings == []


@pytest.mark.parametrize("text,why", [
    ('{"precache_aggregates": "{{ undefined_variable }}"}', "undefined_variable"),
    ('{"precache_aggregates": {"rollout": 1}}', "must be a list of aggregate names"),
])
def test_bad_play_aggregates_warn(callback, tmp_path, text, why):
    plugin = callback()
    host = two_aggregates("c1", "edge-a", "rollout")
    plugin.v2_playbook_on_play_start(Play(Inventory([host]), variables=play_vars(text)))
    plugin.v2_runner_on_ok(Result(host, make_task(), ok_result([IMG_A])))
    plugin.v2_playbook_on_stats(None)
    assert reported(tmp_path)[1][:5] == ("progress", "c1", ord("a"), "uedge-a", "edge-a")
    assert len(plugin._display.warnings) == 1
    warning = plugin._display.warnings[0]
    assert warning.startswith("progress: precache_aggregates of the play 'cache' is not used, "
                              "hosts are reported under their first aggregate: ")
    assert why in warning


def test_only_a_caching_play_counts_its_hosts(callback, tmp_path):
    plugin = callback()
    hosts = [two_aggregates("c1", "edge-a", "rollout"), two_aggregates("c2", "edge-b", "rollout"),
             two_aggregates("c3", "edge-c", "other")]
    inventory = Inventory(hosts)
    # Play 1 validates over every candidate host and caches nothing.
    plugin.v2_playbook_on_play_start(Play(inventory, "validate"))
    # Play 2 caches on the hosts of rollout.
    variables = play_vars('{"precache_aggregates": "rollout"}')
    plugin.v2_playbook_on_play_start(Play(Inventory(hosts[:2]), "cache", variables))
    for host in hosts[:2]:
        plugin.v2_runner_on_ok(Result(host, make_task(), ok_result([IMG_A])))
    plugin.v2_playbook_on_stats(None)
    t = ord("t")
    assert reported(tmp_path) == [
        ("start", ["c1", "c2"], t, "urollout", "rollout", None, None),
        ("progress", "c1", t, "urollout", "rollout", 1, 2),
        ("progress", "c2", t, "urollout", "rollout", 2, 2),
        ("end", ["c1", "c2"], t, "urollout", "rollout", None, None),
    ]
    assert list(plugin.run.aggregates) == [(t, "urollout", "rollout")]


def bus_up(monkeypatch, plugin):
    monkeypatch.setattr(sys.modules[type(plugin).__module__], "check_reachable",
                        lambda url, timeout: None)


def test_bus_with_a_fake_notifier(monkeypatch):
    sent, made = [], []

    def factory(url, topic, exchange, publisher):
        made.append((url, topic, exchange))
        return sent.append

    plugin = callback_loader.get(NAME)
    bus_up(monkeypatch, plugin)
    plugin.notifier_factory = factory
    plugin._display = Display()
    plugin.set_options(direct={"transport_url": "rabbit://u:p@127.0.0.1:5672/"})
    plugin.run = _progress_run.Run(publisher=PUBLISHER, clock=lambda: 0)
    host = make_host("compute1")
    plugin.v2_runner_on_ok(Result(host, make_task(), ok_result([IMG_A])))
    plugin.v2_playbook_on_stats(None)
    assert made == [("rabbit://u:p@127.0.0.1:5672/", "versioned_notifications", "nova")]
    assert [n["event_type"] for n in sent] == [
        "aggregate.cache_images.start", "aggregate.cache_images.progress",
        "aggregate.cache_images.end"]
    assert plugin._display.warnings == []


def test_bus_failures_are_warnings(monkeypatch):
    plugin = callback_loader.get(NAME)
    plugin._display = Display()

    def broken(note):
        raise RuntimeError("connection reset")

    plugin.notifier_factory = lambda *args: broken
    bus_up(monkeypatch, plugin)
    plugin.set_options(direct={"transport_url": "rabbit://127.0.0.1:1/"})
    host = make_host("compute1")
    plugin.v2_runner_on_ok(Result(host, make_task(), ok_result([IMG_A])))
    plugin.v2_runner_on_ok(Result(make_host("compute2"), make_task(), ok_result([IMG_A])))
    assert plugin._display.warnings == [
        "progress: sending to the bus failed, stopped sending: connection reset"]


def test_bus_down_or_missing_library(monkeypatch):
    plugin = callback_loader.get(NAME)
    plugin._display = Display()
    # Nothing listens on port 1 of the loopback.
    plugin.set_options(direct={"transport_url": "rabbit://guest:guest@127.0.0.1:1/"})
    assert plugin.notifier is None
    assert len(plugin._display.warnings) == 1
    assert "does not answer" in plugin._display.warnings[0]

    def missing(*args):
        raise ImportError("No module named 'oslo_messaging'")

    plugin = callback_loader.get(NAME)
    plugin._display = Display()
    plugin.notifier_factory = missing
    bus_up(monkeypatch, plugin)
    plugin.set_options(direct={"transport_url": "rabbit://127.0.0.1:5672/"})
    assert plugin._display.warnings == [
        "progress: oslo.messaging is not installed; notifications are not sent to the bus "
        "(pip install oslo.messaging)"]


def test_hosts_a_stopped_rollout_never_reached_are_named(callback, tmp_path):
    plugin = callback(aggregate_name="rollout")
    hosts = [make_host("c1"), make_host("c2"), make_host("c3")]
    plugin.v2_playbook_on_play_start(Play(Inventory(hosts)))
    plugin.v2_runner_on_unreachable(Result(hosts[0], make_task(), {"msg": "ssh: refused"}))
    plugin.v2_playbook_on_stats(None)
    with open(str(tmp_path / "summary.json")) as handle:
        assert json.load(handle)["hosts_not_attempted"] == ["c2", "c3"]
    assert plugin._display.lines[-1] == "Not attempted: c2, c3"


def store_copy_result(store, failed=()):
    copies = [{"id": i, "name": None, "store": store, "seconds": 1.0,
               "status": "failed" if i in failed else "copied",
               "msg": "Glance's copy task t1 failed: boom" if i in failed else "copied"}
              for i in (IMG_A, IMG_B)]
    result = {"changed": True, "copies": copies, "target_stores": [store]}
    if failed:
        result.update(failed=True, msg="1 of 2 copies failed or timed out")
    return result


def test_an_rbd_host_waits_for_its_stores_copy(callback, tmp_path):
    plugin = callback()
    hosts = [make_host("compute%d" % n, **AGG) for n in (1, 2, 3)]
    plugin.v2_playbook_on_play_start(Play(Inventory(hosts)))
    copy_task = make_task(action="openstack_ops.precache.image_store_copy")
    # compute1 caches locally; compute2 (site-b) waits for the copy; compute3 (site-c) comes in
    # a later batch whose copy fails for one image.
    plugin.v2_runner_on_ok(Result(hosts[0], make_task(), ok_result([IMG_A, IMG_B])))
    plugin.v2_runner_on_ok(Result(hosts[1], make_task(), rbd_result()))
    assert plugin._display.lines == ["host 1/3 compute1: 2 cached, 0 failed (33%, ETA 0:20)"]
    plugin.v2_runner_on_ok(Result(hosts[0], copy_task, store_copy_result("site-b")))
    plugin.v2_runner_on_ok(Result(hosts[2], make_task(), rbd_result("site-c")))
    plugin.v2_runner_on_failed(Result(hosts[2], copy_task,
                                      store_copy_result("site-c", failed=[IMG_B])))
    plugin.v2_playbook_on_stats(None)
    progress = [n["payload"]["nova_object.data"] for n in lines(tmp_path)
                if n["event_type"].endswith(".progress")]
    assert [(p["host"], p["index"], p["images_cached"], p["images_failed"]) for p in progress] == [
        ("compute1", 1, [IMG_A, IMG_B], []), ("compute2", 2, [IMG_A, IMG_B], []),
        ("compute3", 3, [IMG_A], [IMG_B])]
    with open(str(tmp_path / "summary.json")) as handle:
        summary = json.load(handle)
    assert summary["failing_hosts"] == {"compute3": {"status": "failed", "reasons": {
        IMG_B: "not in Glance store site-c, which this rbd host clones from: Glance's copy "
               "task t1 failed: boom"}}}


def test_an_rbd_host_whose_store_was_never_copied_to_fails_at_the_end(callback, tmp_path):
    plugin = callback()
    host = make_host("compute1", **AGG)
    plugin.v2_playbook_on_play_start(Play(Inventory([host])))
    plugin.v2_runner_on_ok(Result(host, make_task(), rbd_result()))
    assert plugin._display.lines == []
    plugin.v2_playbook_on_stats(None)
    assert [n["event_type"].rsplit(".", 1)[1] for n in lines(tmp_path)] == [
        "start", "progress", "end"]
    assert plugin._display.lines[0] == "host 1/1 compute1: 0 cached, 2 failed (100%, ETA 0:00)"
    with open(str(tmp_path / "summary.json")) as handle:
        reasons = json.load(handle)["failing_hosts"]["compute1"]["reasons"]
    assert "images_type = rbd" in reasons[IMG_A]


def job_started(jid):
    """What an asynchronous task's start returns (async_wrapper's first record)."""
    return {"started": 1, "finished": 0, "ansible_job_id": jid, "changed": False,
            "results_file": "/root/.ansible_async/%s" % jid}


def polled(done, total, rate, phase="download"):
    """A cache_progress poll that found the host still working."""
    return {"finished": False, "changed": False, "attempts": 1, "retries": 722,
            "invocation": {"module_args": {"wait": 10}},
            "progress": {"version": 1, "phase": phase, "image": IMG_A, "image_index": 1,
                         "images": 1, "bytes": done, "total": total, "bytes_glance": done,
                         "bytes_peers": 0, "rate": rate, "source": "glance"}}


def test_polled_batches_print_a_line_per_round_and_count_the_final_results(callback, tmp_path):
    plugin = callback()
    hosts = [make_host("compute%d" % n, **AGG) for n in (1, 2)]
    play = Play(Inventory(hosts))
    play.serial = [1]
    start, poll = make_task(), make_task(action="openstack_ops.precache.cache_progress")
    plugin.v2_playbook_on_play_start(play)
    plugin.v2_playbook_on_task_start(start, False)
    plugin.v2_runner_on_ok(Result(hosts[0], start, job_started("1.1")))
    # The job's start is not the host's result: nothing counted, no line yet.
    assert plugin._display.lines == [] and plugin.run.hosts == {}
    plugin.v2_playbook_on_task_start(poll, False)
    plugin.v2_runner_retry(Result(hosts[0], poll, polled(256 * 1024 ** 2, 1024 ** 3, 8 * 1024 ** 2)))
    plugin.v2_runner_retry(Result(hosts[0], poll, polled(512 * 1024 ** 2, 1024 ** 3, 8 * 1024 ** 2)))
    # Another module's retries are not ours.
    plugin.v2_runner_retry(Result(hosts[0], make_task(action="ansible.builtin.uri"), polled(1, 2, 3)))
    plugin.v2_runner_on_ok(Result(hosts[0], poll, dict(ok_result([IMG_A]), finished=True)))
    # Batch two: compute2 in the lock, then failed.
    plugin.v2_playbook_on_play_start(play)
    plugin.v2_runner_on_ok(Result(hosts[1], start, job_started("2.2")))
    plugin.v2_runner_retry(Result(hosts[1], poll, polled(0, 1024 ** 3, 0, "lock")))
    plugin.v2_runner_on_failed(Result(hosts[1], poll, dict(failed_result(), finished=True)))
    plugin.v2_playbook_on_stats(None)

    assert plugin._display.lines[:5] == [
        "batch 1/2: 1/1 hosts working, 256.0 MiB of 1.0 GiB (25%), 8.0 MiB/s, ETA 1:36; "
        "slowest compute1 (downloading)",
        "batch 1/2: 1/1 hosts working, 512.0 MiB of 1.0 GiB (50%), 8.0 MiB/s, ETA 1:04; "
        "slowest compute1 (downloading)",
        "host 1/2 compute1: 1 cached, 0 failed (50%, ETA 1:00)",
        "batch 2/2: 1/1 hosts working, 0 bytes of 1.0 GiB (0%), 0 bytes/s, ETA unknown; "
        "slowest compute2 (waiting for Nova's lock)",
        "host 2/2 compute2: 1 cached, 1 failed (100%, ETA 0:00)",
    ]
    events = [note["event_type"] for note in lines(tmp_path)]
    assert events == ["aggregate.cache_images.start", "openstack_ops.precache.batch.progress",
                      "openstack_ops.precache.batch.progress", "aggregate.cache_images.progress",
                      "openstack_ops.precache.batch.progress", "aggregate.cache_images.progress",
                      "aggregate.cache_images.end"]
    live = lines(tmp_path)[1]["payload"]
    assert (live["batch"], live["batches"], live["bytes"], live["working"]) == (
        1, 2, 256 * 1024 ** 2, ["compute1"])
    with open(str(tmp_path / "summary.json")) as handle:
        summary = json.load(handle)
    assert summary["hosts_completed"] == 2 and list(summary["failing_hosts"]) == ["compute2"]
