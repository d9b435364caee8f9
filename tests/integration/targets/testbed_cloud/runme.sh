#!/usr/bin/env bash
# openstacksdk against the test bed: Keystone tokens, Nova hypervisors and aggregates, Glance data.
set -euo pipefail

# ansible-test copies tests/integration/integration_config.yml (the test bed's facts) here.
python check_cloud.py ../../integration_config.yml
