"""What each scenario of runme.sh must have left: its exit code, its lines and events, the hosts'
caches, and nothing of ours running or left on the hosts.

    check.py SCENARIO WORK SHARED IMAGE_ID
"""
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import time

scenario, work, shared, image_id = sys.argv[1:]
HOSTS = ["compute1", "compute2"]
BASE_NAME = hashlib.sha1(image_id.encode()).hexdigest()
LIVE = "openstack_ops.precache.batch.progress"
# The role's heartbeat at precache_progress_interval=2: max(30, 4 intervals) seconds.
HEARTBEAT = 30


def read(name):
    with open(os.path.join(work, "%s.%s" % (scenario, name))) as handle:
        return handle.read()


def expect(condition, what):
    if not condition:
        sys.exit("%s: %s" % (scenario, what))


def events(path=None):
    with open(path or os.path.join(work, scenario + ".progress.jsonl")) as handle:
        return [json.loads(line) for line in handle]


def jobs_running():
    """The cache_image processes on this machine (the hosts share its process table)."""
    # pgrep exits 1 when nothing matches.
    out = subprocess.run(["pgrep", "-af", "AnsiballZ_cache_image"], capture_output=True,
                         text=True, check=False).stdout
    return [line for line in out.splitlines() if "pgrep" not in line]


def left_on(host):
    """What of ours is left in a host's instances dir: temporaries, status files."""
    instances = os.path.join(shared, host)
    base = os.path.join(instances, "_base")
    left = [name for name in (os.listdir(base) if os.path.isdir(base) else [])
            if name.startswith(".precache-")]
    progress = os.path.join(instances, ".precache-progress")
    if os.path.isdir(progress):
        left += [".precache-progress/" + name for name in os.listdir(progress)]
    return left


def cached(host):
    path = os.path.join(shared, host, "_base", BASE_NAME)
    return os.path.isfile(path) and not os.path.islink(path)


def check_clean():
    # A job's async_wrapper exits a moment after the job's result is written.
    for _attempt in range(50):
        if not jobs_running():
            break
        time.sleep(0.1)
    expect(jobs_running() == [], "cache_image still runs: %s" % jobs_running())
    for host in HOSTS:
        expect(left_on(host) == [], "%s has files of ours left: %s" % (host, left_on(host)))


def check_cached():
    expect(int(read("rc")) == 0, "exit %s" % read("rc").strip())
    for host in HOSTS:
        expect(cached(host), "%s did not cache the image" % host)
    check_clean()


def live_before_hosts(notes):
    """The batch events before the first host's notification."""
    first_host = next(i for i, note in enumerate(notes)
                      if note["event_type"] == "aggregate.cache_images.progress")
    return [note["payload"] for note in notes[:first_host] if note["event_type"] == LIVE]


def check_lines(log, notes):
    lines = re.findall(r"^batch 1/1: [12]/2 hosts working, .*$", log, re.M)
    first_host = re.search(r"^host 1/2 compute\d: 1 cached, 0 failed", log, re.M)
    expect(first_host, "no host line")
    before = [line for line in lines if log.index(line) < first_host.start()]
    expect(len(before) >= 2, "%d batch lines before the first host line: %s" % (len(before), lines))
    live = live_before_hosts(notes)
    done = [payload["bytes"] for payload in live]
    expect(len(live) >= 2 and done[-1] > done[0] and done == sorted(done),
           "the bytes did not grow: %s" % done)
    expect(all(payload["total"] >= payload["bytes"] for payload in live), live)
    return lines


def p1():
    check_cached()
    log, notes = read("log"), events()
    check_lines(log, notes)
    waiting = [note["payload"]["states"].get("compute2") for note in notes
               if note["event_type"] == LIVE]
    expect("waiting for Nova's lock" in waiting, "compute2 never waited: %s" % waiting)
    expect(re.search(r"^batch 1/1: .*; slowest compute2 \(waiting for Nova's lock\)$", log, re.M),
           "no line shows compute2 waiting for the lock")


def p2():
    check_cached()
    log, notes = read("log"), events()
    expect(not re.search(r"^batch ", log, re.M), "polling off printed batch lines")
    expect([note for note in notes if note["event_type"] == LIVE] == [], "batch events")
    expect(len(re.findall(r"^host [12]/2 compute\d: 1 cached, 0 failed \(", log, re.M)) == 2,
           "not today's host lines")

    def task(name):
        return log.split("TASK [openstack_ops.precache.image_precache : %s" % name)[1].split(
            "TASK [")[0]
    expect(re.search(r"^changed: \[compute1\]", task("Cache the images]"), re.M)
           and not re.search(r"^(ok|changed|failed|fatal)", task("Follow the downloads"), re.M),
           "cache_image did not run as a plain task")


def p3():
    check_cached()
    artifacts = os.path.join(work, "runner", "artifacts", "p3")
    with open(os.path.join(artifacts, "stdout")) as handle:
        stdout = handle.read()
    job_events = []
    for path in glob.glob(os.path.join(artifacts, "job_events", "*.json")):
        with open(path) as handle:
            job_events.append(json.load(handle))
    check_lines(stdout, events())
    shown = [event for event in job_events if "batch 1/1: " in event.get("stdout", "")]
    expect(shown, "no job event carries a batch line")
    retries = [event["event_data"]["res"] for event in job_events
               if event["event"] == "runner_retry"]
    expect(retries and all("progress" in res for res in retries),
           "no runner_retry event with the hosts' progress")


def p4():
    killed = float(read("killed"))
    deadline = killed + HEARTBEAT + 20
    while jobs_running() and time.time() < deadline:
        time.sleep(0.5)
    stopped = time.time() - killed
    expect(jobs_running() == [], "the jobs still run %.0f s after the controller died: %s"
           % (stopped, jobs_running()))
    print("p4: the hosts' jobs stopped %.1f s after the controller was killed" % stopped)
    expect(live_before_hosts(events() + [{"event_type": "aggregate.cache_images.progress"}]),
           "killed before the first line")
    for host in HOSTS:
        expect(not cached(host), "%s cached the image although its run was killed" % host)
    check_clean()


def p5():
    check_cached()


{"p1": p1, "p2": p2, "p3": p3, "p4": p4, "p5": p5}[scenario]()
