# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's aggregate pre-cache API through a double of openstacksdk's compute proxy."""

import json
import types

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import nova_precache
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.nova_precache import (
    NovaPrecacheError)


class HttpError(Exception):
    def __init__(self, status_code, message):
        super().__init__(message)
        self.status_code = status_code


# What Nova's API answers to its bug 2034702: nova/api/openstack/compute/aggregates.py raises
# HTTPBadRequest(explanation='Duplicate images in request'), and nova/api/openstack/wsgi.py's
# Fault makes the body {fault name: {"code", "message"}}, as application/json.
DUPLICATE_IMAGES_BODY = json.dumps({"badRequest": {"code": 400,
                                                   "message": "Duplicate images in request"}})


class SDKHttpError(Exception):
    """openstacksdk's HttpException as exceptions.raise_from_response() makes it from a JSON
    error body: `details` joins the `message` of each object of the body."""

    def __init__(self, status_code, url, body):
        self.status_code = status_code
        self.url = url
        self.details = "\n".join(obj["message"] for obj in json.loads(body).values()
                                 if isinstance(obj, dict) and obj.get("message"))
        super().__init__("BadRequestException: %d: Client Error for url: %s, %s"
                         % (status_code, url, self.details))


def duplicate_images_refusal(aggregate_id):
    return SDKHttpError(400, "https://nova.example.com/v2.1/os-aggregates/%s/images"
                        % aggregate_id, DUPLICATE_IMAGES_BODY)


def aggregate(ident, name, hosts, uuid=None):
    return types.SimpleNamespace(id=ident, uuid=uuid or "uuid-%s" % ident, name=name,
                                 hosts=hosts, availability_zone=None)


class Compute:
    def __init__(self, maximum=(2, 104), error=None):
        self.maximum = maximum
        self.error = error
        self.requests = []
        self.aggregates_ = [aggregate(1, "edge-a", ["compute1"]),
                            aggregate(2, "1", ["compute2"]),
                            aggregate(3, "rollout", ["compute1", "compute2", "compute3"])]
        self.services_ = [
            types.SimpleNamespace(host="compute1", state="up", status="disabled"),
            types.SimpleNamespace(host="compute2", state="down", status="enabled"),
            types.SimpleNamespace(host="compute3", state="up", status="enabled"),
            types.SimpleNamespace(host="compute9", state="down", status="enabled")]

    def get_endpoint_data(self):
        return types.SimpleNamespace(max_microversion=self.maximum)

    def aggregates(self):
        return iter(self.aggregates_)

    def services(self, binary):
        assert binary == "nova-compute"
        return iter(self.services_)

    def aggregate_precache_images(self, aggregate_id, image_ids):
        if self.error:
            raise self.error
        self.requests.append((aggregate_id, image_ids))


def test_the_microversion_is_checked():
    assert nova_precache.check_microversion(Compute((2, 104))) == "2.104"
    assert nova_precache.check_microversion(Compute((2, 81))) == "2.81"
    with pytest.raises(NovaPrecacheError,
                       match=r"maximum microversion is 2\.79; .* needs 2\.81 "
                             r"\(Nova Ussuri or later\)"):
        nova_precache.check_microversion(Compute((2, 79)))
    with pytest.raises(NovaPrecacheError, match=r"maximum microversion is unknown"):
        nova_precache.check_microversion(Compute(None))


@pytest.mark.parametrize("reference, expected", [
    ("3", 3), (3, 3), ("rollout", 3), ("uuid-1", 1),
    # An id wins over a name that looks like one.
    ("1", 1),
])
def test_an_aggregate_by_id_uuid_or_name(reference, expected):
    found = nova_precache.find_aggregate(Compute(), reference)
    assert found["id"] == expected
    assert set(found) == {"id", "uuid", "name", "hosts", "availability_zone"}


def test_an_unknown_aggregate_names_the_known_ones():
    with pytest.raises(NovaPrecacheError,
                       match=r"no aggregate has the id, uuid or name 'nope' "
                             r"\(the aggregates are: 1, edge-a, rollout\)"):
        nova_precache.find_aggregate(Compute(), "nope")


def test_down_hosts_are_those_nova_skips_disabled_ones_are_not():
    assert nova_precache.down_hosts(Compute(), ["compute1", "compute2", "compute3"]) == [
        "compute2"]


def test_the_request():
    compute = Compute()
    nova_precache.request_precache(compute, {"id": 3, "name": "rollout"}, ("a", "b"))
    assert compute.requests == [(3, ["a", "b"])]


@pytest.mark.parametrize("status, message", [
    (403, r"Nova's policy forbids the image pre-cache of aggregate rollout to this user \(rule "
          r"compute:aggregates:images, admin only by default\): Policy doesn't allow"),
    (400, r"Nova refused the image pre-cache of aggregate rollout \(HTTP 400\): "
          r"Policy doesn't allow"),
])
def test_refusals_say_why(status, message):
    compute = Compute(error=HttpError(status, "Policy doesn't allow"))
    with pytest.raises(NovaPrecacheError, match=message):
        nova_precache.request_precache(compute, {"id": 3, "name": "rollout"}, ["a"])


def test_other_errors_pass_through():
    compute = Compute(error=HttpError(500, "boom"))
    with pytest.raises(HttpError):
        nova_precache.request_precache(compute, {"id": 3, "name": "rollout"}, ["a"])


def test_nova_s_duplicate_images_bug_is_told_apart():
    compute = Compute(error=duplicate_images_refusal(3))
    with pytest.raises(nova_precache.DuplicateImagesRefused,
                       match=r'^Nova refused the 2 distinct images as "Duplicate images in '
                             r'request": the bug of Nova before 27\.5\.0, 28\.3\.0 and 29\.0\.0 '
                             r'\(Launchpad bug 2034702\)\. Asking for one image per request '
                             r'instead \(request_mode=per_image does so from the start\)$'):
        nova_precache.request_precache(compute, {"id": 3, "name": "rollout"}, ["a", "b"])


@pytest.mark.parametrize("image_ids, error", [
    # One image, or a real duplicate: Nova is right, nothing to retry.
    (["a"], duplicate_images_refusal(3)),
    (["a", "a"], duplicate_images_refusal(3)),
    # Another 400.
    (["a", "b"], SDKHttpError(400, "https://nova/v2.1/os-aggregates/3/images", json.dumps(
        {"badRequest": {"code": 400, "message": "Invalid input for field/attribute cache."}}))),
])
def test_other_400s_are_refusals(image_ids, error):
    with pytest.raises(NovaPrecacheError, match=r"Nova refused the image pre-cache of "
                                                r"aggregate rollout \(HTTP 400\)") as caught:
        nova_precache.request_precache(Compute(error=error), {"id": 3, "name": "rollout"},
                                       image_ids)
    assert not isinstance(caught.value, nova_precache.DuplicateImagesRefused)
