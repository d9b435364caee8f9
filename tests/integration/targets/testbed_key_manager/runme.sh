#!/usr/bin/env bash
# One image signed with the test bed's rsa certificate: its signature properties on Glance, and
# the certificate read from Barbican with the demo user's token verifies the uploaded data.
set -euo pipefail
# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh

publish signed:qcow2:16:2:sign=rsa
python check_key_manager.py "$work/plan.json"
