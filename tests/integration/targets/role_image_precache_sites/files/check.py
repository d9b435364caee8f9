"""What each scenario of runme.sh must have left: exit code, Glance's egress, the summary, the
lines, the hosts' caches, and no server or staging."""
import hashlib
import json
import os
import re
import subprocess
import sys

scenario, work, hosts = sys.argv[1:]
HOSTS = ["compute1", "compute2", "compute3"]
plan = json.load(open(os.path.join(work, "plan.json")))
images = list(plan["plan"].values())
total = sum(image["size"] for image in images)


def read(name):
    with open(os.path.join(work, "%s.%s" % (scenario, name))) as handle:
        return handle.read()


def expect(condition, what):
    if not condition:
        sys.exit("%s: %s" % (scenario, what))


def cached(host):
    base = os.path.join(hosts, host, "_base")
    return sorted(os.listdir(base)) if os.path.isdir(base) else []


rc, log = int(read("rc")), read("log")
expect(rc == 0, "exit %d" % rc)
expect(plan["token"] not in log, "the token is in the output")
egress = sum(int(line) for line in read("glance").split())
names = sorted(hashlib.sha1(image["id"].encode()).hexdigest() for image in images)
# Nothing listens on the site ports of any host, and nothing is staged.
listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True).stdout
expect(not re.search(r"127\.0\.0\.1[123]:474\d\d ", listening), "a server is left:\n" + listening)
for host in HOSTS:
    staging = os.path.join(hosts, host, ".precache-staging")
    expect(not os.path.isdir(staging) or os.listdir(staging) == [],
           "%s has staging left: %s" % (host, os.listdir(staging)))
if scenario == "s3":
    expect(all(cached(host) == [] for host in HOSTS), "check mode cached something")
    expect(egress == 0, "check mode downloaded %d bytes" % egress)
    sys.exit(0)
for host in HOSTS:
    expect(cached(host) == names, "%s cached %s" % (host, cached(host)))
# One copy of each image from Glance; N copies would be 3x.
expect(egress == total, "Glance sent %d bytes of image data for images of %d bytes"
       % (egress, total))
summary = json.load(open(os.path.join(work, scenario + ".summary.json")))
expect(summary["hosts_failed"] == [] and summary["errors"] == 0, summary)
expect(summary["sites"] == {"edge-1": {"hosts": 3, "bytes_from_glance": total,
                                       "bytes_from_peers": 2 * total}}, summary["sites"])
peers = re.findall(r"^host \d/3 (compute\d): 2 cached, 0 failed \(.*\) - from (.*)$", log, re.M)
expect(len(peers) == 2 and all(source.startswith("peer compute") for _host, source in peers),
       "the lines do not name the peers: %s" % peers)
expect("Site edge-1: 3 hosts, %d bytes from Glance, %d bytes over its LAN" % (total, 2 * total)
       in log, "no line for the site")
if scenario == "s2":
    servers = re.findall(r'"url": "(https?)://127\.0\.0\.1[123]:474\d\d"', log)
    expect(servers and set(servers) == {"https"}, "not every server was https: %s" % servers)
    expect(len(re.findall(r'"fingerprint": "[0-9a-f]{64}"', log)) >= 2, "no fingerprints")
