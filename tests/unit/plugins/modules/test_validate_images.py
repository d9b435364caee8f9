# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The validate_images module's own layer: options, result, token, failures; openstacksdk faked."""

import base64
import datetime
import types

import pytest

from ansible.module_utils.common.warnings import get_warning_messages
from cryptography.hazmat.primitives import hashes

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import connection
from ansible_collections.openstack_ops.precache.plugins.modules import cache_image, validate_images
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.controller.signing_doubles import (
    DAY, KeyManager, Pki, pem)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.modules.utils import (
    patch_exits, run_module)

CIRROS = dict(id="0c3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f01", name="cirros", status="active",
              size=21430272, virtual_size=117440512, disk_format="qcow2",
              container_format="bare", checksum="c8fc807773e5354afe61636071771906",
              os_hash_algo="sha512", os_hash_value="6b813aa4", tags=["critical"],
              visibility="public", owner="p-admin", file="/v2/images/0c3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f01/file")
OLD = dict(CIRROS, id="9d3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f02", name="old", status="deactivated",
           file="/v2/images/9d3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f02/file")
TOKEN = "gAAAAABsecret-token"


class HttpError(Exception):
    status_code = 404


class SDKError(Exception):
    pass


class Image:
    """Shaped like openstacksdk's Image, as far as to_dict() goes."""

    def __init__(self, glance):
        self.glance = glance

    def to_dict(self, **_kwargs):
        return dict(self.glance, properties={"stores": "site-a"})


class ImageApi:
    def __init__(self, *images, error=None):
        self.images_ = [Image(glance) for glance in images]
        self.error = error

    def get_endpoint(self):
        return "http://glance:9292/v2/"

    def get_image(self, image_id):
        if self.error:
            raise self.error
        for image in self.images_:
            if image.glance["id"] == image_id:
                return image
        raise HttpError()

    def images(self, name=None, tag=None):
        return iter([image for image in self.images_
                     if (name is None or image.glance["name"] == name)
                     and (tag is None or set(tag) <= set(image.glance["tags"]))])


class Server:
    """openstacksdk's Server, as far as the census reads it."""

    def __init__(self, image_id, host, status="ACTIVE"):
        self.image = {"id": image_id, "links": []} if image_id else {}
        self.compute_host = host
        self.status = status


class ComputeApi:
    def __init__(self, *servers, aggregates=None):
        self.servers_ = list(servers)
        self.aggregates_ = aggregates or {}
        self.listings = []

    def servers(self, **query):
        self.listings.append(query)
        return iter([server for server in self.servers_ if server.status in query["status"]])

    def aggregates(self):
        return iter([types.SimpleNamespace(name=name, hosts=hosts)
                     for name, hosts in self.aggregates_.items()])


def fake_conn(image_api, compute_api=None, key_manager=None, catalog=None):
    access = types.SimpleNamespace(
        auth_token=TOKEN, expires=datetime.datetime(2026, 11, 21, 22, 0, tzinfo=datetime.timezone.utc))
    session = types.SimpleNamespace()
    session.auth = types.SimpleNamespace(get_access=lambda given: access if given is session else None)
    catalog = catalog or {}
    return types.SimpleNamespace(image=image_api, compute=compute_api, current_project_id="p-demo",
                                 session=session, key_manager=key_manager,
                                 endpoint_for=catalog.get)


@pytest.fixture
def cloud(monkeypatch):
    """Glance's images, as the module's connection sees them; set `.image_api` to change them."""
    state = types.SimpleNamespace(image_api=ImageApi(CIRROS, OLD), compute_api=ComputeApi(),
                                  connected_with=None, key_manager=KeyManager(),
                                  catalog={"key-manager": "http://barbican:9311/"})
    sdk = types.SimpleNamespace(exceptions=types.SimpleNamespace(SDKException=SDKError))
    monkeypatch.setattr(connection, "openstack", sdk)

    def connect(options):
        state.connected_with = options
        return fake_conn(state.image_api, state.compute_api, state.key_manager, state.catalog)

    monkeypatch.setattr(connection, "connect", connect)
    patch_exits(monkeypatch)
    return state


def run(args, check_mode=False):
    return run_module(validate_images.main, args, check_mode=check_mode)


@pytest.mark.parametrize("check_mode", [False, True])
def test_the_plan_of_names_and_tags(cloud, check_mode):
    outcome = run({"cloud": "precache-admin", "images": ["cirros"], "tags": ["critical"]},
                  check_mode)
    assert not outcome.failed
    result = outcome.result
    assert result["changed"] is False
    assert [image["id"] for image in result["images"]] == [CIRROS["id"]]
    assert result["images"][0]["url"] == "http://glance:9292" + CIRROS["file"]
    assert result["images"][0]["stores"] == ["site-a"]
    assert result["image_endpoint"] == "http://glance:9292"
    assert result["total_size"] == CIRROS["size"]
    assert "auth_token" not in result
    assert cloud.connected_with["cloud"] == "precache-admin"


def test_the_plan_is_what_cache_image_takes():
    assert set(validate_images.image_plan.PLAN_FIELDS) | {"url", "stores"} == \
        set(cache_image.IMAGE_SPEC)


def test_a_token_on_request(cloud):
    result = run({"images": [CIRROS["id"]], "issue_token": True}).result
    assert result["auth_token"] == TOKEN
    assert result["auth_token_expires_at"] == "2026-11-21T22:00:00+00:00"


def test_a_failure_lists_every_problem_and_carries_no_token(cloud):
    outcome = run({"images": ["old", "missing"], "issue_token": True})
    assert outcome.failed
    assert outcome.result["msg"].startswith("2 problems with the image selection: ")
    assert [p["reference"] for p in outcome.result["problems"]] == [
        "'missing' (images)", "image %s (old) (images)" % OLD["id"]]
    assert "project p-demo" in outcome.result["problems"][0]["reason"]
    assert "auth_token" not in outcome.result


def test_a_selector_is_required(cloud):
    outcome = run({"cloud": "x"})
    assert outcome.failed
    assert "one of the following is required: images, tags, query, popular" in \
        outcome.result["msg"]


def test_an_empty_list_selects_nothing(cloud):
    outcome = run({"images": []})
    assert outcome.failed
    assert outcome.result["problems"] == [
        dict(reference="selection", reason="no image selected", id=None, name=None)]


def test_disk_formats_can_be_narrowed(cloud):
    outcome = run({"images": ["cirros"], "allowed_disk_formats": ["raw"]})
    assert outcome.failed
    assert "disk_format qcow2 is not allowed (allowed: raw)" in outcome.result["msg"]


def test_sdk_errors_become_failures(cloud):
    cloud.image_api = ImageApi(error=SDKError("Glance is down"))
    outcome = run({"images": [CIRROS["id"]]})
    assert outcome.failed
    assert outcome.result["msg"] == "Glance is down"


@pytest.mark.parametrize("check_mode", [False, True])
def test_popular_images_join_the_plan_and_say_why(cloud, check_mode):
    cloud.compute_api = ComputeApi(
        Server(OLD["id"], "compute1"), Server(OLD["id"], "compute1"), Server(OLD["id"], "compute2"),
        Server(CIRROS["id"], "compute1"), Server(CIRROS["id"], "compute2", "SHUTOFF"),
        Server(None, "compute2"), Server(CIRROS["id"], "compute3", "ERROR"))
    outcome = run({"tags": ["critical"], "popular": {"top": 2}}, check_mode)
    assert not outcome.failed, outcome.result
    result = outcome.result
    assert [image["id"] for image in result["images"]] == [CIRROS["id"]]
    assert result["selection"] == [dict(id=CIRROS["id"], name="cirros", owner="p-admin",
                                        visibility="public", selected_by=[
        dict(selector="tag", tags=["critical"]), dict(selector="popular", instances=2)])]
    assert cloud.compute_api.listings == [
        dict(details=True, all_projects=True, status=["ACTIVE", "SHUTOFF"])]
    popular = result["popular"]
    assert (popular["scope"], popular["statuses"]) == ("cloud", ["ACTIVE", "SHUTOFF"])
    assert (popular["servers"], popular["from_volume"]) == (6, 1)
    [group] = popular["groups"]
    assert group["group"] == "cloud" and group["instances"] == 5
    assert group["selected"] == [dict(id=CIRROS["id"], name="cirros", instances=2)]
    assert [(entry["id"], entry["instances"]) for entry in group["skipped"]] == [(OLD["id"], 3)]
    assert group["skipped"][0]["reason"].startswith("status deactivated")


def test_popular_per_aggregate(cloud):
    cloud.compute_api = ComputeApi(
        Server(CIRROS["id"], "compute1"), Server(OLD["id"], "compute2"),
        aggregates={"edge-1": ["compute1"], "edge-2": ["compute2"]})
    result = run({"popular": {"top": 1, "scope": "aggregate", "aggregates": ["edge-1"],
                              "statuses": ["active"]}}).result
    assert [image["id"] for image in result["images"]] == [CIRROS["id"]]
    assert result["selection"][0]["selected_by"] == [
        dict(selector="popular", instances=1, aggregate="edge-1")]
    assert [group["group"] for group in result["popular"]["groups"]] == ["edge-1"]
    assert result["popular"]["statuses"] == ["ACTIVE"]


@pytest.mark.parametrize("popular, message", [
    ({"top": 1, "scope": "aggregate"}, "popular.scope aggregate needs the names"),
    ({"top": 0}, "popular.top must be 1 or more, not 0"),
    ({"top": 1, "statuses": ["RUNNING"]}, "popular.statuses has RUNNING"),
    ({"top": 1, "scope": "aggregate", "aggregates": ["edge-9"]},
     "Nova has no aggregate named edge-9 (it has no aggregates)"),
])
def test_bad_popular_options_fail_clearly(cloud, popular, message):
    outcome = run({"popular": popular})
    assert outcome.failed
    assert message in outcome.result["msg"]


def test_a_failed_plan_keeps_the_counts(cloud):
    cloud.compute_api = ComputeApi(Server(OLD["id"], "compute1"))
    outcome = run({"images": ["missing"], "popular": {"top": 1}})
    assert outcome.failed
    assert outcome.result["popular"]["groups"][0]["skipped"][0]["id"] == OLD["id"]


def test_image_owners_widen_what_tags_select(cloud):
    theirs = dict(CIRROS, id="7e3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f07", name="theirs",
                  visibility="private", owner="p-tenant")
    cloud.image_api = ImageApi(CIRROS, theirs)
    result = run({"tags": ["critical"]}).result
    assert [image["id"] for image in result["images"]] == [CIRROS["id"]]
    assert [(entry["id"], entry["source"]) for entry in result["ignored"]] == [
        (theirs["id"], "tags critical")]
    assert result["trusted_owners"] == ["p-demo"]
    assert result["other_projects"] == ["p-tenant"]
    result = run({"tags": ["critical"], "image_owners": ["p-tenant"]}).result
    assert [image["id"] for image in result["images"]] == [CIRROS["id"], theirs["id"]]
    assert result["ignored"] == [] and result["trusted_owners"] == ["p-demo", "p-tenant"]
    assert result["other_projects"] == ["p-tenant"]


CERTIFICATE = "11111111-1111-4111-8111-111111111111"


def signed_image(number, certificate=CERTIFICATE, key_type="RSA-PSS", **fields):
    image_id = "%08d-5d55-4bd5-8cbb-3f3a6f9a2f0a" % number
    image = dict(CIRROS, id=image_id, name="signed-%d" % number,
                 file="/v2/images/%s/file" % image_id,
                 img_signature=base64.b64encode(b"signature").decode(),
                 img_signature_hash_method="SHA-256", img_signature_key_type=key_type,
                 img_signature_certificate_uuid=certificate)
    image.update(fields)
    return {key: value for key, value in image.items() if value is not None}


@pytest.fixture(scope="module")
def pki():
    return Pki()


def test_a_signed_image_is_planned_with_its_certificate_and_the_key_manager(cloud, pki):
    certificate = pki.cert("image signing")
    cloud.key_manager.add(CERTIFICATE, pem(certificate))
    one, two = signed_image(1), signed_image(2)
    cloud.image_api = ImageApi(CIRROS, one, two)
    outcome = run({"images": ["cirros", one["id"], two["id"]]})
    assert not outcome.failed, outcome.result
    result = outcome.result
    assert result["key_manager_endpoint"] == "http://barbican:9311"
    [summary] = result["certificates"]
    assert (summary["id"], summary["images"]) == (CERTIFICATE, [one["id"], two["id"]])
    assert summary["subject"] == certificate.subject.rfc4514_string()
    assert summary["sha256_fingerprint"] == certificate.fingerprint(hashes.SHA256()).hex()
    plain, first = result["images"][0], result["images"][1]
    assert plain["img_signature"] is None and plain["img_signature_certificate_uuid"] is None
    assert first["img_signature_certificate_uuid"] == CERTIFICATE
    assert first["img_signature_key_type"] == "RSA-PSS"
    assert len(cloud.key_manager.calls) == 2


def test_unsigned_plans_report_no_key_manager(cloud):
    result = run({"images": ["cirros"]}).result
    assert result["key_manager_endpoint"] is None and result["certificates"] == []
    assert cloud.key_manager.calls == []


def test_every_unusable_signed_image_is_listed_in_one_failure_without_a_token(cloud, pki):
    cloud.key_manager.add(CERTIFICATE, pem(pki.cert("old", not_before=-9 * DAY, not_after=-DAY)))
    ecc = cloud.key_manager.add("22222222-2222-4222-8222-222222222222",
                                pem(pki.cert("ecc", "secp384r1")))
    opaque = cloud.key_manager.add("33333333-3333-4333-8333-333333333333", b"x",
                                   secret_type="opaque")
    images = [signed_image(1), signed_image(2, "44444444-4444-4444-8444-444444444444"),
              signed_image(3, opaque), signed_image(4, ecc, "RSA-PSS"),
              signed_image(5, img_signature_hash_method="MD5")]
    cloud.image_api = ImageApi(CIRROS, *images)
    outcome = run({"images": ["cirros"] + [image["id"] for image in images], "issue_token": True})
    assert outcome.failed
    assert outcome.result["msg"].startswith("5 problems with the image selection: ")
    reasons = {p["id"]: p["reason"] for p in outcome.result["problems"]}
    assert list(reasons) == [image["id"] for image in images]
    assert "expired on" in reasons[images[0]["id"]]
    assert "HTTP 404" in reasons[images[1]["id"]]
    assert "its secret_type is opaque" in reasons[images[2]["id"]]
    assert "EC secp384r1" in reasons[images[3]["id"]]
    assert "img_signature_hash_method MD5" in reasons[images[4]["id"]]
    assert "auth_token" not in outcome.result
    assert [entry["id"] for entry in outcome.result["certificates"]] == [CERTIFICATE, ecc]


def test_a_cloud_without_a_key_manager_cannot_check_signed_images(cloud):
    cloud.catalog = {}
    cloud.image_api = ImageApi(CIRROS, signed_image(1))
    outcome = run({"images": [signed_image(1)["id"]]})
    assert outcome.failed
    assert "catalog has no key-manager endpoint" in outcome.result["msg"]


def test_check_signatures_off_checks_nothing(cloud):
    cloud.catalog = {}
    broken = signed_image(1, img_signature_hash_method=None)
    cloud.image_api = ImageApi(CIRROS, broken)
    result = run({"images": [broken["id"]], "check_signatures": False}).result
    assert [image["id"] for image in result["images"]] == [broken["id"]]
    assert result["key_manager_endpoint"] is None and result["certificates"] == []
    assert cloud.key_manager.calls == []


def test_a_curve_other_than_claimed_is_a_warning(cloud, pki):
    cloud.key_manager.add(CERTIFICATE, pem(pki.cert("ecc", "secp384r1")))
    cloud.image_api = ImageApi(signed_image(1, key_type="ECC_SECP521R1"))
    outcome = run({"images": [signed_image(1)["id"]]})
    assert not outcome.failed
    assert any("names the curve secp521r1" in warning for warning in get_warning_messages())
