#!/usr/bin/env bash
# Two hosts of one batch share their instances_path: one downloads, the other finds it there.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
images=../setup_testbed/files/testbed_images.py
work=$(mktemp -d)
# Outside the hosts' private mounts: every host sees this directory, as with NFS.
shared=$(mktemp -d /tmp/precache-shared-XXXXXX)
cleanup() {
    [ -f "$work/plan.json" ] && python "$images" "$config" delete "$work/plan.json"
    rm -rf "$work" "$shared"
}
trap cleanup EXIT
chmod 0755 "$shared"
python "$images" "$config" publish one:raw:32:8 two:raw:16:4 > "$work/plan.json"

ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" shared.yml -e "@$work/plan.json" \
    -e "shared=$shared" "$@"
