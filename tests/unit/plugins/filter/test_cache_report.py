# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The cache_report filter: the hosts x images matrix and its renderings."""

import hashlib
import json
import html.parser
import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.openstack_ops.precache.plugins.filter.cache_report import cache_report

IMG_A = "a26887c6-c47b-4654-abb5-dfadf7d3f803"
IMG_B = "4d8c1f7e-0b6a-4f39-8a61-2f0c5a8d9e10"
IMG_C = "c3c3c3c3-0000-4000-8000-000000000003"
PLAN = [{"id": IMG_A, "name": "cirros <test>"}, {"id": IMG_B, "name": "ubuntu"}]


def sha1(image_id):
    return hashlib.sha1(image_id.encode()).hexdigest()


def cached(image_id, in_use=False, expires_in=50000.0, kind="original"):
    name = sha1(image_id) + ("_10" if kind == "resized" else "")
    return {"name": name, "kind": kind, "size": 10, "disk_usage": 8, "mtime": 1.0,
            "in_use": in_use, "used_by": ["inst-1"] if in_use else [],
            "expires_in": None if in_use else expires_in}


def info(*files):
    return {"changed": False, "cache_dir": "/var/lib/nova/instances/_base",
            "filesystem": {"total": 100 * 1024 ** 3, "free": 40 * 1024 ** 3}, "files": list(files)}


HOSTVARS = {
    "compute1": {"precache_cache_info": info(
        cached(IMG_A, in_use=True), cached(IMG_B), cached(IMG_C, expires_in=3600))},
    "compute2": {"precache_cache_info": info(
        cached(IMG_A, expires_in=-10.0), cached(IMG_B, kind="resized"))},
    "compute3": {"precache_cache_info": {"unreachable": True, "msg": "ssh: connection refused"}},
    "compute4": {},
}
HOSTS = ["compute1", "compute2", "compute3", "compute4"]


def states(report, host):
    return {key: cell["state"] for key, cell in report["matrix"][host].items()}


def test_plan_images_only():
    report = cache_report(HOSTS, HOSTVARS, images=PLAN, only_images=True, expiring_hours=2)
    assert [c["key"] for c in report["images"]] == [IMG_A, IMG_B]
    assert states(report, "compute1") == {IMG_A: "in_use", IMG_B: "cached"}
    # An expiry already past is expiring; a resized copy alone is not the image cached.
    assert states(report, "compute2") == {IMG_A: "expiring", IMG_B: "missing"}
    assert states(report, "compute3") == {IMG_A: "unknown", IMG_B: "unknown"}
    assert [(r["host"], r["status"]) for r in report["hosts"]] == [
        ("compute1", "ok"), ("compute2", "ok"), ("compute3", "unreachable"),
        ("compute4", "not run")]
    assert report["counts"][IMG_A] == {"in_use": 1, "expiring": 1, "cached": 0, "missing": 0,
                                       "unknown": 2}
    assert report["matrix"]["compute1"][IMG_A]["used_by"] == ["inst-1"]


def test_everything_cached_named_when_known():
    report = cache_report(HOSTS, HOSTVARS, images=PLAN[:1], expiring_hours=2)
    assert [c["key"] for c in report["images"]] == [IMG_A, sha1(IMG_B), sha1(IMG_C)]
    assert report["images"][0]["name"] == "cirros <test>" and report["images"][1]["id"] is None
    assert states(report, "compute1")[sha1(IMG_C)] == "expiring"
    assert states(report, "compute2")[sha1(IMG_C)] == "missing"


def test_renderings():
    report = cache_report(HOSTS, HOSTVARS, images=PLAN, only_images=True, expiring_hours=2)
    assert report["lines"][0].split() == ["image", "compute1", "compute2", "compute3", "compute4"]
    assert report["lines"][1].split() == ["cirros", "<test>", "(a26887c6)", "in", "use",
                                          "expiring", "?", "?"]
    assert report["lines"][-2:] == ["compute3: unreachable ssh: connection refused",
                                    "compute4: not run"]
    assert "| cirros &lt;test&gt; | %s | in use (1) | expiring, in 0.0 h | ? | ? |" % IMG_A \
        in report["markdown"]
    assert "<test>" not in report["html"] and "cirros &lt;test&gt;" in report["html"]
    parser = html.parser.HTMLParser()
    parser.feed(report["html"])
    assert report["html"].count('<td class="missing"') == 1
    assert "<script" not in report["html"] and "http" not in report["html"]


def test_no_images():
    report = cache_report(["compute4"], HOSTVARS)
    assert report["images"] == [] and report["lines"][0] == "no images cached on compute4"
    assert "No images cached" in report["markdown"] and "No images cached" in report["html"]


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match="must be a list of hosts"):
        cache_report("compute1", HOSTVARS)
    with pytest.raises(AnsibleFilterError, match="has no id"):
        cache_report(HOSTS, HOSTVARS, images=[{"name": "x"}])


FORGED = ("x {{ lookup('pipe','touch /tmp/pwned') }} <script>alert(1)</script>"
          "<img src=x onerror=alert(1)> `code` *b* | forged | row |\n| fake | row |\x1b]0;t\x07")


def test_a_forged_name_stays_one_row_of_text_in_every_rendering():
    plan = [dict(PLAN[0], name=FORGED)]
    report = cache_report(HOSTS, HOSTVARS, images=plan, only_images=True, expiring_hours=2)
    tables = report["markdown"].split("\n\n")
    images_table = [table.splitlines() for table in tables if table.startswith("| image")][0]
    assert len(images_table) == 3  # header, separator, one row for the one image
    row = images_table[2]
    assert len(re.split(r"(?<!\\)\|", row)) == 2 + 2 + len(HOSTS)  # image, id, the hosts
    for raw in ("<script", "<img", "*b*", "\n", "\x1b", "\x07"):
        assert raw not in row
    assert re.search(r"(?<!\\)[`*_\[\]]", row) is None
    assert "&lt;script&gt;" in row and "\\`code\\`" in row and "\\\\x0a" in row
    assert "\\x1b]0;t\\x07" in report["lines"][1] and "\x1b" not in "".join(report["lines"])
    assert "<script" not in report["html"] and "\x1b" not in report["html"]


def test_the_json_rendering_is_the_data():
    report = cache_report(HOSTS, HOSTVARS, images=[dict(PLAN[0], name=FORGED)], only_images=True)
    data = json.loads(report["json"])
    assert data == {key: value for key, value in report.items()
                    if key not in ("json", "lines", "markdown", "html")}
    assert data["images"][0]["name"] == FORGED and report["json"].endswith("}\n")
