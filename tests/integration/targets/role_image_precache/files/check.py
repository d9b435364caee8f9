"""What each scenario of runme.sh must have done, from what it left in WORK.

    check.py CONFIG WORK SCENARIO    check one scenario (see SCENARIOS)
    check.py CONFIG WORK images KEY[:name]|=REFERENCE ...
                                     print extra vars {"images": [...]}: each image of the plan
                                     by id, or by name with :name; =REFERENCE as it is

What a run NAME leaves in WORK (runme.sh's play): NAME.log (its output), NAME.rc (exit code),
NAME.start (when it started), NAME.progress.jsonl (the progress callback's notifications),
NAME.callback.json (the callback's summary), NAME.summary.json (the role's summary, when the
run asked for one with precache_summary_file) and NAME.keystone.jsonl (every request Keystone
got during the run, through keystone_proxy.py). STATE.state.json is what hosts.yml found in
the hosts' cache dirs after a scenario. plan.json is testbed_images.py's output.
"""
import datetime
import glob
import hashlib
import json
import os
import re
import stat
import sys

HOSTS = ["compute1", "compute2", "compute3"]
AGGREGATE = "precache-role-test"
PROGRESS = "aggregate.cache_images.progress"
TWO_DAYS = 2 * 86400
# Slack between the clocks of the controller and of the hosts' files (one machine) and
# between `date` and the run's first step.
SLACK = 2.0


class Work:
    """The files of WORK, and the test bed's facts."""

    def __init__(self, config_path, work):
        self.work = work
        with open(config_path) as handle:
            testbed = json.load(handle)["testbed"]
        self.hosts = {host["name"]: host for host in testbed["ssh_hosts"]}
        data = self.json("plan.json")
        self.plan = data["plan"]
        self.raw_sha512 = data["expected_raw_sha512"]

    def path(self, name):
        return os.path.join(self.work, name)

    def text(self, name):
        with open(self.path(name)) as handle:
            return handle.read()

    def json(self, name):
        with open(self.path(name)) as handle:
            return json.load(handle)

    def jsonl(self, name):
        with open(self.path(name)) as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def id(self, key):
        return self.plan[key]["id"]

    def ids(self, *keys):
        return sorted(self.id(key) for key in keys)

    # One run.
    def rc(self, run):
        return int(self.text(run + ".rc"))

    def started(self, run):
        return float(self.text(run + ".start"))

    def log(self, run):
        # ansible-core wraps nothing in a file, but may colour it.
        return re.sub(r"\x1b\[[0-9;]*m", "", self.text(run + ".log"))

    def recap(self, run):
        """PLAY RECAP: host -> {ok, changed, unreachable, failed, ...}."""
        counts = {}
        for host, fields in re.findall(r"^(\S+)\s+: (ok=.*)$", self.log(run), re.M):
            counts[host] = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", fields)}
        assert counts, "no PLAY RECAP in %s.log" % run
        return counts

    def notes(self, run):
        return self.jsonl(run + ".progress.jsonl")

    def progress(self, run):
        """The progress notifications' data, with their `time`, in the order they were written."""
        return [dict(note["payload"]["nova_object.data"], time=note_time(note))
                for note in self.notes(run) if note["event_type"] == PROGRESS]

    def posts(self, run):
        """The tokens Keystone issued during the run ({time, token, ...}), in order."""
        return [request for request in self.jsonl(run + ".keystone.jsonl")
                if request["method"] == "POST" and request["path"].rstrip("/").endswith("/auth/tokens")
                and request["status"] == 201]

    def cached(self, state):
        """host -> {file name -> find's record} from hosts.yml's state file."""
        found = self.json(state + ".state.json")
        assert sorted(found) == HOSTS, found
        return {host: {os.path.basename(f["path"]): f for f in files} for host, files in found.items()}

    def cache_file(self, host, key):
        """The path Nova gives the image's base file on this host: <cache dir>/<sha1(image id)>."""
        name = hashlib.sha1(self.id(key).encode()).hexdigest()
        return name, "%s/%s" % (self.hosts[host]["cache_dir"], name)


def note_time(note):
    stamp = datetime.datetime.strptime(note["timestamp"], "%Y-%m-%d %H:%M:%S.%f")
    return stamp.replace(tzinfo=datetime.timezone.utc).timestamp()


def module_results(log, host_pattern=r"compute\d"):
    """cache_image's results as a -v run prints them: host -> result."""
    results = {}
    for host, text in re.findall(r"^(?:ok|changed|failed): \[(%s)\] => (\{.*\})$" % host_pattern,
                                 log, re.M):
        result = json.loads(text)
        if "cache_dir" in result and "ansible_facts" not in result:
            results[host] = result
    return results


# Checks shared by the scenarios.
def expect_files(work, state, present, absent=None, fresh_since=None, old_before=None):
    """`present`: host -> image keys whose base file must be there, whole, named as Nova names
    it, owned as Nova's own; `absent`: host -> keys that must not be cached; mtimes fresh (since
    a time) or old (before one), when asked; and no download temporaries anywhere."""
    cached = work.cached(state)
    for host in HOSTS:
        files = cached[host]
        temporaries = [name for name in files if name.startswith(".precache-")]
        assert temporaries == [], (host, temporaries)
        for key in present.get(host, ()):
            name, path = work.cache_file(host, key)
            assert name in files, "%s: %s (%s) not cached at %s" % (host, key, work.id(key), path)
            record = files[name]
            assert record["path"] == path, (record["path"], path)
            assert record["checksum"] == work.raw_sha512[work.id(key)], (host, key, "content")
            assert record["uid"] == work.hosts[host]["owner_uid"], (host, key, record["uid"])
            assert record["mode"] == "0644", (host, key, record["mode"])
            if fresh_since is not None:
                assert record["mtime"] >= fresh_since - SLACK, (host, key, record["mtime"], fresh_since)
            if old_before is not None:
                assert record["mtime"] < old_before - TWO_DAYS + 3600, (host, key, record["mtime"])
        for key in (absent or {}).get(host, ()):
            name, path = work.cache_file(host, key)
            assert name not in files, "%s: %s (%s) is cached at %s" % (host, key, work.id(key), path)


def no_connection(work, control_dir):
    """No SSH connection was made with this ansible control path dir."""
    control = work.path(control_dir)
    assert not os.path.isdir(control) or os.listdir(control) == [], \
        "ssh connected: %s" % os.listdir(control)


def everywhere(*keys):
    return dict.fromkeys(HOSTS, keys)


def expect_batches(work, run, batches, before=1):
    """Each batch of hosts reported in order, and each took a token of its own: Keystone issued
    exactly one token between the last report of the batch before and the first report of the
    batch (for the first batch, the validation's); `before` tokens came first (the inventory's)."""
    progress = work.progress(run)
    hosts = [data["host"] for data in progress]
    assert len(hosts) == sum(len(batch) for batch in batches), hosts
    offset = 0
    for batch in batches:
        assert sorted(hosts[offset:offset + len(batch)]) == sorted(batch), (hosts, batches)
        offset += len(batch)
    posts = work.posts(run)
    assert len(posts) == before + len(batches), "%d tokens for %d batches: %s" % (
        len(posts), len(batches), [post["time"] for post in posts])
    assert len({post["token"] for post in posts}) == len(posts), "a token was issued twice"
    times = [data["time"] for data in progress]
    offset, previous = 0, posts[before - 1]["time"]
    for batch, post in zip(batches, posts[before:]):
        issued = post["time"]
        first, last = times[offset], times[offset + len(batch) - 1]
        assert previous < issued < first, (
            "the token of batch %s was not issued between the batch before and this one "
            "(%.3f < %.3f < %.3f)" % (batch, previous, issued, first))
        previous, offset = last, offset + len(batch)


def expect_reports(work, run, expected, aggregate=AGGREGATE):
    """The progress notifications: host -> (cached keys, failed keys), each under the aggregate
    the run was for (a name, or host -> name)."""
    progress = work.progress(run)
    assert sorted(data["host"] for data in progress) == sorted(expected), progress
    for data in progress:
        host = data["host"]
        cached, failed = expected[host]
        assert sorted(data["images_cached"]) == work.ids(*cached), (host, data)
        assert sorted(data["images_failed"]) == work.ids(*failed), (host, data)
        name = aggregate if isinstance(aggregate, str) else aggregate[host]
        assert data["name"] == name, (host, data["name"], name)


# The scenarios.
def s1_full_run(work):
    run = "s1"
    assert work.rc(run) == 0, work.rc(run)
    expect_files(work, run, everywhere("qcow2", "raw"), fresh_since=work.started(run))
    summary = work.json(run + ".summary.json")
    assert summary["hosts_completed"] == 3 and summary["errors"] == 0, summary
    assert summary["failing_hosts"] == {} and summary["image_failures"] == {}, summary
    assert summary["hosts_not_attempted"] == [], summary
    sizes = work.plan["qcow2"]["size"] + work.plan["raw"]["size"]
    assert summary["bytes_downloaded"] == 3 * sizes, (summary["bytes_downloaded"], sizes)
    # Why each image is in the plan: qcow2 was named by its name, raw by its id.
    qcow2, raw = work.plan["qcow2"], work.plan["raw"]
    # The admin's public images, as the test bed publishes them.
    assert [{key: entry[key] for key in ("id", "name", "selected_by", "visibility")}
            for entry in summary["selection"]] == [
        {"id": qcow2["id"], "name": qcow2["name"], "visibility": "public",
         "selected_by": [{"selector": "explicit", "reference": qcow2["name"]}]},
        {"id": raw["id"], "name": raw["name"], "visibility": "public",
         "selected_by": [{"selector": "explicit", "reference": raw["id"]}]},
    ], summary["selection"]
    # Every file the run wrote that names images keeps them to its owner.
    for path in (run + ".summary.json", run + ".callback.json"):
        assert stat.S_IMODE(os.stat(work.path(path)).st_mode) == 0o600, path
    log = work.log(run)
    for line in summary["selection_lines"]:
        assert line in log, (line, log[-3000:])
    notes = work.notes(run)
    events = [note["event_type"].rsplit(".", 1)[1] for note in notes]
    assert events == ["start", "progress", "progress", "progress", "end"], events
    for note in (notes[0], notes[-1]):
        data = note["payload"]["nova_object.data"]
        assert data["name"] == AGGREGATE and data["hosts"] == HOSTS, data
    expect_reports(work, run, everywhere(("qcow2", "raw"), ()))
    # precache_serial=2: compute1 and compute2, then compute3.
    expect_batches(work, run, [HOSTS[:2], HOSTS[2:]])
    # At -vvvv for real (no_token_shown looks for the tokens in its output).
    assert "ESTABLISH SSH CONNECTION" in work.log(run), "s1 did not run at -vvvv"


def s2_rerun(work):
    run = "s2"
    assert work.rc(run) == 0, work.rc(run)
    recap = work.recap(run)
    assert sorted(recap) == HOSTS, recap
    assert all(counts["changed"] == 0 for counts in recap.values()), recap
    expect_files(work, run, everywhere("qcow2", "raw"), fresh_since=work.started(run))
    summary = work.json(run + ".callback.json")
    assert summary["bytes_downloaded"] == 0 and summary["errors"] == 0, summary
    expect_reports(work, run, everywhere(("qcow2", "raw"), ()))
    # precache_serial=1: one host after the other, a token each.
    expect_batches(work, run, [[host] for host in HOSTS])
    progress = work.progress(run)
    assert [(d["index"], d["total"]) for d in progress] == [(1, 3), (2, 3), (3, 3)], progress


def s3_failing_host(work):
    run = "s3"
    assert work.rc(run) == 2, work.rc(run)
    summary = work.json(run + ".summary.json")
    assert sorted(summary["failing_hosts"]) == ["compute2"], summary["failing_hosts"]
    failing = summary["failing_hosts"]["compute2"]
    assert failing["status"] == "failed", failing
    assert sorted(failing["reasons"]) == work.ids("qcow2", "raw"), failing
    assert all("not enough space" in reason for reason in failing["reasons"].values()), failing
    assert summary["image_failures"] == dict.fromkeys(work.ids("qcow2", "raw"), 1), summary
    assert summary["hosts_completed"] == 3 and summary["hosts_not_attempted"] == [], summary
    assert summary["errors"] == 2, summary
    # Named images failed there, so the host counts as failed.
    assert summary["hosts_failed"] == ["compute2"], summary
    # compute2 alone in its batch failed, 1 of 2 hosts is not more than 50%: compute3 ran.
    expect_reports(work, run, {"compute1": (("qcow2", "raw"), ()),
                               "compute2": ((), ("qcow2", "raw")),
                               "compute3": (("qcow2", "raw"), ())})
    expect_batches(work, run, [[host] for host in HOSTS])
    recap = work.recap(run)
    assert recap["compute2"]["failed"] == 1, recap
    assert recap["compute1"]["failed"] == recap["compute3"]["failed"] == 0, recap
    assert "the hosts of later batches are left untouched" not in work.log(run)


def s3_threshold(work):
    run = "s3b"
    assert work.rc(run) == 2, work.rc(run)
    summary = work.json(run + ".summary.json")
    assert sorted(summary["failing_hosts"]) == ["compute1"], summary["failing_hosts"]
    failing = summary["failing_hosts"]["compute1"]
    assert failing["status"] == "unreachable", failing
    assert sorted(failing["reasons"]) == work.ids("qcow2", "c"), failing
    assert summary["hosts_not_attempted"] == ["compute2", "compute3"], summary
    assert summary["hosts_completed"] == 1, summary
    log = work.log(run)
    assert "more than precache_max_fail_percentage (50%)" in " ".join(log.split()), "no reason given"
    for host in ("compute2", "compute3"):
        assert re.search(r"fatal: \[%s\]: FAILED! => .*not attempted: the rollout stopped" % host,
                         log), "%s not reported as not attempted" % host
    expect_reports(work, run, {"compute1": ((), ("qcow2", "c"))})
    # The later batches took no token (the first used the validation's).
    expect_batches(work, run, [["compute1"]])
    # Untouched: nothing downloaded, and the cached image's expiry clock not restarted.
    expect_files(work, run, everywhere("qcow2"), everywhere("c"), old_before=work.started(run))


def s4_bad_image(work):
    run = "s4"
    assert work.rc(run) != 0, work.rc(run)
    log = " ".join(work.log(run).split())
    assert "'precache-role-no-such-image' (images): not found" in log, "no clear message"
    assert "PLAY [Cache the images" not in log and "Cache the images]" not in log, \
        "the play that caches ran"
    assert work.notes(run) == [], work.notes(run)
    # The inventory's token and the validation's, none for a batch.
    assert len(work.posts(run)) == 2, work.posts(run)
    # ansible's ssh connection makes its control path dir on its first connection and leaves
    # its master's socket there for a minute (ControlPersist), as the runs before did in theirs.
    assert os.listdir(work.path("cp")), "the runs that connect left no control socket"
    no_connection(work, "cp-s4")


def s7_keep_warm(work):
    run = "s7"
    assert work.rc(run) == 0, work.rc(run)
    expect_files(work, run, everywhere("qcow2"), everywhere("c"), fresh_since=work.started(run))
    results = module_results(work.log(run))
    assert sorted(results) == HOSTS, results
    for host, result in results.items():
        assert result["images_cached"] == [work.id("qcow2")], (host, result)
        assert result["images_skipped"] == [work.id("c")], (host, result)
        actions = {image["id"]: image["action"] for image in result["images"]}
        assert actions == {work.id("qcow2"): "refreshed", work.id("c"): "skipped"}, actions
        assert sum(image["bytes_transferred"] for image in result["images"]) == 0, result
    expect_reports(work, run, everywhere(("qcow2",), ()))
    # Three batches (precache_serial=1) and no token for any: the inventory's and the validation's.
    assert [data["host"] for data in work.progress(run)] == HOSTS
    assert len(work.posts(run)) == 2, work.posts(run)


def s8_limit_and_lists(work):
    assert work.rc("s8") == 0, work.rc("s8")
    assert sorted(work.recap("s8")) == ["compute3"], work.recap("s8")
    expect_reports(work, "s8", {"compute3": (("c",), ())})
    assert work.rc("s8b") == 0, work.rc("s8b")
    expect_reports(work, "s8b", {"compute1": (("d",), ()), "compute2": (("d",), ())},
                   {"compute1": "precache-role-x1", "compute2": "precache-role-x2"})
    expect_files(work, "s8", {"compute1": ["d"], "compute2": ["d"], "compute3": ["c"]},
                 {"compute1": ["c"], "compute2": ["c"], "compute3": ["d"]})
    run = "s8c"
    assert work.rc(run) != 0, work.rc(run)
    log = " ".join(work.log(run).split())
    found = re.search(r"The inventory knows no aggregate named precache-role-tset \(it knows ([^)]*)\)",
                      log)
    assert found, "no clear message"
    known = found.group(1).split(", ")
    assert {AGGREGATE, "precache-role-x1", "precache-role-x2"} <= set(known), known
    assert work.notes(run) == [] and "Cache the images]" not in log
    no_connection(work, "cp-s8c")


def s9_check_mode(work):
    run = "s9"
    assert work.rc(run) == 0, work.rc(run)
    # Nothing downloaded, and the cached image's mtime left as it was (aged two days), as the
    # hosts were after s10 (which caches f only). e was in s4's images too.
    expect_files(work, "s10", everywhere("qcow2"), everywhere("e"), old_before=work.started(run))


def s10_runner(work):
    artifacts = work.path("runner/artifacts/s10")
    with open(os.path.join(artifacts, "rc")) as handle:
        assert handle.read().strip() == "0"
    with open(os.path.join(artifacts, "status")) as handle:
        assert handle.read().strip() == "successful"
    events = []
    for path in glob.glob(os.path.join(artifacts, "job_events", "*.json")):
        with open(path) as handle:
            events.append(json.load(handle))
    events.sort(key=lambda event: event["counter"])
    # cache_image's own results: those of the poll that found its job done (the job's start is
    # cache_image's task, and returns no images).
    cached = [event for event in events if event["event"] == "runner_on_ok"
              and event["event_data"].get("resolved_action") == "openstack_ops.precache.cache_progress"
              and "images_cached" in event["event_data"]["res"]]
    assert sorted(e["event_data"]["host"] for e in cached) == HOSTS, cached
    for event in cached:
        result = event["event_data"]["res"]
        assert result["changed"] and result["images_cached"] == [work.id("f")], result
    # precache_serial=2: compute1 and compute2 before compute3.
    assert cached[-1]["event_data"]["host"] == "compute3", [e["event_data"]["host"] for e in cached]
    failures = [event["event"] for event in events
                if event["event"] in ("runner_on_failed", "runner_on_unreachable")]
    assert failures == [], failures
    stats = [event for event in events if event["event"] == "playbook_on_stats"]
    assert len(stats) == 1 and not stats[0]["event_data"]["failures"], stats
    expect_files(work, "s10", everywhere("f"))
    # The progress callback under ansible-runner: its notifications and its terminal lines.
    expect_reports(work, "s10", everywhere(("f",), ()))
    with open(os.path.join(artifacts, "stdout")) as handle:
        stdout = handle.read()
    assert re.search(r"^host 3/3 compute3: 1 cached, 0 failed \(100%", stdout, re.M), stdout
    assert re.search(r"^Completed 3 hosts, 0 errors in ", stdout, re.M), stdout


def no_token_shown(work):
    """No token Keystone issued during the runs appears in anything they wrote (the -vvvv output
    of s1 included), nor in ansible-runner's artifacts (events, stdout)."""
    tokens = set()
    for path in glob.glob(work.path("*.keystone.jsonl")):
        tokens.update(request["token"] for request in work.jsonl(os.path.basename(path))
                      if request.get("token"))
    assert len(tokens) > 10, tokens
    checked = 0
    for root, _dirs, names in os.walk(work.work):
        for name in names:
            path = os.path.join(root, name)
            if name.endswith("keystone.jsonl") or not os.path.isfile(path) or os.path.islink(path):
                continue
            with open(path, "rb") as handle:
                data = handle.read()
            checked += 1
            for token in tokens:
                assert token.encode() not in data, "a token appears in %s" % path
    print("%d tokens in none of %d files" % (len(tokens), checked))


def s11_eviction(work):
    """precache_cache_max_count 2 with e planned and qcow2 pinned: on every host e is cached,
    qcow2 kept, and the test's other images evicted (reported by cache_image, gone from disk)."""
    run = "s11"
    assert work.rc(run) == 0, work.rc(run)
    expect_files(work, run, everywhere("e"), fresh_since=work.started(run))
    # qcow2's file is the oldest (aged by s8), so the first to go were it not pinned.
    expect_files(work, run, everywhere("qcow2"), absent=everywhere("raw", "c", "d", "f"),
                 old_before=work.started(run))
    before = work.cached("s10")
    results = module_results(work.log(run))
    assert sorted(results) == HOSTS, sorted(results)
    for host in HOSTS:
        evicted = {record["name"] for record in results[host]["evicted"]}
        expected = {work.cache_file(host, key)[0] for key in ("raw", "c", "d", "f")
                    if work.cache_file(host, key)[0] in before[host]}
        assert expected and expected <= evicted, (host, sorted(expected), sorted(evicted))
        assert work.cache_file(host, "qcow2")[0] not in evicted, (host, sorted(evicted))


SCENARIOS = {"s1": s1_full_run, "s2": s2_rerun, "s3": s3_failing_host, "s3b": s3_threshold,
             "s4": s4_bad_image, "s7": s7_keep_warm, "s8": s8_limit_and_lists,
             "s9": s9_check_mode, "s10": s10_runner, "s11": s11_eviction,
             "tokens": no_token_shown}


def main(config_path, work_dir, scenario, *args):
    work = Work(config_path, work_dir)
    if scenario == "images":
        images = [key[1:] if key.startswith("=") else
                  work.plan[key.split(":")[0]]["name" if key.endswith(":name") else "id"]
                  for key in args]
        print(json.dumps({"images": images}))
        return
    SCENARIOS[scenario](work)
    print("%s: OK" % SCENARIOS[scenario].__name__)


if __name__ == "__main__":
    main(*sys.argv[1:])
