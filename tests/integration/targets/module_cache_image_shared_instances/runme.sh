#!/usr/bin/env bash
# Two hosts of one batch share their instances_path: one downloads, the other finds it there.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
shared_dir shared
publish one:raw:32:8 two:raw:16:4

ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" shared.yml -e "@$work/plan.json" \
    -e "shared=$shared" "$@"
