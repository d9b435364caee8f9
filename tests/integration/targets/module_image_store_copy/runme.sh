#!/usr/bin/env bash
# image_store_copy against the test bed's real Glance: a copy to the second store, an image there
# already, copy_missing false, an unknown store, check mode, a copy that fails (its source data
# removed) and one that times out. The test's images are deleted afterwards.
set -euo pipefail
# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh

OS_CLIENT_CONFIG_FILE=$(setting clouds_yaml)
export OS_CLIENT_CONFIG_FILE

# big: 256 MiB of data, several seconds to copy on loopback, for the timeout.
publish first:raw:8:2 check:raw:8:2 broken:raw:8:2 big:raw:320:256
# The copy of `broken` fails in Glance's task: its data in the source store is gone.
broken=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["plan"]["broken"]["id"])' "$work/plan.json")
rm "$(setting work_dir)/glance/data/site-a/$broken"

ansible-playbook -i localhost, -c local -e "@$work/plan.json" image_store_copy.yml "$@"
