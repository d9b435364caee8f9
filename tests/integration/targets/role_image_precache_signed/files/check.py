"""What each scenario of runme.sh must have left: exit code, summary, log and the hosts' caches."""
import hashlib
import json
import os
import sys

scenario, work, hosts = sys.argv[1:]
plan = json.load(open(os.path.join(work, "plan.json")))
ids = {key: image["id"] for key, image in plan["plan"].items()}


def cached(host):
    base = os.path.join(hosts, host, "_base")
    return sorted(os.listdir(base)) if os.path.isdir(base) else []


def name(key):
    return hashlib.sha1(ids[key].encode()).hexdigest()


def expect(condition, what):
    if not condition:
        sys.exit("%s: %s" % (scenario, what))


rc = int(open(os.path.join(work, scenario + ".rc")).read())
log = open(os.path.join(work, scenario + ".log")).read()
for secret in (plan["token"], plan["admin_token"]):
    expect(secret not in log, "a token is in the output")
if scenario == "s1":
    summary = json.load(open(os.path.join(work, "s1.summary.json")))
    expect(rc == 2, "exit %d, not 2" % rc)
    expect(summary["hosts_failed"] == ["compute1", "compute2"], summary["hosts_failed"])
    reasons = summary["failing_hosts"]
    expect(set(reasons["compute2"]["reasons"]) == {ids["tampered"]}, reasons["compute2"])
    expect("the signature does not match the data" in reasons["compute2"]["reasons"][ids["tampered"]],
           reasons["compute2"])
    expect(set(reasons["compute1"]["reasons"]) == {ids["good"], ids["tampered"]}, reasons["compute1"])
    expect(all("install python3-cryptography" in text
               for text in reasons["compute1"]["reasons"].values()), reasons["compute1"])
    expect(cached("compute1") == [], "compute1 cached %s" % cached("compute1"))
    expect(cached("compute2") == [name("good")], "compute2 cached %s" % cached("compute2"))
    expect(cached("compute3") == sorted([name("good"), name("tampered")]),
           "compute3 cached %s" % cached("compute3"))
elif scenario == "s2":
    expect(rc != 0, "exit 0")
    expect("certificate %s is not in the key manager" % plan["plan"]["lost"]["img_signature_certificate_uuid"]
           in log and ids["lost"] in log, "the missing certificate is not named")
    expect("TASK [openstack_ops.precache.image_precache : Cache the images" not in log,
           "the hosts were reached")
    expect(cached("compute3") == sorted([name("good"), name("tampered")]), "compute3 changed")
