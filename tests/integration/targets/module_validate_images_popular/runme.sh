#!/usr/bin/env bash
# validate_images' `popular` against the test bed: instances booted on known hosts from images
# of this run (one image deleted since, one instance stopped), counted for the whole cloud and
# per aggregate, by status, with min_instances and top; what selected each image; the errors.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
OS_CLIENT_CONFIG_FILE=$(setting clouds_yaml)
export OS_CLIENT_CONFIG_FILE

delete_instances() {
    python files/instances.py cleanup "$config"
}
at_exit delete_instances

python files/instances.py setup "$config" "$work/state.json"
ansible-playbook -i localhost, -c local -e "@$work/state.json" popular.yml "$@"

cat > "$work/aggregates.yml" <<YAML
plugin: openstack_ops.precache.aggregates
cloud: precache-admin
YAML
ansible-playbook -i "$work/aggregates.yml" -e "@$work/state.json" role.yml "$@"
