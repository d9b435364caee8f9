# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Image selection, checks, error aggregation and the download plan, against a Glance double."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import (
    image_selection)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.nova_formats import (
    DEFAULT_DISK_FORMATS)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.image_plan import (
    PlanError, check_image, glance_record, image_endpoint, plan_record, total_size)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.image_selection import (
    ImagePlanner)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.controller.sdk_doubles import (
    FakeImage, FakeImageApi, HttpError)

ENDPOINT = "https://glance.example.com:9292/v2/"


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
        "stores": ["site-a", "site-b"], "img_signature": None,
        "img_signature_hash_method": None, "img_signature_key_type": None,
        "img_signature_certificate_uuid": None}]
    assert total_size(plan) == 1000


def test_a_signed_image_s_plan_record_carries_its_signature_properties():
    properties = dict(img_signature="c2lnbmF0dXJl", img_signature_hash_method="SHA-256",
                      img_signature_key_type="RSA-PSS",
                      img_signature_certificate_uuid="11111111-1111-4111-8111-111111111111")
    chooser = planner(image(1, "signed", **properties))
    chooser.select_references(["signed"])
    [record] = chooser.plan(ENDPOINT)
    assert {name: record[name] for name in properties} == properties


class Signatures:
    """A SigningCertificates double: the reasons it gives per image id, and what it saw."""

    def __init__(self, reasons):
        self.reasons = reasons
        self.seen = []

    def check(self, record):
        self.seen.append(record["id"])
        return list(self.reasons.get(record["id"], ()))


def test_signature_problems_are_listed_with_the_others_in_one_failure():
    good, bad, old = image(1, "good"), image(2, "bad"), image(3, "old", status="deactivated")
    chooser = planner(good, bad, old)
    chooser.select_references(["good", "bad", "old", "missing"])
    signatures = Signatures({bad.glance["id"]: ["certificate x expired"],
                             old.glance["id"]: ["certificate y is not in the key manager"]})
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT, signatures=signatures)
    found = problems(raised)
    old_label = "image %s (old) (images)" % old.glance["id"]
    assert set(found) == {"'missing' (images)", "image %s (bad) (images)" % bad.glance["id"],
                          old_label}
    assert found["image %s (bad) (images)" % bad.glance["id"]] == "certificate x expired"
    assert found[old_label].startswith("status deactivated")
    assert found[old_label].endswith("; certificate y is not in the key manager")
    assert signatures.seen == [good.glance["id"], bad.glance["id"], old.glance["id"]]


def test_signatures_that_pass_leave_the_plan_as_it_is():
    chooser = planner(image(1, "good"))
    chooser.select_references(["good"])
    assert chooser.plan(ENDPOINT, signatures=Signatures({})) == chooser.plan(ENDPOINT)


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


def test_a_uuid_shaped_reference_is_an_id_never_a_name():
    # A tenant's image named like the id of a deleted one does not stand in for it.
    named = image(2, "00000000-0000-4000-8000-000000000001")
    chooser = planner(named)
    chooser.select_references(["00000000-0000-4000-8000-000000000001"])
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    assert problems(raised)["'00000000-0000-4000-8000-000000000001' (images)"].startswith(
        "not found: no image has this id")
    assert chooser.api.calls == [("get_image", "00000000-0000-4000-8000-000000000001")]


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


@pytest.mark.parametrize("container_format", ["bare", "ovf", "ami", "aki", "ari"])
def test_the_containers_nova_caches_pass(container_format):
    assert check_image(glance_record(image(1, container_format=container_format)),
                       DEFAULT_DISK_FORMATS) == []


@pytest.mark.parametrize("container_format", ["compressed", "docker", "ova", None])
def test_containers_nova_does_not_cache_are_refused_with_the_reason(container_format):
    reasons = check_image(glance_record(image(1, container_format=container_format)),
                          DEFAULT_DISK_FORMATS)
    assert len(reasons) == 1
    assert reasons[0].startswith("container_format %s is refused: " % container_format)


def test_every_problem_is_reported_at_once():
    queued = image(3, "queued", status="queued", size=None, checksum=None, disk_format=None)
    ovf = image(4, "ovf", container_format="docker", disk_format="vhd")
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
    assert "container_format docker" in found["image %s (ovf) (images)" % ovf.glance["id"]]
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
        "tags critical, linux": "no active image of a trusted owner carries all of these tags"}


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
    monkeypatch.setattr(image_selection, "jmespath", None)
    with pytest.raises(PlanError, match="pip install jmespath"):
        planner(image(1)).select_query("[*]")


class Census:
    """popularity.Census as the planner reads it: groups, counts and ranking()."""

    def __init__(self, counts, hosts=None):
        self.counts = counts
        self.groups = {group: hosts for group in counts}

    def ranking(self, group):
        return sorted(self.counts[group].items(), key=lambda item: (-item[1], item[0]))


def gid(number):
    return image(number).glance["id"]


def test_every_selection_says_why_the_image_is_in_the_plan():
    tagged = image(1, "cirros", tags=["critical"], os_distro="cirros")
    chooser = planner(tagged, image(2, "ubuntu"))
    chooser.select_references(["cirros", "ubuntu"])
    chooser.select_tags(["critical"])
    chooser.select_query("[?os_distro=='cirros'].id")
    chooser.select_popular(Census({"cloud": {gid(1): 4}}), "cloud", 1, 1)
    assert ids(chooser.plan(ENDPOINT)) == [gid(1), gid(2)]
    assert chooser.selection() == [
        dict(id=gid(1), name="cirros", owner=None, visibility="public", selected_by=[
            dict(selector="explicit", reference="cirros"),
            dict(selector="tag", tags=["critical"]),
            dict(selector="query", query="[?os_distro=='cirros'].id"),
            dict(selector="popular", instances=4)]),
        dict(id=gid(2), name="ubuntu", owner=None, visibility="public", selected_by=[
            dict(selector="explicit", reference="ubuntu")])]


def test_the_most_used_images_are_selected_down_to_min_instances():
    chooser = planner(image(1), image(2), image(3), image(4))
    counts = Census({"cloud": {gid(1): 2, gid(2): 9, gid(3): 5, gid(4): 1}})
    ranking = chooser.select_popular(counts, "cloud", 3, 2)
    assert ids(chooser.plan(ENDPOINT)) == [gid(2), gid(3), gid(1)]
    assert ranking == dict(group="cloud", instances=17, images=4, below_min_instances=1,
                           skipped=[], selected=[
                               dict(id=gid(2), name="image-2", instances=9),
                               dict(id=gid(3), name="image-3", instances=5),
                               dict(id=gid(1), name="image-1", instances=2)])
    assert chooser.api.calls == [("get_image", gid(2)), ("get_image", gid(3)),
                                 ("get_image", gid(1))]


def test_deleted_inactive_and_uncacheable_images_are_skipped_and_the_next_taken():
    deleted = "00000000-0000-4000-8000-00000000dead"
    chooser = planner(image(1), image(2, status="deactivated"), image(3, disk_format="vhd"),
                      image(4), image(5), forbidden={gid(6)})
    counts = Census({"cloud": {deleted: 50, gid(6): 40, gid(2): 30, gid(3): 20, gid(1): 10,
                               gid(4): 5, gid(5): 1}})
    ranking = chooser.select_popular(counts, "cloud", 2, 1)
    assert ids(chooser.plan(ENDPOINT)) == [gid(1), gid(4)]
    skipped = {entry["id"]: entry for entry in ranking["skipped"]}
    assert list(skipped) == [deleted, gid(6), gid(2), gid(3)]
    assert skipped[deleted]["reason"].startswith("not found in Glance: the image was deleted")
    assert skipped[deleted]["name"] is None and skipped[deleted]["instances"] == 50
    assert skipped[gid(6)]["reason"].startswith("no access")
    assert skipped[gid(2)]["reason"].startswith("status deactivated")
    assert skipped[gid(2)]["name"] == "image-2"
    assert skipped[gid(3)]["reason"].startswith("disk_format vhd is not allowed")
    # The ranking stops once `top` images are selected: image 5 is never looked up.
    assert ("get_image", gid(5)) not in chooser.api.calls
    assert chooser.warnings == []


def test_per_aggregate_each_group_gets_its_top_and_an_image_is_fetched_once():
    chooser = planner(image(1), image(2), image(3))
    counts = Census({"edge-1": {gid(1): 3, gid(2): 1}, "edge-2": {gid(3): 2, gid(1): 1}},
                    hosts={"compute1"})
    first = chooser.select_popular(counts, "edge-1", 1, 1)
    second = chooser.select_popular(counts, "edge-2", 2, 1)
    assert [entry["id"] for entry in first["selected"]] == [gid(1)]
    assert [entry["id"] for entry in second["selected"]] == [gid(3), gid(1)]
    assert ids(chooser.plan(ENDPOINT)) == [gid(1), gid(3)]
    assert chooser.selection()[0]["selected_by"] == [
        dict(selector="popular", instances=3, aggregate="edge-1"),
        dict(selector="popular", instances=1, aggregate="edge-2")]
    assert chooser.api.calls.count(("get_image", gid(1))) == 1


def test_nothing_popular_is_a_warning_and_alone_an_empty_selection():
    chooser = planner(image(1))
    ranking = chooser.select_popular(Census({"cloud": {gid(1): 1}}), "cloud", 5, 2)
    assert ranking["selected"] == [] and ranking["below_min_instances"] == 1
    assert chooser.warnings == [
        "popular in cloud: no image selected (0 images used by 2 or more instances)"]
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    assert problems(raised) == {"selection": "no image selected"}


def test_popular_candidates_that_all_fail_say_none_was_cacheable():
    chooser = planner(image(1, status="killed"))
    chooser.select_popular(Census({"edge-1": {gid(1): 3}}, hosts=set()), "edge-1", 1, 1)
    assert chooser.warnings == [
        "popular in edge-1: no image selected (1 image used by 1 or more instances, none "
        "cacheable and trusted)"]


# Trusted owners: public images, the caller's project ("demo-project") and image_owners.

def tenant(number, name=None, owner="p-tenant", visibility="private", **fields):
    return image(number, name, owner=owner, visibility=visibility, **fields)


def test_tags_select_only_images_of_trusted_owners():
    ours = image(1, "ours", tags=["critical"], owner="p-admin")
    own_project = tenant(2, "own", owner="demo-project", tags=["critical"])
    theirs = tenant(3, "theirs", tags=["critical"])
    shared = tenant(4, "shared", visibility="community", tags=["critical"])
    chooser = planner(ours, own_project, theirs, shared)
    chooser.select_tags(["critical"])
    assert ids(chooser.plan(ENDPOINT)) == [gid(1), gid(2)]
    assert [(entry["id"], entry["source"]) for entry in chooser.ignored] == [
        (gid(3), "tags critical"), (gid(4), "tags critical")]
    assert chooser.ignored[0]["reason"].startswith(
        "a private image of project p-tenant, which is not a trusted owner")
    assert chooser.ignored_warnings() == [
        "tags critical: 2 images left out: image %s (theirs), image %s (shared) (see ignored "
        "in the result for why)" % (gid(3), gid(4))]
    assert chooser.other_projects() == ["p-tenant"]


def test_image_owners_add_projects_to_trust():
    theirs = tenant(3, "theirs", tags=["critical"])
    chooser = planner(theirs, trusted_owners=["p-tenant"])
    chooser.select_tags(["critical"])
    assert ids(chooser.plan(ENDPOINT)) == [gid(3)]
    assert chooser.ignored == []
    assert chooser.trusted_owners == ["demo-project", "p-tenant"]


def test_only_untrusted_tagged_images_is_no_selection():
    chooser = planner(tenant(3, tags=["critical"]))
    chooser.select_tags(["critical"])
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    assert problems(raised)["tags critical"] == (
        "no active image of a trusted owner carries all of these tags")


def test_a_tenants_image_of_the_same_name_neither_vetoes_nor_replaces_a_name():
    ours = image(1, "ubuntu-24.04")
    decoy = tenant(2, "ubuntu-24.04", status="queued", size=None)
    chooser = planner(decoy, ours)
    chooser.select_references(["ubuntu-24.04"])
    assert ids(chooser.plan(ENDPOINT)) == [gid(1)]
    assert [entry["id"] for entry in chooser.ignored] == [gid(2)]
    assert chooser.ignored[0]["reason"].startswith(
        "has the name of an image of a trusted owner, which the name selects")


def test_a_name_only_another_project_has_still_resolves_when_typed():
    theirs = tenant(2, "their-image")
    chooser = planner(theirs)
    chooser.select_references(["their-image"])
    assert ids(chooser.plan(ENDPOINT)) == [gid(2)]
    assert chooser.ignored == []


def test_two_trusted_images_of_one_name_are_ambiguous():
    chooser = planner(image(1, "twin"), image(2, "twin"), tenant(3, "twin"))
    chooser.select_references(["twin"])
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    assert problems(raised)["'twin' (images)"].startswith("ambiguous name: 2 images")


def test_an_explicit_id_of_another_project_works():
    chooser = planner(tenant(2, "theirs"))
    chooser.select_references([gid(2)])
    assert ids(chooser.plan(ENDPOINT)) == [gid(2)]


def test_a_query_selects_only_trusted_images_whether_it_gives_records_or_names():
    ours = image(1, "ours", os_distro="ubuntu")
    theirs = tenant(2, "theirs", os_distro="ubuntu")
    for expression in ("[?os_distro=='ubuntu']", "[?os_distro=='ubuntu'].name",
                       "[?os_distro=='ubuntu'].id"):
        chooser = planner(ours, theirs)
        chooser.select_query(expression)
        assert ids(chooser.plan(ENDPOINT)) == [gid(1)], expression
        assert [entry["id"] for entry in chooser.ignored] == [gid(2)], expression


def test_popularity_counts_a_tenants_image_but_selects_the_next_trusted_one():
    theirs = tenant(2, "theirs")
    ours = image(1, "ours")
    chooser = planner(theirs, ours)
    ranking = chooser.select_popular(Census({"cloud": {gid(2): 9, gid(1): 2}}), "cloud", 1, 1)
    assert ids(chooser.plan(ENDPOINT)) == [gid(1)]
    assert ranking["skipped"] == [dict(id=gid(2), name="theirs", instances=9, reason=(
        "a private image of project p-tenant, which is not a trusted owner (the credentials' "
        "project, public images and image_owners are)"))]
    assert [(entry["id"], entry["source"]) for entry in chooser.ignored] == [
        (gid(2), "popular in cloud")]


def test_popularity_selects_a_trusted_projects_private_image():
    chooser = planner(tenant(2, "theirs"), trusted_owners=["p-tenant"])
    chooser.select_popular(Census({"cloud": {gid(2): 9}}), "cloud", 1, 1)
    assert ids(chooser.plan(ENDPOINT)) == [gid(2)]


def test_names_in_messages_are_escaped():
    forged = "x\x1b]0;pwned\x07\nCompleted 3 hosts, 0 errors"
    chooser = planner(image(1, forged, tags=["t"], status="queued"), tenant(2, forged, tags=["t"]))
    chooser.select_tags(["t"])
    for line in chooser.warnings + chooser.ignored_warnings():
        assert "\x1b" not in line and "\n" not in line and "\x07" not in line
        assert "x\\x1b]0;pwned\\x07\\x0aCompleted" in line
    with pytest.raises(PlanError) as raised:
        chooser.plan(ENDPOINT)
    assert "\n" not in str(raised.value)
