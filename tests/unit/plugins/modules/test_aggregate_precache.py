# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The aggregate_precache module: validation before anything starts, the request, following
the run, watch mode; openstacksdk and the bus replaced by a fake Nova."""

import types

import pytest

from ansible.module_utils import basic

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import (
    aggregate_run, notification_watch, connection)
from ansible_collections.openstack_ops.precache.plugins.modules import aggregate_precache
from ansible_collections.openstack_ops.precache.tests.unit.plugins.modules.test_validate_images import (
    CIRROS, OLD, ImageApi, SDKError)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.controller.test_nova_precache import (
    duplicate_images_refusal)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.modules.utils import (
    patch_exits, run_module)

URL = "rabbit://nova:bus-secret@rabbit:5672/"
UBUNTU = dict(CIRROS, id="4d8c7e2a-51b3-4f7e-9a43-0d5d1c1f6a0b", name="ubuntu")
HOSTS = ["compute1", "compute2", "compute3"]


class HttpError(Exception):
    def __init__(self, status_code):
        super().__init__("HTTP %d" % status_code)
        self.status_code = status_code


class Nova:
    """The compute proxy and the bus: a request makes the conductor's notifications, which
    reach the listeners that exist at that moment, as on a real bus."""

    def __init__(self):
        self.maximum = (2, 104)
        self.down = {"compute3"}
        self.outcome = {}        # host -> (cached, failed), default everything cached
        self.ends = True
        self.silent = set()      # hosts whose cache_images call never returns: no progress
        self.outage_after = None  # the host after whose progress the bus connection is lost
        self.duplicate_bug = False   # Nova before 27.5.0/28.3.0/29.0.0 (bug 2034702)
        self.error = None
        self.events = []
        self.listeners = []
        self.before = []         # notifications already on the bus when a listener starts
        self.aggregate = types.SimpleNamespace(id=7, uuid="agg-uuid", name="rollout",
                                               hosts=list(HOSTS), availability_zone=None)

    def get_endpoint_data(self):
        return types.SimpleNamespace(max_microversion=self.maximum)

    def aggregates(self):
        return iter([self.aggregate])

    def services(self, binary):
        return iter([types.SimpleNamespace(host=host, state="down" if host in self.down else "up")
                     for host in HOSTS])

    def notes(self, image_ids):
        data = {"id": 7, "uuid": "agg-uuid", "name": "rollout"}
        notes = [("start", dict(data, hosts=list(HOSTS)))]
        for index, host in enumerate(HOSTS, 1):
            cached, failed = self.outcome.get(host, (list(image_ids), []))
            if host in self.down:
                cached, failed = [], list(image_ids)
            elif host in self.silent:
                continue
            notes.append(("progress", dict(data, host=host, index=index, total=3,
                                           images_cached=cached, images_failed=failed)))
        if self.ends:
            notes.append(("end", dict(data, hosts=list(HOSTS))))
        return notes

    def aggregate_precache_images(self, aggregate_id, image_ids):
        self.events.append(("request", aggregate_id, image_ids))
        if self.error:
            raise self.error
        if self.duplicate_bug and len(image_ids) > 1:
            raise duplicate_images_refusal(aggregate_id)
        for listener in self.listeners:
            listener.deliver(self.notes(image_ids))


class FakeWatch(notification_watch.NotificationWatch):
    """The real watch's waiting and locking, with the fake Nova's bus instead of oslo.messaging."""

    nova = None

    def __enter__(self):
        self.nova.events.append(("listen", self.url, self.exchange, self.topic))
        self.nova.listeners.append(self)
        self._started = self.clock()
        self.deliver(self.nova.before)
        return self

    def deliver(self, notes):
        for event, data in notes:
            with self.condition:
                self.run.feed("aggregate.cache_images." + event,
                              {"nova_object.data": data}, self.clock())
            if event == "progress" and data["host"] == self.nova.outage_after:
                self.outage("[c0ffee] AMQP server on 127.0.0.1:25672 is unreachable: "
                            "[Errno 111] ECONNREFUSED. Trying again in 1 seconds.")
                return

    def __exit__(self, *exc):
        self.nova.events.append(("stop", self.pool))
        self.nova.listeners.remove(self)
        return False


@pytest.fixture
def nova(monkeypatch):
    fake = Nova()
    FakeWatch.nova = fake
    monkeypatch.setattr(notification_watch, "NotificationWatch", FakeWatch)
    sdk = types.SimpleNamespace(exceptions=types.SimpleNamespace(SDKException=SDKError))
    monkeypatch.setattr(connection, "openstack", sdk)
    monkeypatch.setattr(connection, "connect", lambda options: types.SimpleNamespace(
        compute=fake, image=ImageApi(CIRROS, OLD, UBUNTU), current_project_id="p-admin"))
    patch_exits(monkeypatch)
    return fake


@pytest.fixture
def warnings(monkeypatch):
    said = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda _module, text: said.append(text))
    return said


def run(args, check_mode=False):
    return run_module(aggregate_precache.main, args, check_mode=check_mode)


def request(**extra):
    return dict({"aggregate": "rollout", "images": ["cirros"], "transport_url": URL,
                 "timeout": 5}, **extra)


def test_the_run_is_followed_from_before_the_request_to_its_end(nova):
    outcome = run(request())
    assert not outcome.failed, outcome.result
    result = outcome.result
    assert [event[0] for event in nova.events] == ["listen", "request", "stop"]
    assert nova.events[0] == ("listen", URL, "nova", "versioned_notifications")
    assert nova.events[1] == ("request", 7, [CIRROS["id"]])
    assert result["changed"] is True
    assert result["requested"] is True and result["followed"] is True
    assert result["complete"] is True
    assert result["aggregate"] == {"id": 7, "uuid": "agg-uuid", "name": "rollout",
                                   "hosts": HOSTS, "availability_zone": None}
    assert result["images"] == [{"id": CIRROS["id"], "name": "cirros"}]
    assert result["microversion"] == "2.104"
    assert list(result["hosts"]) == HOSTS
    assert result["hosts"]["compute1"]["images_cached"] == [CIRROS["id"]]
    assert [result["hosts"][h]["status"] for h in HOSTS] == ["ok", "ok", "skipped"]
    assert result["hosts_skipped"] == ["compute3"]
    assert result["hosts_failed"] == [] and result["hosts_pending"] == []
    assert result["queue"] == nova.events[2][1]
    assert URL not in str(result) and "bus-secret" not in str(result)


def test_an_earlier_runs_notifications_are_not_this_runs(nova):
    nova.before = [("progress", {"id": 7, "host": "compute1", "index": 3, "total": 3,
                                 "images_cached": [], "images_failed": ["x"]}),
                   ("end", {"id": 7})]
    result = run(request()).result
    assert result["hosts"]["compute1"]["images_failed"] == []


def test_an_image_failed_on_a_host_that_was_up_fails_the_module(nova):
    nova.outcome["compute2"] = ([], [CIRROS["id"]])
    outcome = run(request())
    assert outcome.failed
    assert outcome.result["msg"] == "pre-cache of aggregate rollout: host compute2: images " \
                                    "failed: %s" % CIRROS["id"]
    assert outcome.result["hosts_failed"] == ["compute2"]
    assert outcome.result["image_failures"] == {CIRROS["id"]: 1}


def test_a_host_nova_sent_no_result_for_fails_the_module(nova):
    nova.silent = {"compute2"}
    outcome = run(request())
    assert outcome.failed
    result = outcome.result
    assert result["complete"] is True
    assert list(result["hosts"]) == ["compute1", "compute3", "compute2"]
    assert result["hosts"]["compute2"]["status"] == "failed"
    assert result["hosts"]["compute2"]["images_failed"] == [CIRROS["id"]]
    assert result["hosts_failed"] == ["compute2"] == result["hosts_unreported"]
    assert result["hosts_skipped"] == ["compute3"]
    assert result["msg"] == ("pre-cache of aggregate rollout: host compute2: %s (images %s)"
                             % (aggregate_run.NO_RESULT, CIRROS["id"]))


def test_a_bus_outage_mid_run_is_could_not_follow_with_what_was_seen(nova):
    nova.outage_after = "compute1"
    outcome = run(request(images=["cirros", "ubuntu"], request_mode="per_image"))
    assert outcome.failed
    result = outcome.result
    assert result["followed"] is False and result["complete"] is False
    assert [outage["message"] for outage in result["bus_outages"]] == [
        "[c0ffee] AMQP server on 127.0.0.1:25672 is unreachable: [Errno 111] ECONNREFUSED. "
        "Trying again in 1 seconds."]
    assert result["hosts"]["compute1"]["images_cached"] == [CIRROS["id"]]
    assert result["hosts_failed"] == [] and result["hosts_unreported"] == []
    assert result["notifications"] == 2
    # No request after the outage: its run could not be followed either.
    assert result["requests"] == [[CIRROS["id"]]]
    assert result["msg"].startswith(
        "pre-cache of aggregate rollout: could not follow the run: the connection to the message "
        "bus was lost ")
    assert result["msg"].endswith("seen until then: 2 notifications, reports of compute1; not "
                                  "yet: compute2, compute3")


def test_nova_s_duplicate_images_bug_makes_one_request_per_image(nova, warnings):
    nova.duplicate_bug = True
    outcome = run(request(images=["cirros", "ubuntu"]))
    assert not outcome.failed, outcome.result
    result = outcome.result
    ids = [CIRROS["id"], UBUNTU["id"]]
    assert [event[:3] for event in nova.events if event[0] == "request"] == [
        ("request", 7, ids), ("request", 7, ids[:1]), ("request", 7, ids[1:])]
    assert result["requests"] == [ids[:1], ids[1:]]
    assert len(warnings) == 1
    assert "Launchpad bug 2034702" in warnings[0]
    assert warnings[0].startswith('Nova refused the 2 distinct images as "Duplicate images in '
                                  'request": the bug of Nova before 27.5.0, 28.3.0 and 29.0.0')
    assert result["complete"] is True
    assert result["hosts"]["compute1"]["images_cached"] == ids
    assert result["hosts_failed"] == [] and result["hosts_skipped"] == ["compute3"]


def test_per_image_requests_from_the_start(nova, warnings):
    nova.silent = {"compute1"}
    outcome = run(request(images=["cirros", "ubuntu"], request_mode="per_image"))
    ids = [CIRROS["id"], UBUNTU["id"]]
    assert [event[2] for event in nova.events if event[0] == "request"] == [ids[:1], ids[1:]]
    assert outcome.failed
    assert outcome.result["hosts"]["compute1"]["images_failed"] == ids
    assert outcome.result["hosts_unreported"] == ["compute1"]
    assert warnings == []


def test_other_refusals_are_not_retried(nova):
    nova.error = HttpError(400)
    outcome = run(request(images=["cirros", "ubuntu"]))
    assert outcome.failed
    assert outcome.result["msg"].startswith("Nova refused the image pre-cache of aggregate "
                                            "rollout (HTTP 400)")
    assert len([event for event in nova.events if event[0] == "request"]) == 1


def test_a_run_that_does_not_end_in_time_fails_with_what_was_received(nova, monkeypatch):
    nova.ends = False
    outcome = run(request(timeout=1))
    assert outcome.failed
    assert outcome.result["complete"] is False
    assert list(outcome.result["hosts"]) == HOSTS
    assert "the run did not end in 1 s (3 of its hosts reported; not yet: none)" in \
        outcome.result["msg"]


def test_bad_images_fail_before_anything_starts(nova):
    outcome = run(request(images=["cirros", "00000000-0000-4000-8000-00000000dead", "old"]))
    assert outcome.failed
    assert outcome.result["msg"].startswith("2 problems with the image selection: ")
    assert nova.events == []


@pytest.mark.parametrize("args, message", [
    (dict(aggregate="nope"), "no aggregate has the id, uuid or name 'nope' (the aggregates "
                             "are: rollout)"),
    (dict(timeout=0), "timeout must be a positive number of seconds, not 0"),
])
def test_bad_arguments_fail_before_anything_starts(nova, args, message):
    outcome = run(request(**args))
    assert outcome.failed and outcome.result["msg"] == message
    assert nova.events == []


def test_an_aggregate_without_hosts(nova):
    nova.aggregate.hosts = []
    outcome = run(request())
    assert outcome.failed
    assert outcome.result["msg"] == "aggregate rollout has no hosts: there is nothing to cache on"


def test_a_cloud_older_than_ussuri(nova):
    nova.maximum = (2, 79)
    outcome = run(request())
    assert outcome.failed and "needs 2.81 (Nova Ussuri or later)" in outcome.result["msg"]
    assert nova.events == []


def test_the_policy_forbids_it(nova):
    nova.error = HttpError(403)
    outcome = run(request())
    assert outcome.failed
    assert outcome.result["msg"].startswith("Nova's policy forbids the image pre-cache of "
                                            "aggregate rollout to this user")
    assert [event[0] for event in nova.events] == ["listen", "request", "stop"]


def test_without_a_transport_nothing_is_followed(nova):
    outcome = run(request(transport_url=None))
    assert not outcome.failed
    result = outcome.result
    assert [event[0] for event in nova.events] == ["request"]
    assert result["changed"] is True and result["requested"] is True
    assert result["followed"] is False and result["complete"] is False
    assert result["hosts"] == {}
    assert result["msg"] == "Nova accepted the pre-cache request; without transport_url " \
                            "nothing can be followed: neither its progress nor when it ends"


def test_check_mode_checks_everything_and_requests_nothing(nova):
    outcome = run(request(), check_mode=True)
    assert not outcome.failed
    result = outcome.result
    assert nova.events == []
    assert result["changed"] is True and result["requested"] is False
    assert result["followed"] is False
    assert result["hosts_skipped"] == ["compute3"]


def test_watch_follows_a_run_someone_else_starts(nova):
    watcher = FakeWatch.__enter__

    def enter_and_start(self):
        watcher(self)
        nova.aggregate_precache_images(7, ["img-1"])
        return self

    FakeWatch.__enter__ = enter_and_start
    try:
        outcome = run({"mode": "watch", "aggregate": "agg-uuid", "transport_url": URL,
                       "timeout": 5})
    finally:
        FakeWatch.__enter__ = watcher
    assert not outcome.failed, outcome.result
    result = outcome.result
    assert result["changed"] is False and result["requested"] is False
    assert result["complete"] is True
    assert result["aggregate"]["name"] == "rollout"
    assert result["hosts_skipped"] == ["compute3"]
    assert result["hosts"]["compute1"]["images_cached"] == ["img-1"]


def test_watch_without_a_run_times_out(nova):
    outcome = run({"mode": "watch", "transport_url": URL, "timeout": 1})
    assert outcome.failed
    assert outcome.result["msg"] == "pre-cache: no pre-cache run started in 1 s"


@pytest.mark.parametrize("args, message", [
    ({"mode": "watch"}, "mode is watch but all of the following are missing: transport_url"),
    ({"images": ["cirros"]}, "mode is request but all of the following are missing: aggregate"),
])
def test_required_options(nova, args, message):
    outcome = run(args)
    assert outcome.failed and outcome.result["msg"] == message
