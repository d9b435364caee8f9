# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Image selection, checks, error aggregation and the download plan, against a Glance double."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils import _image_plan
from ansible_collections.openstack_ops.precache.plugins.module_utils._image_plan import (
    DEFAULT_DISK_FORMATS, ImagePlanner, PlanError, check_image, glance_record, image_endpoint,
    plan_record, total_size)

ENDPOINT = "https://glance.example.com:9292/v2/"
# The Glance fields openstacksdk's Image has attributes for; it keeps the others in `properties`.
_SDK_FIELDS = {"id", "name", "status", "size", "virtual_size", "disk_format", "container_format",
               "checksum", "os_hash_algo", "os_hash_value", "tags", "visibility", "owner",
               "file", "os_distro", "os_hidden", "protected", "min_disk", "min_ram"}


class FakeImage:
    """Shaped like openstacksdk's Image: to_dict() with known fields, the others in properties."""

    def __init__(self, **glance):
        self.glance = glance

    def to_dict(self, body=True, headers=True, computed=True, ignore_none=False,
                original_names=False):
        assert (headers, computed, ignore_none, original_names) == (False, False, True, True)
        data = {key: value for key, value in self.glance.items() if key in _SDK_FIELDS}
        data["properties"] = {k: v for k, v in self.glance.items() if k not in _SDK_FIELDS}
        return data


class HttpError(Exception):
    def __init__(self, status_code):
        super().__init__("HTTP %d" % status_code)
        self.status_code = status_code


class FakeImageApi:
    """openstacksdk's image proxy as the planner uses it: get_image(), images(**filters)."""

    def __init__(self, *images, forbidden=()):
        self.images_ = list(images)
        self.forbidden = set(forbidden)
        self.calls = []

    def get_image(self, image_id):
        self.calls.append(("get_image", image_id))
        if image_id in self.forbidden:
            raise HttpError(403)
        for image in self.images_:
            if image.glance["id"] == image_id:
                return image
        raise HttpError(404)

    def images(self, name=None, tag=None):
        self.calls.append(("images", name, tag))
        for image in self.images_:
            if name is not None and image.glance.get("name") != name:
                continue
            if tag is not None and not set(tag) <= set(image.glance.get("tags", ())):
                continue
            yield image


def image(number, name=None, **fields):
    image_id = "%08d-0000-4000-8000-000000000000" % number
    glance = dict(id=image_id, name=name or "image-%d" % number, status="active", size=1000 * number,
                  virtual_size=4000 * number, disk_format="qcow2", container_format="bare",
                  checksum="md5-%d" % number, os_hash_algo="sha512",
                  os_hash_value="sha512-%d" % number, tags=[], visibility="public",
                  file="/v2/images/%s/file" % image_id)
    glance.update(fields)
    return FakeImage(**{key: value for key, value in glance.items() if value is not None})


def planner(*images, **kwargs):
    return ImagePlanner(FakeImageApi(*images, forbidden=kwargs.pop("forbidden", ())),
                        caller="demo-project", **kwargs)


def ids(plan):
    return [record["id"] for record in plan]


def problems(raised):
    return {p["reference"]: p["reason"] for p in raised.value.problems}


def test_names_and_ids_resolve_in_order_and_once_each():
    one, two = image(1, "cirros"), image(2, "ubuntu")
    chooser = planner(one, two)
    chooser.select_references(["ubuntu", one.glance["id"], "cirros", two.glance["id"]])
    assert ids(chooser.plan(ENDPOINT)) == [two.glance["id"], one.glance["id"]]


def test_the_plan_record_has_what_cache_image_takes():
    chooser = planner(image(1, "cirros", stores="site-a,site-b"))
    chooser.select_references(["cirros"])
    plan = chooser.plan(ENDPOINT)
    assert plan == [{
        "id": "00000001-0000-4000-8000-000000000000", "name": "cirros", "size": 1000,
        "virtual_size": 4000, "disk_format": "qcow2", "container_format": "bare",
        "checksum": "md5-1", "os_hash_algo": "sha512", "os_hash_value": "sha512-1",
        "url": "https://glance.example.com:9292/v2/images/00000001-0000-4000-8000-000000000000"
               "/file",
        "stores": ["site-a", "site-b"]}]
    assert total_size(plan) == 1000


@pytest.mark.parametrize("endpoint, expected", [
    ("https://glance:9292/v2/", "https://glance:9292"),
    ("https://glance:9292/v2", "https://glance:9292"),
    ("https://glance:9292", "https://glance:9292"),
    ("https://cloud.example.com/image/v2/", "https://cloud.example.com/image"),
])
def test_the_endpoint_loses_its_version_and_the_url_keeps_a_path_prefix(endpoint, expected):
    assert image_endpoint(endpoint) == expected
    record = glance_record(image(7))
    assert plan_record(record, image_endpoint(endpoint))["url"] == \
        expected + "/v2/images/%s/file" % record["id"]


def test_a_record_without_file_gets_glance_s_data_path():
    record = glance_record(image(3, file=None))
    assert plan_record(record, "https://g")["url"] == "https://g/v2/images/%s/file" % record["id"]
    assert plan_record(record, "https://g")["stores"] == []


def test_glance_record_puts_properties_beside_the_fields():
    record = glance_record(image(1, os_distro="ubuntu", stores="site-a", hw_firmware_type="uefi"))
    assert record["os_distro"] == "ubuntu"
    assert record["hw_firmware_type"] == "uefi"
    assert record["stores"] == "site-a"
    assert "properties" not in record


def test_an_ambiguous_name_lists_the_ids():
    first, second = image(1, "ubuntu"), image(2, "ubuntu", status="deactivated")
    chooser = planner(first, second)
    chooser.select_references(["ubuntu"])
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    reason = problems(raised)["'ubuntu' (images)"]
    assert reason.startswith("ambiguous name: 2 images")
    assert "%s active" % first.glance["id"] in reason
    assert "%s deactivated" % second.glance["id"] in reason


def test_a_missing_name_or_id_is_not_found_and_says_whose_view():
    chooser = planner(image(1))
    chooser.select_references(["nope", "00000000-0000-4000-8000-00000000dead"])
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    found = problems(raised)
    assert set(found) == {"'nope' (images)", "'00000000-0000-4000-8000-00000000dead' (images)"}
    assert all(reason.startswith("not found") and "project demo-project" in reason
               for reason in found.values())


def test_an_id_that_is_not_an_id_is_looked_up_as_a_name():
    named = image(2, "00000000-0000-4000-8000-000000000001")
    chooser = planner(named)
    chooser.select_references(["00000000-0000-4000-8000-000000000001"])
    assert ids(chooser.plan(ENDPOINT)) == [named.glance["id"]]
    assert chooser.api.calls[0] == ("get_image", "00000000-0000-4000-8000-000000000001")


def test_a_name_is_not_fetched_as_an_id():
    chooser = planner(image(1, "cirros"))
    chooser.select_references(["cirros"])
    chooser.plan(ENDPOINT)
    assert chooser.api.calls == [("images", "cirros", None)]


def test_forbidden_is_no_access():
    hidden = image(1)
    chooser = planner(hidden, forbidden={hidden.glance["id"]})
    chooser.select_references([hidden.glance["id"]])
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    assert list(problems(raised).values()) == [
        "no access: Glance refuses to show this image to the caller (HTTP 403)"]


def test_other_http_errors_are_not_swallowed():
    class Broken(FakeImageApi):
        def get_image(self, image_id):
            raise HttpError(503)

    chooser = ImagePlanner(Broken())
    with pytest.raises(HttpError):
        chooser.select_references([image(1).glance["id"]])


@pytest.mark.parametrize("status, words", [
    ("queued", "no data was uploaded"),
    ("saving", "still being uploaded"),
    ("importing", "import is still running"),
    ("deactivated", "deactivated it"),
    ("killed", "upload failed"),
    ("deleted", "was deleted"),
    ("pending_delete", "being deleted"),
    ("mystery", "only active images"),
])
def test_only_active_images_pass(status, words):
    reasons = check_image(glance_record(image(1, status=status)), DEFAULT_DISK_FORMATS)
    assert reasons == [reasons[0]]
    assert reasons[0].startswith("status %s: " % status) and words in reasons[0]


@pytest.mark.parametrize("size", [0, None])
def test_an_active_image_without_data_fails(size):
    assert check_image(glance_record(image(1, size=size)), DEFAULT_DISK_FORMATS) == [
        "it has no data (size %s): upload its data" % size]


@pytest.mark.parametrize("disk_format, allowed", [
    ("vhd", True), ("ploop", True), ("ami", True), (None, True), ("raw", False)])
def test_disk_formats_outside_the_allowed_fail(disk_format, allowed):
    formats = DEFAULT_DISK_FORMATS if allowed else ("qcow2",)
    reasons = check_image(glance_record(image(1, disk_format=disk_format)), formats)
    assert reasons == ["disk_format %s is not allowed (allowed: %s)"
                       % (disk_format, ", ".join(formats))]


def test_the_default_disk_formats_are_those_nova_inspects_and_boots():
    assert DEFAULT_DISK_FORMATS == ("raw", "qcow2", "vmdk", "vdi", "vhdx", "iso")


@pytest.mark.parametrize("container_format", ["ovf", "ami", "compressed", "docker", None])
def test_only_bare_containers_pass(container_format):
    reasons = check_image(glance_record(image(1, container_format=container_format)),
                          DEFAULT_DISK_FORMATS)
    assert len(reasons) == 1
    assert reasons[0].startswith("container_format %s: only bare images" % container_format)


def test_the_container_formats_are_those_cache_image_caches():
    assert _image_plan.CACHEABLE_CONTAINER_FORMATS == ("bare",)


def test_every_problem_is_reported_at_once():
    queued = image(3, "queued", status="queued", size=None, checksum=None, disk_format=None)
    ovf = image(4, "ovf", container_format="ovf", disk_format="vhd")
    chooser = planner(image(1, "twin"), image(2, "twin"), queued, ovf)
    chooser.select_references(["twin", "missing", "queued", "ovf"])
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    found = problems(raised)
    assert list(found) == [
        "'twin' (images)", "'missing' (images)",
        "image %s (queued) (images)" % queued.glance["id"],
        "image %s (ovf) (images)" % ovf.glance["id"]]
    assert found["image %s (queued) (images)" % queued.glance["id"]] == (
        "status queued: no data was uploaded to it; disk_format None is not allowed "
        "(allowed: raw, qcow2, vmdk, vdi, vhdx, iso)")
    assert "disk_format vhd" in found["image %s (ovf) (images)" % ovf.glance["id"]]
    assert "container_format ovf" in found["image %s (ovf) (images)" % ovf.glance["id"]]
    assert str(raised.value).startswith("4 problems with the image selection: 'twin' (images): "
                                        "ambiguous name")
    by_reference = {p["reference"]: p for p in raised.value.problems}
    assert by_reference["image %s (ovf) (images)" % ovf.glance["id"]]["name"] == "ovf"
    assert by_reference["'missing' (images)"]["id"] is None


def test_one_problem_is_singular():
    chooser = planner()
    chooser.select_references(["missing"])
    with pytest.raises(PlanError, match="^1 problem with the image selection: 'missing'"):
        chooser.plan(ENDPOINT)


def test_an_empty_selection_fails():
    chooser = planner(image(1))
    chooser.select_references([])
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    assert problems(raised) == {"selection": "no image selected"}


def test_tags_select_every_active_image_carrying_all_of_them():
    both = image(1, tags=["critical", "linux"])
    deactivated = image(2, tags=["critical", "linux"], status="deactivated")
    one_tag = image(3, tags=["critical"])
    also = image(4, tags=["linux", "critical", "x"])
    chooser = planner(both, deactivated, one_tag, also)
    chooser.select_tags(["critical", "linux"])
    assert ids(chooser.plan(ENDPOINT)) == [both.glance["id"], also.glance["id"]]
    assert chooser.api.calls == [("images", None, ["critical", "linux"])]
    assert chooser.warnings == [
        "image %s (image-2) carries the tags critical, linux but is not selected: its status "
        "is deactivated" % deactivated.glance["id"]]


def test_tags_are_checked_again_when_glance_matches_any_tag():
    class AnyTag(FakeImageApi):
        def images(self, name=None, tag=None):
            return iter(self.images_)

    chooser = ImagePlanner(AnyTag(image(1, tags=["critical"]), image(2, tags=["linux"])))
    chooser.select_tags(["critical", "linux"])
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    assert problems(raised) == {
        "tags critical, linux": "no active image carries all of these tags"}


def test_tags_and_names_are_deduplicated():
    tagged = image(1, "cirros", tags=["critical"])
    chooser = planner(tagged, image(2, "ubuntu", tags=["critical"]))
    chooser.select_references(["cirros"])
    chooser.select_tags(["critical"])
    assert ids(chooser.plan(ENDPOINT)) == [tagged.glance["id"], image(2).glance["id"]]


def test_a_query_selects_from_glance_s_list_by_custom_properties():
    ubuntu = image(1, os_distro="ubuntu")
    other = image(2, os_distro="debian")
    custom = image(3, os_distro="ubuntu", site_tier="gold")
    chooser = planner(ubuntu, other, custom)
    chooser.select_query("[?os_distro=='ubuntu' && site_tier=='gold']")
    assert ids(chooser.plan(ENDPOINT)) == [custom.glance["id"]]
    chooser = planner(ubuntu, other, custom)
    chooser.select_query("[?os_distro=='ubuntu']")
    assert ids(chooser.plan(ENDPOINT)) == [ubuntu.glance["id"], custom.glance["id"]]


def test_a_query_may_give_names_or_ids_which_are_resolved():
    chooser = planner(image(1, "a", os_distro="ubuntu"), image(2, "b"))
    chooser.select_query("[?os_distro=='ubuntu'].name")
    assert ids(chooser.plan(ENDPOINT)) == [image(1).glance["id"]]
    chooser = planner(image(1, "a"), image(2, "b"))
    chooser.select_query("[?name=='b'].id | [0]")
    assert ids(chooser.plan(ENDPOINT)) == [image(2).glance["id"]]


def test_a_query_giving_one_image_selects_it():
    chooser = planner(image(1, "a"), image(2, "b"))
    chooser.select_query("[?name=='b'] | [0]")
    assert ids(chooser.plan(ENDPOINT)) == [image(2).glance["id"]]


def test_the_image_list_is_read_once():
    chooser = planner(image(1, "a"))
    chooser.select_query("[?name=='a']")
    chooser.select_query("[?name=='a'].id")
    chooser.plan(ENDPOINT)
    assert [call for call in chooser.api.calls if call[0] == "images"] == [
        ("images", None, None)]


@pytest.mark.parametrize("expression, reason", [
    ("[?os_distro=='ubuntu'", "not a valid JMESPath expression: "),
    ("[?nope(name)]", "not a valid JMESPath expression: Unknown function: nope()"),
    ("[?os_distro=='debian']", "selects no image"),
    ("length(@)", "gives int 1, not a list of images, names or ids"),
    ("[?name=='a'].size", "gives int 1000, which is neither an image nor a name or id"),
    ("missing", "gives NoneType None, not a list"),
])
def test_bad_queries_are_explained(expression, reason):
    chooser = planner(image(1, "a", os_distro="ubuntu"))
    chooser.select_query(expression)
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    assert list(problems(raised)) == ["query %s" % expression]
    assert problems(raised)["query %s" % expression].startswith(reason)


def test_query_results_are_checked_like_all_others():
    chooser = planner(image(1, "a", status="deactivated"))
    chooser.select_query("[?name=='a']")
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    assert list(problems(raised)) == [
        "image %s (a) (query [?name=='a'])" % image(1).glance["id"]]


def test_a_query_without_jmespath_says_what_to_install(monkeypatch):
    monkeypatch.setattr(_image_plan, "jmespath", None)
    with pytest.raises(PlanError, match="pip install jmespath"):
        planner(image(1)).select_query("[*]")
