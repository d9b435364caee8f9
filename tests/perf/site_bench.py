#!/usr/bin/env python
# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Benchmark of fetch once per site (docs/sites.md): precache_distribution=site against glance.

Glance's egress is shaped as a WAN link: on loopback, with tc (htb, a u32 filter on Glance's
source port), at --rate (200mbit). The kernel's byte counter of that class is what Glance sent.
Then one image of 1 GiB of random data (raw) is cached on the test bed's three SSH hosts, all in
one site (the host variable precache_test_site, as role_image_precache_sites does it), each into
an instances dir of its own, with playbooks/precache.yml, --repeat times per mode, the modes
interleaved:
  glance  every host downloads from Glance: N copies cross the shaped link
  site    one host downloads from Glance, the others take the bytes from it over the LAN
          (loopback, unshaped)
  curl    one copy over the shaped link, timed as precache_bench.py times it (once per round)
Between runs the cached files are removed and `sync` flushes the disk. The shaping is removed at
the end, also after a failure, Ctrl-C or SIGTERM; so are the image, the aggregate, the cached
files and the instances dirs.

Run it with the tools venv's interpreter while the test bed is up, holding the test bed's lock
so that no integration test runs meanwhile (and gets shaped):
  PRECACHE_TESTBED_DIR=/work/main/.testbed flock /tmp/precache-testbed.lock \\
      ~/.cache/openstack_ops.precache/venvs/tools/bin/python tests/perf/site_bench.py
See tests/perf/README.md for the results.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

from precache_bench import REPO, Bench, _loadavg, _machine, _median, _spread
from bed.shaping import Shaper, glance_port  # precache_bench put the test bed on the path

LABEL = "big-raw"
SITE_KEY = "precache_test_site"
# Makes each host's instances dir and nova.conf part, prints the inventory of one site.
SITE_HOSTS = os.path.join(REPO, "tests", "integration", "targets", "role_image_precache_sites",
                          "files", "hosts.py")


class SiteBench(Bench):
    def __init__(self, args):
        # precache_bench's settings: no small images, the big one is uploaded here.
        args.warm_images, args.formats, args.grid_repeat = 0, [], 0
        super().__init__(args)
        self.shared = tempfile.mkdtemp(prefix="precache-site-bench-", dir="/tmp")
        os.chmod(self.shared, 0o755)  # the hosts' users reach their instances dirs below it
        sites = json.loads(subprocess.run(
            [sys.executable, SITE_HOSTS, self.state["inventory"], self.shared],
            stdout=subprocess.PIPE, check=True).stdout)
        for name, hostvars in sites["all"]["hosts"].items():
            hostvars["precache_nova_conf"] = ["{{ testbed_nova_conf }}",
                                              os.path.join(self.shared, name + ".conf")]
        self.site = next(iter(sites["all"]["hosts"].values()))[SITE_KEY]
        sites_json = os.path.join(self.work, "sites.json")
        with open(sites_json, "w") as handle:
            json.dump(sites, handle)
        self.inventory += ["-i", sites_json]

    def setup(self):
        super().setup()  # leftovers of earlier runs, and the aggregate of the three hosts
        mib = self.args.size_mib
        # A raw image: mib MiB of random data 4 MiB into the disk, downloaded as it is.
        self._upload(LABEL, "raw", "%dM" % (mib + 4), "%dM" % mib)

    def _cached(self):
        name = hashlib.sha1(self.images[LABEL]["id"].encode()).hexdigest()
        return [host for host in self.hosts
                if os.path.isfile(os.path.join(self.shared, host, "_base", name))]

    def remove_cached(self, labels):
        for host in self.hosts:
            shutil.rmtree(os.path.join(self.shared, host, "_base"), ignore_errors=True)
        os.sync()

    def servers_left(self):
        """What listens on the hosts' addresses in precache_site_port_range (47400-47499)."""
        listening = subprocess.run(["ss", "-ltnpH"], stdout=subprocess.PIPE,
                                   universal_newlines=True, check=True).stdout
        ports = re.compile(r"\s(%s):474\d\d\s" % "|".join(
            re.escape(host["address"]) for host in self.state["ssh_hosts"]))
        return [line for line in listening.splitlines() if ports.search(line)]

    def cleanup(self):
        # After Ctrl-C a site run leaves its servers until their deadline: stop the ones this
        # run started (the lock keeps other runs off the test bed).
        for line in self.servers_left():
            for pid in re.findall(r"pid=(\d+)", line):
                print("stopping a site server left behind: %s" % line, file=sys.stderr)
                try:
                    os.kill(int(pid), signal.SIGTERM)
                except ProcessLookupError:
                    pass
        super().cleanup()
        shutil.rmtree(self.shared, ignore_errors=True)

    def once(self, mode, shaper):
        before = shaper.sent()
        summary = os.path.join(self.work, "summary.json")
        seconds, phases = self.playbook([LABEL], extra={
            "precache_distribution": mode, "precache_site_key": SITE_KEY,
            "precache_summary_file": summary}, callbacks=(
                "bench_timer", "openstack_ops.precache.progress"), what=mode)
        egress = shaper.sent() - before
        cached = self._cached()
        if cached != self.hosts:
            raise SystemExit("%s: only %s cached the image" % (mode, cached))
        with open(summary) as handle:
            sites = json.load(handle).get("sites") or {}
        self.remove_cached([LABEL])
        left = self.servers_left()
        if left:
            raise SystemExit("%s: site servers left listening:\n%s" % (mode, "\n".join(left)))
        self.record(mode, seconds=seconds, glance_bytes=egress, sites=sites, phases=phases)

    def rounds(self, shaper):
        modes = self.args.modes
        for turn in range(self.args.repeat):
            before = shaper.sent()
            seconds = self.curl(LABEL)
            self.record("curl", seconds=seconds, glance_bytes=shaper.sent() - before)
            for mode in modes[turn % 2:] + modes[:turn % 2]:
                self.once(mode, shaper)

    def report(self):
        size = self.images[LABEL]["size"]
        runs = {}
        for run in self.runs:
            runs.setdefault(run["case"], []).append(run)
        copy = _median([r["seconds"] for r in runs["curl"]])
        hosts = len(self.hosts)
        out = ["### %d hosts in one site, a %d-byte raw image (%d MiB of random data), Glance "
               "shaped to %s" % (hosts, size, self.args.size_mib, self.args.rate), "",
               "| run | wall s, median (min-max) | vs one copy | Glance egress, bytes (median) "
               "| x image size |", "| --- | --- | --- | --- | --- |"]
        names = {"curl": "one copy over the shaped link (curl)",
                 "glance": "`precache_distribution=glance`", "site": "`precache_distribution=site`"}
        ratio = {}
        for case in [case for case in ("curl", "glance", "site") if case in runs]:
            walls = [r["seconds"] for r in runs[case]]
            egress = _median([r["glance_bytes"] for r in runs[case]])
            ratio[case] = (_median(walls) / copy, egress / size)
            out.append("| %s | %s | %.2fx | %d | %.3fx |" % (
                names[case], _spread(walls), ratio[case][0], egress, ratio[case][1]))
        out.append("")
        if "site" not in ratio:
            return "\n".join(out)
        glance = ratio.get("glance", (float("nan"), float("nan")))
        site_sizes = sorted({r["sites"].get(self.site, {}).get("bytes_from_glance", -1)
                             for r in runs["site"]})
        out += ["runs: %d per mode, interleaved; the summary's bytes_from_glance for site %s: %s"
                % (self.args.repeat, self.site, ", ".join(str(s) for s in site_sizes)), "",
                "Targets:",
                "- Glance egress per site 1.0x the image size (glance mode: %dx): %.3fx in site "
                "mode, %.3fx in glance mode: %s" % (
                    hosts, ratio["site"][1], glance[1],
                    "met" if ratio["site"][1] < 1.01 else "missed"),
                "- the whole site within 1.5x one copy over the shaped link (%.1f s): %.2fx in "
                "site mode (%.1f s), %.2fx in glance mode: %s" % (
                    copy, ratio["site"][0], ratio["site"][0] * copy, glance[0],
                    "met" if ratio["site"][0] <= 1.5 else "missed"),
                "", "machine: %s; load average at the end: %s" % (_machine(), _loadavg())]
        return "\n".join(out)


def _stop(signum, _frame):
    """SIGTERM, SIGHUP: pass an interrupt on to the commands this process runs, then clean up."""
    for stat in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % stat) as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            if parent == os.getpid():
                os.kill(int(stat), signal.SIGINT)
        except (ValueError, IndexError, OSError):
            pass
    raise SystemExit("stopped by signal %d" % signum)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each mode, and of curl (default 3)")
    parser.add_argument("--size-mib", type=int, default=1024,
                        help="random data in the image, MiB (default 1024)")
    parser.add_argument("--rate", default="200mbit", help="Glance's egress, as tc says it (default 200mbit)")
    parser.add_argument("--forks", type=int, default=5, help="ANSIBLE_FORKS (default 5)")
    parser.add_argument("--no-pipelining", dest="pipelining", action="store_false",
                        help="ANSIBLE_PIPELINING off (on by default here)")
    parser.add_argument("--modes", type=lambda t: t.split(","), default=["glance", "site"],
                        help="the modes to run, in the first round's order (default glance,site)")
    parser.add_argument("--json", help="write every measurement to this file")
    args = parser.parse_args()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    shaper = Shaper(glance_port(), args.rate)
    bench = None
    try:
        bench = SiteBench(args)
        print("machine: %s, load %s; hosts %s" % (_machine(), _loadavg(), ", ".join(bench.hosts)),
              file=sys.stderr)
        bench.setup()  # uploads unshaped
        shaper.add()
        bench.rounds(shaper)
    finally:
        shaper.remove()
        if bench is not None:
            bench.finish(args.json)
    print(bench.report())


if __name__ == "__main__":
    main()
