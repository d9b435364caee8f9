"""What each scenario of runme.sh must have done, from what it left in WORK.

    check.py WORK SCENARIO

A run NAME leaves NAME.log, NAME.rc, NAME.progress.jsonl (the progress callback's
notifications), NAME.callback.json (the callback's summary), NAME.summary.json (the role's),
NAME.state.json (the plan's files in each host's cache dir, from hosts.yml) and NAME.stores
(each image's Glance stores and its number of import tasks, from bed.py stores).
"""
import hashlib
import json
import os
import sys

PROGRESS = "aggregate.cache_images.progress"


def load(work, name):
    with open(os.path.join(work, name)) as handle:
        if name.endswith(".jsonl"):
            return [json.loads(line) for line in handle if line.strip()]
        if name.endswith(".json"):
            return json.load(handle)
        return handle.read()


def progress(work, run):
    """host -> the data of its one progress notification."""
    notes = [n["payload"]["nova_object.data"] for n in load(work, run + ".progress.jsonl")
             if n["event_type"] == PROGRESS]
    by_host = {}
    for data in notes:
        assert data["host"] not in by_host, "two progress notifications for %s" % data["host"]
        by_host[data["host"]] = data
    return by_host


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def check(work, run, images, ok_hosts, failed_hosts, rc, stores=None):
    """`images` are cached on the ok hosts and failed on the failed ones (host -> a text of the
    reason); `stores` the lines of NAME.stores (default: each image copied to site-b once)."""
    plan = load(work, "plan.json")["plan"]
    ids = sorted(plan[key]["id"] for key in images)
    expect(load(work, run + ".rc").strip() == str(rc), "%s exited with %s, not %s" % (
        run, load(work, run + ".rc").strip(), rc))
    notes = progress(work, run)
    expect(sorted(notes) == sorted(ok_hosts + list(failed_hosts)), "progress for %s" % sorted(notes))
    for host in ok_hosts:
        expect(sorted(notes[host]["images_cached"]) == ids and notes[host]["images_failed"] == [],
               "%s: %s" % (host, notes[host]))
    for host in failed_hosts:
        expect(notes[host]["images_cached"] == [] and sorted(notes[host]["images_failed"]) == ids,
               "%s: %s" % (host, notes[host]))
    for summary in (load(work, run + ".summary.json"), load(work, run + ".callback.json")):
        expect(summary["hosts_completed"] == 3, summary)
        expect(sorted(summary["failing_hosts"]) == sorted(failed_hosts), summary)
        for host, why in failed_hosts.items():
            reasons = summary["failing_hosts"][host]["reasons"]
            expect(all(why in reason and "not in Glance store" in reason
                       for reason in reasons.values()), reasons)
    # Only compute2 caches locally: the rbd hosts boot from Ceph.
    state = load(work, run + ".state.json")
    expect([os.path.basename(p) for p in state["compute1"] + state["compute3"]] == [], state)
    cached = set(os.path.basename(p) for p in state["compute2"])
    expect(set(hashlib.sha1(i.encode()).hexdigest() for i in ids) <= cached, state)
    # One copy task per image, whatever the number of rbd hosts and batches.
    lines = load(work, run + ".stores").splitlines()
    expected = stores or ["site-a,site-b 1"] * len(lines)
    expect(lines == expected, "stores and import tasks: %s, not %s" % (lines, expected))


def main(work, scenario):
    if scenario == "s1":
        check(work, "s1", ["a", "b"], ["compute1", "compute2", "compute3"], {}, 0)
    elif scenario == "s2":
        check(work, "s2", ["c"], ["compute1", "compute2"],
              {"compute3": "Glance has no store 'site-x'"}, 2)
    elif scenario == "s3":
        # Keep-warm: a (in site-b since s1) counts as cached, d (in site-a only) is skipped and
        # not copied; nothing failed.
        check(work, "s3", ["a"], ["compute1", "compute2", "compute3"], {}, 0,
              stores=["site-a,site-b 1", "site-a 0"])
        for host, data in progress(work, "s3").items():
            expect(load(work, "plan.json")["plan"]["d"]["id"] not in data["images_cached"],
                   "s3: d counted as cached on %s" % host)
    else:
        sys.exit("unknown scenario %s" % scenario)
    print("%s: ok" % scenario)


if __name__ == "__main__":
    main(*sys.argv[1:])
