#!/usr/bin/env bash
# Every SSH host answers an ad-hoc run and sees its own nova.conf and instances dir.
set -euo pipefail

# ansible-test copies tests/integration/integration_config.yml (the test bed's facts) here.
config=../../integration_config.yml
inventory=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["testbed"]["inventory"])' "$config")
computes=$(python -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["testbed"]["ssh_hosts"]))' "$config")

# An ad-hoc run reaches every host over SSH (one line per host: "computeN | SUCCESS").
reached=$(ansible -i "$inventory" testbed_computes -m ansible.builtin.ping -o | grep -c ' | SUCCESS ')
if [ "$reached" -ne "$computes" ]; then
    echo "ad-hoc ping reached $reached of $computes hosts" >&2
    exit 1
fi

ansible-playbook -i "$inventory" hosts.yml "$@"
