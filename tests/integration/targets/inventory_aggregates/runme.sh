#!/usr/bin/env bash
# The aggregates inventory plugin against the test bed's Nova: aggregates made with openstacksdk
# (a name to sanitize, an empty one, a host in two, an availability zone), compute3 disabled
# and forced down; ansible-inventory --list and --graph checked; then SSH to the hosts of an
# aggregate group, proving ansible_host (the hypervisor's host_ip) reaches the right host.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
OS_CLIENT_CONFIG_FILE=$(setting clouds_yaml)
export OS_CLIENT_CONFIG_FILE

delete_aggregates() {
    python files/nova_aggregates.py cleanup "$config" "$work/state.json"
}
at_exit delete_aggregates

python files/nova_aggregates.py setup "$config" "$work/state.json"

# compose: the test bed's hosts share /usr/bin/python3, while discovery would find pyenv's shims.
cat > "$work/site.aggregates.yml" <<YAML
plugin: openstack_ops.precache.aggregates
cloud: precache-admin
compose:
  ansible_python_interpreter: "'/usr/bin/python3'"
keyed_groups:
  - key: nova_hypervisor_type
    prefix: hv
YAML
# Any .yml works when its plugin is this one; this one keeps the disabled, forced-down host.
cat > "$work/everything.yml" <<YAML
plugin: openstack_ops.precache.aggregates
cloud: precache-admin
include_disabled: true
include_down: true
keyed_groups:
  - key: nova_hypervisor_type
    prefix: hv
YAML

ansible-inventory -i "$work/site.aggregates.yml" --list > "$work/list.json" 2> "$work/list.err" ||
    { cat "$work/list.err"; exit 1; }
python files/nova_aggregates.py check-list default "$work/list.json"
python files/nova_aggregates.py check-warning "$work/list.err"

ansible-inventory -i "$work/site.aggregates.yml" --graph > "$work/graph.txt" 2>/dev/null
cat "$work/graph.txt"
python files/nova_aggregates.py check-graph "$work/graph.txt"

ansible-inventory -i "$work/everything.yml" --list > "$work/everything.json"
python files/nova_aggregates.py check-list everything "$work/everything.json"

# An unknown aggregate fails the source, listing the ones there are.
cat > "$work/unknown.aggregates.yml" <<YAML
plugin: openstack_ops.precache.aggregates
cloud: precache-admin
aggregates: [my-aplication]
YAML
if ANSIBLE_INVENTORY_UNPARSED_FAILED=true ansible-inventory -i "$work/unknown.aggregates.yml" \
        --list > /dev/null 2> "$work/unknown.err"; then
    echo "an unknown aggregate did not fail the inventory" >&2
    exit 1
fi
grep -q "unknown aggregates: my-aplication (the cloud has: .*my-application" "$work/unknown.err" ||
    { cat "$work/unknown.err"; exit 1; }

# SSH to the hosts of an aggregate group, with the test bed's port, user, key and known_hosts:
# StrictHostKeyChecking proves that each host_ip answers with that host's key.
ssh_vars=$(python - "$config" <<'PY'
import json, sys
ssh = json.load(open(sys.argv[1]))["testbed"]["ssh"]
print(json.dumps({
    "ansible_port": ssh["port"], "ansible_user": ssh["user"],
    "ansible_ssh_private_key_file": ssh["private_key"],
    "ansible_ssh_common_args": "-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes"
                               % ssh["known_hosts"]}))
PY
)
reached=$(ansible -i "$work/site.aggregates.yml" my_application -m ansible.builtin.ping \
    -e "$ssh_vars" | grep -c ' | SUCCESS => ')
if [ "$reached" -ne 2 ]; then
    echo "ad-hoc ping reached $reached of the 2 hosts of my_application" >&2
    exit 1
fi
ansible-playbook -i "$work/site.aggregates.yml" hosts.yml -e "$ssh_vars" \
    -e aggregate=my-application "$@"
