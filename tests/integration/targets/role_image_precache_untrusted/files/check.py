"""The checks of the role_image_precache_untrusted target, on what its runs left in WORK.

  inventory WORK LIST STDERR           ansible-inventory --list with host_address host_ip
  inventory-hostname WORK LIST STDERR  the same with host_address hypervisor_hostname
  output WORK LOG                      no control character and at most one summary line
  run-default WORK NAME                the role with the default trust (named + tag + popular)
  run-trusted WORK NAME                the same with the demo project trusted
  strict WORK NAME                     the trusted run failing hosts on a selected image
  report WORK DIR MODE                 report.yml's files, written with precache_report_mode MODE
  watch WORK NAME                      watch.yml's summary of Nova's run on the forged aggregate

WORK holds bed.json (files/bed.py). Exits non-zero with the reason on the first failed check.
"""
import json
import os
import re
import stat
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from bed import FORGED_LINES, HOSTS, template  # noqa: E402 (after the path to it)
from inventory_json import plain  # noqa: E402

FORGED_HOST = "evil" + FORGED_LINES


def load(path):
    with open(path) as handle:
        return json.load(handle)


def expect(condition, message):
    if not condition:
        sys.exit("check failed: %s" % message)


def no_controls(text, where):
    bad = sorted({"%r" % c for c in text if ord(c) < 0x20 and c not in "\n\t"
                  or 0x7f <= ord(c) < 0xa0})
    expect(not bad, "%s holds raw control characters %s" % (where, ", ".join(bad)))


def read_stderr(path):
    """ansible-inventory's stderr, checked for control characters, its warnings unwrapped
    (ansible-core 2.16 wraps them at the terminal's width)."""
    with open(path) as handle:
        text = handle.read()
    no_controls(text, "ansible-inventory's stderr")
    return " ".join(text.split())


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def inventory(work, list_path, stderr_path):
    listing = plain(load(list_path))
    hostvars = listing["_meta"]["hostvars"]
    expect(sorted(hostvars) == HOSTS, "hosts %s, not %s" % (sorted(hostvars), HOSTS))
    compute1, compute3 = hostvars["compute1"], hostvars["compute3"]
    expect(compute1["nova_hypervisor_hostname"] == template(work, "hypervisor-hostname"),
           "hypervisor_hostname %r" % compute1["nova_hypervisor_hostname"])
    expect(template(work, "aggregate-name") in compute1["nova_aggregates"],
           "aggregates %r" % compute1["nova_aggregates"])
    expect(compute1["nova_availability_zone"] == template(work, "availability-zone"),
           "zone %r" % compute1["nova_availability_zone"])
    expect(compute1["zone"] == compute1["nova_availability_zone"], "composed zone %r"
           % compute1["zone"])
    expect(compute3["nova_service_disabled_reason"] == template(work, "disabled-reason"),
           "disabled reason %r" % compute3["nova_service_disabled_reason"])
    expect(all(re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", group) for group in listing),
           "group names %s" % sorted(listing))
    stderr = read_stderr(stderr_path)
    expect("evil\\x1b]0;owned\\x07\\x0aCompleted 3 hosts, 0 errors\\x0d\\x0aCompleted" in stderr,
           "the forged host is not named escaped in the warning: %s" % stderr)


def inventory_hostname(work, list_path, stderr_path):
    hostvars = plain(load(list_path))["_meta"]["hostvars"]
    expect(sorted(hostvars) == HOSTS[1:], "hosts %s" % sorted(hostvars))
    stderr = read_stderr(stderr_path)
    expect("compute1 (its hypervisor_hostname" in stderr, "no warning about compute1: %s" % stderr)


def output(work, log_path):
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    no_controls(text, log_path)
    summaries = [line for line in text.splitlines() if re.match(r"^Completed \d+ hosts", line)]
    expect(len(summaries) <= 1, "forged summary lines: %s" % summaries)


def _run(work, name):
    bed = load(os.path.join(work, "bed.json"))
    ids = {key: image["id"] for key, image in bed["images"].items()}
    summary = load(os.path.join(work, name + ".summary.json"))
    callback = os.path.join(work, name + ".callback.json")
    expect(mode(callback) == 0o600, "callback summary mode %o" % mode(callback))
    expect(summary["hosts_completed"] == 3 and summary["hosts_not_attempted"] == [],
           "hosts completed %s, not attempted %s" % (summary["hosts_completed"],
                                                     summary["hosts_not_attempted"]))
    selected = [entry["id"] for entry in summary["selection"]]
    ignored = {(entry["id"], entry["source"].split(" ")[0]) for entry in summary["ignored"]}
    return ids, summary, selected, ignored


def run_default(work, name):
    ids, summary, selected, ignored = _run(work, name)
    expect(selected == [ids["good"]], "selected %s" % selected)
    for key in ("forged", "syntax", "broken"):
        expect((ids[key], "tags") in ignored, "%s not ignored by the tag: %s" % (key, ignored))
    expect((ids["forged"], "popular") in ignored, "forged not ignored by popularity: %s" % ignored)
    expect((ids["decoy"], "images") in ignored, "decoy not ignored by name: %s" % ignored)
    expect(summary["errors"] == 0 and summary["hosts_failed"] == [], "errors: %s" % summary)
    path = os.path.join(work, name + ".summary.json")
    # precache_summary_file_mode 0644, less the others' read: it names the tenant's images.
    expect(mode(path) == 0o640, "summary mode %o" % mode(path))


def run_trusted(work, name):
    ids, summary, selected, ignored = _run(work, name)
    expect(selected[0] == ids["good"] and sorted(selected[1:]) == sorted(
        ids[key] for key in ("forged", "syntax", "broken")), "selected %s" % selected)
    expect(summary["image_failures"] == {ids["broken"]: 3}, "failures %s"
           % summary["image_failures"])
    expect(summary["hosts_failed"] == [] and
           summary["hosts_failed_by_selected_images"] == HOSTS, "hosts failed %s / %s" % (
               summary["hosts_failed"], summary["hosts_failed_by_selected_images"]))
    path = os.path.join(work, name + ".summary.json")
    expect(mode(path) == 0o600, "summary mode %o" % mode(path))


def strict(work, name):
    bed = load(os.path.join(work, "bed.json"))
    summary = load(os.path.join(work, name + ".summary.json"))
    broken = bed["images"]["broken"]["id"]
    expect(summary["hosts_failed"] == HOSTS and summary["hosts_failed_by_selected_images"] == [],
           "strict hosts failed %s / %s"
           % (summary["hosts_failed"], summary["hosts_failed_by_selected_images"]))
    expect(summary["image_failures"].get(broken) >= 1, "strict failures %s"
           % summary["image_failures"])


def report(work, directory, asked):
    bed = load(os.path.join(work, "bed.json"))
    data = load(os.path.join(directory, "cache-report.json"))
    columns = {column["id"]: column for column in data["images"] if column["id"]}
    for key in ("good", "forged", "syntax"):
        image = bed["images"][key]
        expect(image["id"] in columns and columns[image["id"]]["name"] == image["name"],
               "%s not named in the report: %s" % (key, sorted(columns)))
    # It names the tenant's private images: never readable by others, whatever was asked.
    expected = int(asked, 8) & ~0o007
    for suffix in ("json", "md", "html"):
        path = os.path.join(directory, "cache-report." + suffix)
        expect(mode(path) == expected, "%s mode %o, not %o" % (path, mode(path), expected))
    with open(os.path.join(directory, "cache-report.md")) as handle:
        markdown = handle.read()
    table = [block for block in markdown.split("\n\n") if block.startswith("| image")][0]
    expect(len(table.splitlines()) == 2 + len(data["images"]),
           "the Markdown has %d rows for %d images" % (len(table.splitlines()) - 2,
                                                       len(data["images"])))
    no_controls(markdown, "the Markdown report")


def watch(work, name):
    path = os.path.join(work, name + ".summary.json")
    summary = load(path)
    expect(mode(path) == 0o600, "watch summary mode %o" % mode(path))
    expect(summary["hosts_completed"] == 3 and summary["errors"] == 0, "watch summary %s" % summary)
    callback = load(os.path.join(work, name + ".callback.json"))
    expect(sorted(callback["failing_hosts"]) == [] and callback["hosts_completed"] == 3,
           "the callback's summary %s" % callback)
    expect(mode(os.path.join(work, name + ".callback.json")) == 0o600, "callback summary mode")


if __name__ == "__main__":
    checks = {"inventory": inventory, "inventory-hostname": inventory_hostname,
              "output": output, "run-default": run_default, "run-trusted": run_trusted,
              "strict": strict, "report": report, "watch": watch}
    checks[sys.argv[1]](*sys.argv[2:])
