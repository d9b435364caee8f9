"""The test bed's clouds.yaml with one more cloud: the admin's, with settings of its own (an
endpoint override through a target's proxy, say).

    clouds_with.py CONFIG NAME KEY=VALUE...
"""
import json
import sys

config, name = sys.argv[1:3]
with open(config) as handle:
    clouds = json.load(handle)["testbed"]["clouds"]
clouds[name] = dict(clouds["precache-admin"], **dict(arg.split("=", 1) for arg in sys.argv[3:]))
print(json.dumps({"clouds": clouds}, indent=2))
