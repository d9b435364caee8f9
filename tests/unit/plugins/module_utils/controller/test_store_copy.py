# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Glance copy-image and the wait for it, against a double that behaves as Glance 33 does.

The double's behaviours were measured on the test bed's real Glance (docs/rbd.md): 202 with the
request id, 409 while another import holds the lock, 400 when the image is in the store, a task
that fails before the store leaves os_glance_importing_to_stores set for ever.
"""

import json
import types

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import store_copy as sc
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.controller.sdk_doubles import (
    FakeImage, HttpError)

IMAGE_A = "0c3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f01"
IMAGE_B = "9d3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f02"


class Response:
    def __init__(self, status_code, body=None, text="", headers=None):
        self.status_code = status_code
        self._body = body
        self.text = text if body is None else json.dumps(body)
        self.headers = headers or {}

    def json(self):
        if self._body is None:
            raise ValueError("not JSON")
        return self._body


def html_error(code, title, message):
    return Response(code, text="<html>\n <head>\n  <title>%s %s</title>\n </head>\n <body>\n  "
                               "<h1>%s %s</h1>\n  %s<br /><br />\n\n </body>\n</html>"
                               % (code, title, code, title, message))


class Clock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class Glance:
    """Images, stores and import tasks; a copy lasts `copy_seconds` on the clock.

    `behaviour[image id]`: "copy" (default), "task_fails" (the task fails, the importing flag
    stays), "store_fails" (the task succeeds, the store lands in os_glance_failed_import),
    "forbidden" (403), or a number of 409 answers ("busy") before it behaves as "copy".
    """

    def __init__(self, clock, stores=("site-a", "site-b", "site-c"), copy_seconds=20):
        self.clock = clock
        self.store_ids = list(stores)
        self.copy_seconds = copy_seconds
        self.by_id = {}
        self.forbidden = set()
        self.behaviour = {}
        self.tasks = {}
        self.posts = []
        self.busy = {}

    def add(self, image_id, name, stores="site-a", status="active", **props):
        self.by_id[image_id] = dict(id=image_id, name=name, status=status,
                                    properties=dict(props, stores=stores))
        self.tasks[image_id] = []

    def _advance(self, image_id):
        image = self.by_id[image_id]
        props = image["properties"]
        for task in self.tasks[image_id]:
            if task["status"] != "processing" or self.clock() < task["ends"]:
                continue
            targets = task["input"]["import_req"]["stores"]
            kind = task["kind"]
            if kind == "task_fails":
                task.update(status="failure", message="Task failed due to Internal Error")
            else:
                task.update(status="success")
                done = targets if kind == "copy" else []
                props["stores"] = ",".join(sc.store_list(props["stores"]) + done)
                props[sc.IMPORTING_KEY] = ""
                if kind == "store_fails":
                    props[sc.FAILED_KEY] = ",".join(targets)
            props.pop(sc.LOCK_KEY, None)

    # openstacksdk's image proxy, as far as store_copy uses it.
    def stores(self):
        return [types.SimpleNamespace(id=store) for store in self.store_ids]

    def images(self, name=None):
        return [self.get_image(image_id) for image_id, image in self.by_id.items()
                if image["name"] == name]

    def get_image(self, image_id):
        if image_id in self.forbidden:
            raise HttpError(403)
        if image_id not in self.by_id:
            raise HttpError(404)
        self._advance(image_id)
        image = self.by_id[image_id]
        return FakeImage(id=image["id"], name=image["name"], status=image["status"],
                         **image["properties"])

    def post(self, url, json=None):
        image_id = url.split("/")[2]
        assert url == "/images/%s/import" % image_id
        assert json["method"] == {"name": "copy-image"} and json["all_stores_must_succeed"] is False
        self.posts.append((image_id, list(json["stores"])))
        self._advance(image_id)
        props = self.by_id[image_id]["properties"]
        behaviour = self.behaviour.get(image_id, "copy")
        if isinstance(behaviour, int):
            self.busy[image_id] = self.busy.get(image_id, 0) + 1
            if self.busy[image_id] <= behaviour:
                return html_error(409, "Conflict", "Image has active task")
            behaviour = "copy"
        if behaviour == "forbidden":
            return html_error(403, "Forbidden", "You are not authorized to complete copy_image "
                                                "action.")
        if props.get(sc.LOCK_KEY):
            return html_error(409, "Conflict", "Image has active task")
        for store in json["stores"]:
            if store in sc.store_list(props["stores"]):
                return html_error(400, "Bad Request",
                                  "Image is already present at store &#x27;%s&#x27;" % store)
        request_id = "req-%d" % len(self.posts)
        task_id = "task-%d" % len(self.posts)
        self.tasks[image_id].append(dict(
            id=task_id, status="processing", message="", request_id=request_id,
            created_at="2026-11-22T01:%02d:00" % len(self.posts), kind=behaviour,
            ends=self.clock() + self.copy_seconds,
            input={"import_req": {"method": {"name": "copy-image"}, "stores": json["stores"]}}))
        props.update({sc.LOCK_KEY: task_id, sc.IMPORTING_KEY: ",".join(json["stores"]),
                      sc.FAILED_KEY: ""})
        return Response(202, text="", headers={"x-openstack-request-id": request_id})

    def get(self, url):
        image_id = url.split("/")[2]
        assert url == "/images/%s/tasks" % image_id
        self._advance(image_id)
        tasks = [dict((k, v) for k, v in task.items() if k not in ("kind", "ends"))
                 for task in self.tasks[image_id]]
        return Response(200, {"tasks": tasks})


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def glance(clock):
    glance = Glance(clock)
    glance.add(IMAGE_A, "cirros")
    glance.add(IMAGE_B, "ubuntu", stores="site-a,site-b")
    return glance


def copier(glance, clock, poll_interval=15, timeout=600, check_mode=False, copy_missing=True):
    return sc.StoreCopier(glance, poll_interval, timeout, check_mode=check_mode,
                          copy_missing=copy_missing, clock=clock, sleep=clock.sleep)


def run(glance, clock, stores, references=(IMAGE_A, IMAGE_B), **kwargs):
    images = sc.resolve_images(glance, list(references))
    return copier(glance, clock, **kwargs).copy(images, stores)


def by_pair(records):
    return dict(((r["id"], r["store"]), r) for r in records)


def test_copies_the_missing_stores_one_request_per_image(glance, clock):
    records = run(glance, clock, ["site-b", "site-c"])
    pairs = by_pair(records)
    assert [(r["id"], r["store"]) for r in records] == [
        (IMAGE_A, "site-b"), (IMAGE_A, "site-c"), (IMAGE_B, "site-b"), (IMAGE_B, "site-c")]
    assert glance.posts == [(IMAGE_A, ["site-b", "site-c"]), (IMAGE_B, ["site-c"])]
    assert pairs[(IMAGE_A, "site-b")]["status"] == sc.COPIED
    assert pairs[(IMAGE_A, "site-c")]["status"] == sc.COPIED
    assert pairs[(IMAGE_B, "site-b")]["status"] == sc.PRESENT
    assert pairs[(IMAGE_B, "site-c")]["status"] == sc.COPIED
    # A 20 s copy seen on the second poll, 15 s apart.
    assert clock.sleeps == [15, 15]
    assert pairs[(IMAGE_A, "site-b")]["seconds"] == 30
    assert sc.summarize(records, ["site-b", "site-c"]) == {
        "site-b": {"present": [IMAGE_B], "copied": [IMAGE_A], "failed": [], "timed_out": [],
                   "missing": []},
        "site-c": {"present": [], "copied": [IMAGE_A, IMAGE_B], "failed": [], "timed_out": [],
                   "missing": []}}


def test_nothing_to_do_when_present_everywhere(glance, clock):
    records = run(glance, clock, ["site-a", "site-b"], references=[IMAGE_B])
    assert [r["status"] for r in records] == [sc.PRESENT, sc.PRESENT]
    assert glance.posts == [] and clock.sleeps == []


def test_check_mode_starts_nothing(glance, clock):
    records = run(glance, clock, ["site-b"], check_mode=True)
    assert glance.posts == []
    assert [(r["status"], r["msg"]) for r in records] == [
        (sc.COPIED, "would copy it from store site-a (check mode)"),
        (sc.PRESENT, "already in store site-b")]


def test_without_copy_missing_nothing_starts(glance, clock):
    records = run(glance, clock, ["site-b"], copy_missing=False)
    assert glance.posts == [] and clock.sleeps == []
    assert [(r["status"], r["msg"]) for r in records] == [
        (sc.MISSING, "not in store site-b, and copy_missing is false"),
        (sc.PRESENT, "already in store site-b")]


def test_a_failing_task_is_failed_although_the_store_stays_importing(glance, clock):
    glance.behaviour[IMAGE_A] = "task_fails"
    records = run(glance, clock, ["site-b"], references=[IMAGE_A])
    assert glance.by_id[IMAGE_A]["properties"][sc.IMPORTING_KEY] == "site-b"
    assert records[0]["status"] == sc.FAILED
    assert "Task failed due to Internal Error" in records[0]["msg"]
    assert "task-1" in records[0]["msg"] and "(cirros)" in records[0]["msg"]
    assert clock.now < 200, "it must not wait for the timeout"


def test_without_a_request_id_the_newest_copy_task_is_watched(glance, clock, monkeypatch):
    post = glance.post

    def post_without_request_id(url, json=None):
        response = post(url, json=json)
        response.headers = {}
        return response
    monkeypatch.setattr(glance, "post", post_without_request_id)
    glance.behaviour[IMAGE_A] = "task_fails"
    records = run(glance, clock, ["site-b"], references=[IMAGE_A])
    assert records[0]["status"] == sc.FAILED and "task-1 failed" in records[0]["msg"]
    assert len(glance.posts) == 1


def test_a_store_in_failed_import_is_failed(glance, clock):
    glance.behaviour[IMAGE_A] = "store_fails"
    records = run(glance, clock, ["site-b"], references=[IMAGE_A])
    assert records[0]["status"] == sc.FAILED
    assert "os_glance_failed_import" in records[0]["msg"]


def test_waits_out_another_import_and_asks_again(glance, clock):
    glance.behaviour[IMAGE_A] = 2
    records = run(glance, clock, ["site-b"], references=[IMAGE_A])
    assert records[0]["status"] == sc.COPIED
    assert [post[0] for post in glance.posts] == [IMAGE_A] * 3


def test_copied_by_another_import_in_flight(glance, clock):
    body = {"method": {"name": "copy-image"}, "stores": ["site-b"],
            "all_stores_must_succeed": False}
    glance.post("/images/%s/import" % IMAGE_A, json=body)
    records = run(glance, clock, ["site-b"], references=[IMAGE_A])
    assert records[0]["status"] == sc.COPIED
    assert records[0]["msg"] == "copied by another import of this image that was running"


def test_timeout(glance, clock):
    glance.copy_seconds = 1000
    records = run(glance, clock, ["site-b"], references=[IMAGE_A], timeout=40)
    assert records[0]["status"] == sc.TIMED_OUT
    assert "after 40s" in records[0]["msg"] and "still copying" in records[0]["msg"]
    assert clock.sleeps == [15, 15, 10]


def test_refused_copy_is_failed_with_glances_reason(glance, clock):
    glance.behaviour[IMAGE_A] = "forbidden"
    records = run(glance, clock, ["site-b"], references=[IMAGE_A])
    assert records[0]["status"] == sc.FAILED
    assert records[0]["msg"].endswith(
        "HTTP 403: You are not authorized to complete copy_image action.")


def test_unknown_store_is_an_error_naming_the_known_ones(glance):
    with pytest.raises(sc.StoreCopyError) as err:
        sc.check_stores(glance, ["site-b", "site-x"])
    assert "no store 'site-x' (its stores: site-a, site-b, site-c)" in str(err.value)


def test_a_glance_without_stores_is_an_error():
    class NotFound(Exception):
        status_code = 404

    def stores():
        raise NotFound("Not Found")
    with pytest.raises(sc.StoreCopyError) as err:
        sc.check_stores(types.SimpleNamespace(stores=stores), ["site-b"])
    assert "not a multistore Glance" in str(err.value)


def test_resolve_images_lists_every_problem(glance):
    glance.add("1d3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f03", "queued-one", status="queued")
    glance.add("2d3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f04", "cirros")
    with pytest.raises(sc.StoreCopyError) as err:
        sc.resolve_images(glance, ["nope", "queued-one", "cirros", {"name": "x"}])
    text = str(err.value)
    assert "'nope' (images): not found" in text
    assert "(queued-one): status queued" in text
    assert "'cirros' (images): ambiguous name: 2 images" in text
    assert "(images): neither an image name or id nor a record with an id" in text


def test_resolve_images_takes_plan_records_once(glance):
    images = sc.resolve_images(glance, [{"id": IMAGE_A, "name": "cirros"}, IMAGE_A, "ubuntu"])
    assert [image["id"] for image in images] == [IMAGE_A, IMAGE_B]


def test_references_resolve_as_validate_images_resolves_them(glance):
    """One resolver for both modules: a UUID is an id never a name, a name resolves among the
    trusted owners' images first, and Glance's 403 is a listed problem, not a traceback."""
    tenant = "3d3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f05"
    glance.add(tenant, IMAGE_B, owner="tenant", visibility="private")
    glance.add("4d3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f06", "cirros", owner="tenant",
               visibility="shared")
    glance.by_id[IMAGE_A]["properties"].update(owner="admin", visibility="public")
    images = sc.resolve_images(glance, [IMAGE_B, "cirros"], caller="admin")
    assert [image["id"] for image in images] == [IMAGE_B, IMAGE_A]
    glance.forbidden = {IMAGE_A}
    with pytest.raises(sc.StoreCopyError) as err:
        sc.resolve_images(glance, [IMAGE_A])
    assert "no access: Glance refuses to show this image to the caller (HTTP 403)" in str(err.value)


@pytest.mark.parametrize("response, message", [
    (html_error(409, "Conflict", "Store for identifier site-x not found"),
     "Store for identifier site-x not found"),
    (html_error(400, "Bad Request", "Image is already present at store &#x27;site-a&#x27;"),
     "Image is already present at store 'site-a'"),
    (Response(413, {"error": {"message": "Quota  exceeded"}}), "Quota exceeded"),
    (Response(500, text=""), "HTTP 500"),
])
def test_glance_message(response, message):
    assert sc.glance_message(response) == message


def test_bad_settings():
    with pytest.raises(sc.StoreCopyError):
        sc.StoreCopier(None, 0, 10)
    with pytest.raises(sc.StoreCopyError):
        sc.StoreCopier(None, 5, -1)
