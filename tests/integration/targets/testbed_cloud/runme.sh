#!/usr/bin/env bash
# openstacksdk against the test bed: Keystone tokens, Nova hypervisors and aggregates, Glance data.
set -euo pipefail

config=${*: -1}
python check_cloud.py "${config#@}"
