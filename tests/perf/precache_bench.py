#!/usr/bin/env python
# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Benchmark of playbooks/precache.yml on the test bed, end to end, wall time of real runs.

Three cases, over every compute host of the test bed, in an aggregate made for the purpose:
  warm   a re-run where every image is cached already, against `ansible -m ping` over the same
         hosts and inventories (both with pipelining on; runs interleaved)
  cold   a first run of a 1 GiB image at the default batch settings, against the bound
         N x size / curl's throughput from the same Glance (curl timed as download_bench.py
         does it, interleaved with the runs)
  grid   the first run again for precache_serial 1, 2, 3 x precache_throttle 0, 1
Between first runs the cached files are removed from the hosts and `sync` flushes the disk.
At the end the images, the aggregate and the cached files are removed.

Run it with the tools venv's interpreter (ansible-core, openstacksdk) while the test bed is up;
hold the checks' lock so that no integration test runs at the same time:
  mkdir -p .ansible/work && flock .ansible/work/.lock \\
      ~/.cache/openstack_ops.precache/venvs/tools/bin/python tests/perf/precache_bench.py
See tests/perf/README.md for the results.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "testbed"))

from bed import images as bed_images  # noqa: E402 (the test bed's image tool)
from bed import layout  # noqa: E402

AGGREGATE = "precache-bench"
GROUP = "precache_bench"
PREFIX = "precache-bench-"
CACHE_TASK = "Cache the images"

# A callback that records when each play and task starts, for the phases of a run.
TIMER_CALLBACK = '''
import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.events = []

    def v2_playbook_on_play_start(self, play):
        self.events.append(["play", play.get_name(), time.time()])

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.events.append(["task", task.get_name(), time.time()])

    def v2_playbook_on_stats(self, stats):
        self.events.append(["end", "", time.time()])
        with open(os.environ["BENCH_TIMER_FILE"], "w") as handle:
            json.dump(self.events, handle)
'''


def _loadavg():
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def _median(values):
    return statistics.median(values) if values else float("nan")


def _short(task):
    """A task's name without the role's prefix, and an argument check's without its text."""
    task = task.split(" : ", 1)[-1]
    return re.sub(r"^(Validating arguments against arg spec '\w+').*", r"\1", task)


def _machine():
    with open("/proc/cpuinfo") as handle:
        cpu = next((line.split(":", 1)[1].strip() for line in handle
                    if line.startswith("model name")), "?")
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    versions = subprocess.run([ansible, "--version"], stdout=subprocess.PIPE,
                              universal_newlines=True, check=False).stdout.splitlines()
    curl = subprocess.run(["curl", "--version"], stdout=subprocess.PIPE,
                          universal_newlines=True, check=False).stdout.split()[:2]
    return "%d CPUs (%s), %s, Python %s, %s, %s" % (
        os.cpu_count(), cpu, " ".join(os.uname()[2:3]), sys.version.split()[0],
        versions[0] if versions else "ansible ?", " ".join(curl))


def _spread(values):
    return "%.2f (%.2f-%.2f)" % (_median(values), min(values), max(values))


class Bench:
    def __init__(self, args):
        self.args = args
        self.state = json.loads((layout.WORK / "testbed.json").read_text())
        self.work = tempfile.mkdtemp(prefix="precache-bench-")
        self.hosts = [h["name"] for h in self.state["ssh_hosts"]]
        self.conn = bed_images.connect("precache-admin")
        self.images = {}  # label -> Glance record
        self.aggregate = None
        self.runs = []  # every measurement, for --json
        self.count = 0
        # The collection: this repository under a collections path.
        link = os.path.join(self.work, "collections", "ansible_collections", "openstack_ops",
                            "precache")
        os.makedirs(os.path.dirname(link))
        os.symlink(REPO, link)
        os.makedirs(os.path.join(self.work, "callbacks"))
        with open(os.path.join(self.work, "callbacks", "bench_timer.py"), "w") as handle:
            handle.write(TIMER_CALLBACK)
        self.aggregates_yml = os.path.join(self.work, "bench.aggregates.yml")
        with open(self.aggregates_yml, "w") as handle:
            handle.write("plugin: openstack_ops.precache.aggregates\ncloud: precache-admin\n")
        self.inventory = ["-i", self.aggregates_yml, "-i", self.state["inventory"]]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ANSIBLE_", "OS_", "PRECACHE_PROGRESS_"))}
        env.update(
            PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
            OS_CLIENT_CONFIG_FILE=self.state["clouds_yaml"],
            OS_CLOUD="precache-admin",
            ANSIBLE_COLLECTIONS_PATH=os.path.join(self.work, "collections"),
            ANSIBLE_CALLBACK_PLUGINS=os.path.join(self.work, "callbacks"),
            ANSIBLE_PIPELINING=str(args.pipelining),
            ANSIBLE_SSH_CONTROL_PATH_DIR=os.path.join(self.work, "cp"),
            ANSIBLE_FORKS=str(args.forks),
            PRECACHE_PROGRESS_FILE=os.path.join(self.work, "progress.jsonl"),
        )
        self.env = env

    # ---- the cloud

    def setup(self):
        self._delete_leftovers()
        aggregate = self.conn.compute.create_aggregate(name=AGGREGATE)
        for host in self.hosts:
            aggregate = self.conn.compute.add_host_to_aggregate(aggregate, host)
        self.aggregate = aggregate
        for index in range(self.args.warm_images):
            self._upload("small-%d" % (index + 1), "qcow2", "64M", "16M")
        for fmt in self.args.formats:
            # raw: a 1 GiB file, all of it downloaded as it is; qcow2: 1 GiB of data in a 2 GiB
            # disk, converted to raw on the hosts (the test bed's hosts force raw, Nova's default).
            size, data = ("%dM" % self.args.size_mib, "%dM" % (self.args.size_mib - 4)) \
                if fmt == "raw" else ("%dM" % (2 * self.args.size_mib), "%dM" % self.args.size_mib)
            self._upload("big-" + fmt, fmt, size, data)

    def _upload(self, label, fmt, size, data):
        started = time.monotonic()
        record = bed_images.make_and_upload(name=PREFIX + label, disk_format=fmt, size=size,
                                            data=data)
        os.unlink(record["file"])
        self.images[label] = record
        print("uploaded %s: %s %s, %d bytes (%.0fs)" % (record["name"], record["id"], fmt,
                                                        record["size"], time.monotonic() - started),
              file=sys.stderr, flush=True)

    def _delete_leftovers(self):
        for image in list(self.conn.image.images()):
            if (image.name or "").startswith(PREFIX):
                self.conn.image.delete_image(image, ignore_missing=True)
        aggregate = self.conn.compute.find_aggregate(AGGREGATE, ignore_missing=True)
        if aggregate is not None:
            for host in aggregate.hosts or []:
                self.conn.compute.remove_host_from_aggregate(aggregate, host)
            self.conn.compute.delete_aggregate(aggregate, ignore_missing=True)

    def cleanup(self):
        if self.images:
            self.remove_cached(list(self.images))
        for record in self.images.values():
            self.conn.image.delete_image(record["id"], ignore_missing=True)
        if self.aggregate is not None:
            aggregate = self.conn.compute.get_aggregate(self.aggregate.id)
            for host in aggregate.hosts or []:
                self.conn.compute.remove_host_from_aggregate(aggregate, host)
            self.conn.compute.delete_aggregate(aggregate, ignore_missing=True)
        shutil.rmtree(self.work, ignore_errors=True)

    def finish(self, json_file=None):
        """Write every measurement to json_file (if given), then clean up."""
        if json_file:
            with open(json_file, "w") as handle:
                json.dump(self.runs, handle, indent=1)
        self.cleanup()

    # ---- running things

    def _run(self, argv, env=None, what="run"):
        self.count += 1
        log = os.path.join(self.work, "%03d-%s.log" % (self.count, what))
        started = time.time()
        with open(log, "wb") as handle:
            status = subprocess.call(argv, stdout=handle, stderr=subprocess.STDOUT,
                                     env=env or self.env, cwd=REPO)
        seconds = time.time() - started
        if status != 0:
            with open(log, errors="replace") as handle:
                raise SystemExit("%s failed (%d):\n%s" % (" ".join(argv), status,
                                                          handle.read()[-4000:]))
        return started, seconds

    def remove_cached(self, labels):
        """Remove the images' files from every host's cache dir, then flush the disk."""
        names = " ".join("{{ testbed_cache_dir }}/%s" % hashlib.sha1(
            self.images[label]["id"].encode()).hexdigest() for label in labels)
        self._run(["ansible", "-i", self.state["inventory"], "testbed_computes",
                   "-m", "ansible.builtin.shell", "-a", "rm -f " + names], what="rm")
        os.sync()

    def playbook(self, labels, extra=None, callbacks=("bench_timer",), env=None, what="play"):
        """One run of playbooks/precache.yml: its wall time and its phases."""
        timer = os.path.join(self.work, "timer.json")
        if os.path.exists(timer):
            os.unlink(timer)
        env = dict(env or self.env, BENCH_TIMER_FILE=timer)
        if callbacks:  # an empty ANSIBLE_CALLBACKS_ENABLED makes ansible-core 2.21 fail
            env["ANSIBLE_CALLBACKS_ENABLED"] = ",".join(callbacks)
        argv = ["ansible-playbook"] + self.inventory + [
            os.path.join(REPO, "playbooks", "precache.yml"), "-e", "aggregate=" + AGGREGATE,
            "-e", json.dumps({"images": [self.images[label]["name"] for label in labels]})]
        for key, value in (extra or {}).items():
            argv += ["-e", "%s=%s" % (key, value)]
        started, seconds = self._run(argv, env=env, what=what)
        phases = None
        if os.path.exists(timer):
            with open(timer) as handle:
                phases = self._phases(json.load(handle), started, seconds)
        return seconds, phases

    @staticmethod
    def _phases(events, started, seconds):
        """Seconds before the first play, in the cache task(s), in the rest, and per task."""
        tasks = {}
        in_cache = 0.0
        for (kind, name, at), (_k, _n, next_at) in zip(events, events[1:]):
            if kind == "task":
                tasks[name] = tasks.get(name, 0.0) + next_at - at
                if name.endswith(CACHE_TASK):
                    in_cache += next_at - at
        return {"startup": events[0][2] - started, "cache_task": in_cache,
                "after_stats": started + seconds - events[-1][2], "tasks": tasks}

    def ping(self, env=None):
        return self._run(["ansible"] + self.inventory + [GROUP, "-m", "ansible.builtin.ping"],
                         env=env, what="ping")[1]

    def list_hosts(self):
        return self._run(["ansible"] + self.inventory + [GROUP, "--list-hosts"],
                         what="list")[1]

    def curl(self, label):
        """curl -o FILE from Glance, timed as download_bench.py times it (time_total)."""
        record = self.images[label]
        url = "%s/v2/images/%s/file" % (self.state["glance"]["endpoint"], record["id"])
        headers = os.path.join(self.work, "curl-headers")
        with open(headers, "w") as handle:
            handle.write("X-Auth-Token: %s\n" % self.conn.auth_token)
        out = os.path.join(self.work, "curl.out")
        process = subprocess.run(["curl", "-sS", "--fail", "-H", "@" + headers, "-o", out,
                                  "-w", "%{time_total}", url], stdout=subprocess.PIPE,
                                 check=True)
        if os.path.getsize(out) != record["size"]:
            raise SystemExit("curl wrote %d bytes, expected %d" % (os.path.getsize(out),
                                                                   record["size"]))
        os.unlink(out)
        os.sync()
        return float(process.stdout)

    def record(self, case, **fields):
        fields.update(case=case, load=_loadavg())
        self.runs.append(fields)
        print(json.dumps(fields), file=sys.stderr, flush=True)

    # ---- the cases

    def warm(self):
        labels = ["small-%d" % (i + 1) for i in range(self.args.warm_images)]
        self.playbook(labels, what="warm-first")  # caches them; not timed
        fresh = {}

        def cold_ssh():
            # A control path dir of its own: every SSH connection of the run is a new one.
            fresh["n"] = fresh.get("n", 0) + 1
            return dict(self.env, ANSIBLE_SSH_CONTROL_PATH_DIR=os.path.join(
                self.work, "cp-%d" % fresh["n"]))

        clients = {
            "list-hosts": self.list_hosts,
            "ping": self.ping,
            "playbook": lambda: self.playbook(labels, callbacks=(), what="warm")[0],
            "playbook+progress": lambda: self.playbook(
                labels, callbacks=("openstack_ops.precache.progress",), what="warm-progress")[0],
            "ping, new SSH": lambda: self.ping(env=cold_ssh()),
            "playbook, new SSH": lambda: self.playbook(
                labels, callbacks=(), env=cold_ssh(), what="warm-newssh")[0],
        }
        names = list(clients)
        for rep in range(self.args.repeat):
            turn = rep % len(names)
            for name in names[turn:] + names[:turn]:
                self.record("warm", client=name, seconds=clients[name]())
        # One more run with the timer, for where the time goes (not in the medians).
        seconds, phases = self.playbook(labels, what="warm-timer")
        self.record("warm-phases", client="playbook+timer", seconds=seconds, phases=phases)

    def cold(self, label, repeat, extra=None, with_curl=True):
        for _round in range(repeat):
            if with_curl:
                self.record("curl", image=label, seconds=self.curl(label),
                            size=self.images[label]["size"])
            seconds, phases = self.playbook([label], extra=extra, callbacks=(
                "bench_timer", "openstack_ops.precache.progress"), what="cold")
            self.remove_cached([label])
            self.record("cold", image=label, settings=extra or {}, seconds=seconds,
                        phases=phases)

    def grid(self, label):
        for _round in range(self.args.grid_repeat):
            for serial in (1, 2, 3):
                for throttle in (0, 1):
                    self.cold(label, 1, {"precache_serial": serial, "precache_throttle": throttle},
                              with_curl=False)

    # ---- the tables

    def report(self):
        out = []
        warm = {}
        for run in self.runs:
            if run["case"] == "warm":
                warm.setdefault(run["client"], []).append(run["seconds"])
        if warm:
            ping = _median(warm["ping"])
            ping_new = _median(warm.get("ping, new SSH", [float("nan")]))
            out += ["### Re-run, every image cached (%d images, %d hosts)" % (
                self.args.warm_images, len(self.hosts)), "",
                "| command | wall s, median (min-max) | vs ping |", "| --- | --- | --- |"]
            for name, values in warm.items():
                base = ping_new if "new SSH" in name else ping
                out.append("| %s | %s | %.2fx |" % (name, _spread(values), _median(values) / base))
            out.append("")
        phases = [r for r in self.runs if r["case"] == "warm-phases"]
        if phases:
            startup = phases[0]["phases"]["startup"]
            out += ["Where a re-run's time goes (one run with the timer callback):", "",
                    "| phase | seconds |", "| --- | --- |",
                    "| start-up, inventory, playbook parsing | %.2f |" % startup]
            out += ["| %s | %.2f |" % (_short(name), secs)
                    for name, secs in phases[0]["phases"]["tasks"].items()]
            out += ["| after the last task | %.2f |" % phases[0]["phases"]["after_stats"], ""]
        curls = {}
        for run in self.runs:
            if run["case"] == "curl":
                curls.setdefault(run["image"], []).append(run)
        if curls:
            out += ["### First run of a %d MiB image over %d hosts"
                    % (self.args.size_mib, len(self.hosts)), "",
                    "| image | curl MB/s, median (min-max) | bound N x size / curl, s "
                    "| playbook wall s, median (min-max) | vs bound | cache task s | rest s |",
                    "| --- | --- | --- | --- | --- | --- | --- |"]
            for label, runs in curls.items():
                size = runs[0]["size"]
                speeds = [size / r["seconds"] / 1e6 for r in runs]
                bound = len(self.hosts) * _median([r["seconds"] for r in runs])
                cold = [r for r in self.runs if r["case"] == "cold" and r["image"] == label
                        and not r["settings"]]
                walls = [r["seconds"] for r in cold]
                cache = _median([r["phases"]["cache_task"] for r in cold])
                out.append("| %s, %d bytes | %.0f (%.0f-%.0f) | %.2f | %s | %.2fx | %.2f | %.2f |"
                           % (label, size, _median(speeds), min(speeds), max(speeds), bound,
                              _spread(walls), _median(walls) / bound, cache,
                              _median(walls) - cache))
            out.append("")
        grid = [r for r in self.runs if r["case"] == "cold" and r["settings"]]
        if grid:
            label = grid[0]["image"]
            bound = len(self.hosts) * _median([r["seconds"] for r in curls.get(label, [])])
            out += ["### First run (%s) by batch settings" % label, "",
                    "| precache_serial | precache_throttle | wall s, median (min-max) | vs bound | "
                    "cache task s |", "| --- | --- | --- | --- | --- |"]
            for serial in (1, 2, 3):
                for throttle in (0, 1):
                    runs = [r for r in grid if r["settings"] == {
                        "precache_serial": serial, "precache_throttle": throttle}]
                    walls = [r["seconds"] for r in runs]
                    out.append("| %d | %d | %s | %.2fx | %.2f |" % (
                        serial, throttle, _spread(walls), _median(walls) / bound,
                        _median([r["phases"]["cache_task"] for r in runs])))
            out.append("")
        out.append("machine: %s; load average at the end: %s" % (_machine(), _loadavg()))
        return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=lambda t: t.split(","), default=["warm", "cold", "grid"],
                        help="warm,cold,grid (default: all)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of each command in warm and cold (default 5)")
    parser.add_argument("--grid-repeat", type=int, default=3,
                        help="runs of each batch setting in grid (default 3)")
    parser.add_argument("--warm-images", type=int, default=3,
                        help="small images (16 MiB of data) in the re-run (default 3)")
    parser.add_argument("--size-mib", type=int, default=1024,
                        help="data of the big image, MiB (default 1024)")
    parser.add_argument("--formats", type=lambda t: t.split(","), default=["raw"],
                        help="big images: raw (a file of that size) and/or qcow2 (that much "
                             "data, converted to raw on the hosts); default raw")
    parser.add_argument("--forks", type=int, default=5, help="ANSIBLE_FORKS (default 5)")
    parser.add_argument("--no-pipelining", dest="pipelining", action="store_false",
                        help="ANSIBLE_PIPELINING off, Ansible's default (on by default here)")
    parser.add_argument("--json", help="write every measurement to this file")
    args = parser.parse_args()
    bench = Bench(args)
    print("machine: %s, load %s; hosts %s" % (_machine(), _loadavg(), ", ".join(bench.hosts)),
          file=sys.stderr)
    try:
        bench.setup()
        if "warm" in args.cases:
            bench.warm()
        for fmt in args.formats:
            if "cold" in args.cases:
                bench.cold("big-" + fmt, args.repeat)
        if "grid" in args.cases:
            bench.grid("big-" + args.formats[0])
    finally:
        bench.finish(args.json)
    print(bench.report())


if __name__ == "__main__":
    main()
