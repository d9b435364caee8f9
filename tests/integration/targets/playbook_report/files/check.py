"""Check the report files of playbooks/report.yml against the partial pre-cache of hosts.yml.

  check.py PLAN_JSON REPORT_DIR only    the report of -e images=[a by name, b by id, c by name]
  check.py PLAN_JSON REPORT_DIR all     the report of everything cached (other tests' images too)
  check.py PLAN_JSON REPORT_DIR ids     the report of -e images=[the ids of a, b, c], without Glance
"""
import hashlib
import html.parser
import json
import os
import sys

EXPECTED = {
    "compute1": {"a": "cached", "b": "expiring", "c": "missing"},
    "compute2": {"a": "in_use", "b": "missing", "c": "missing"},
    "compute3": {"a": "cached", "b": "missing", "c": "missing"},
}


def main(plan_path, report_dir, mode):
    with open(plan_path) as handle:
        plan = json.load(handle)["plan"]
    with open(os.path.join(report_dir, "cache-report.json")) as handle:
        report = json.load(handle)
    hosts = [row["host"] for row in report["hosts"]]
    assert hosts == ["compute1", "compute2", "compute3"], hosts
    assert all(row["status"] == "ok" for row in report["hosts"]), report["hosts"]
    keys = [column["key"] for column in report["images"]]
    if mode in ("only", "ids"):
        assert keys == [plan[k]["id"] for k in "abc"], keys
    else:
        # Everything cached, whatever other tests left: a and b, never c, which is nowhere.
        assert plan["a"]["id"] in keys and plan["b"]["id"] in keys, keys
        assert plan["c"]["id"] not in keys and hashlib.sha1(
            plan["c"]["id"].encode()).hexdigest() not in keys, keys
    names = {column["key"]: column["name"] for column in report["images"]}
    for key in "ab":
        expected = None if mode == "ids" else plan[key]["name"]
        assert names[plan[key]["id"]] == expected, names
    for host, cells in EXPECTED.items():
        for key, state in cells.items():
            if mode == "all" and key == "c":
                continue
            got = report["matrix"][host][plan[key]["id"]]["state"]
            assert got == state, "%s %s: %s, expected %s" % (host, key, got, state)
    used = report["matrix"]["compute2"][plan["a"]["id"]]["used_by"]
    assert used == ["precache-report-test-instance"], used
    with open(os.path.join(report_dir, "cache-report.md")) as handle:
        markdown = handle.read()
    with open(os.path.join(report_dir, "cache-report.html")) as handle:
        page = handle.read()
    for key in "ab":
        shown = plan[key]["id"] if mode == "ids" else plan[key]["name"]
        assert shown in markdown and shown in page
    assert "| compute1 | compute2 | compute3 |" in markdown
    html.parser.HTMLParser().feed(page)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "src=" not in page
    print("report %s: as expected" % mode)


if __name__ == "__main__":
    main(*sys.argv[1:])
