#!/usr/bin/env bash
# Integration tests against the test bed (real Keystone, Glance, Nova and SSH compute hosts).
# Brings the test bed up when it is not, and down again afterwards unless KEEP_TESTBED=1 or it
# was up before. Arguments are ansible-test targets (default: all of them).
# The controller is the tools venv (--local): ansible-core, openstacksdk and jmespath at the
# versions tests/requirements-tools.txt pins, as a user's controller would have them.
set -euo pipefail
# shellcheck source=tests/checks/common.sh
source "$(dirname "$0")/common.sh"

testbed_dir=${PRECACHE_TESTBED_DIR:-$CHECKS_REPO/.testbed}
testbed() {
    # The test bed's venvs and state are the user's, not the checks' HOME.
    HOME=$CHECKS_REAL_HOME PRECACHE_TESTBED_DIR=$testbed_dir \
        "${CHECKS_VENV%/tools}/openstack/bin/python" "$CHECKS_REPO/tests/testbed/testbed.py" "$@" \
        {CHECKS_LOCK_FD}>&-
}

started=0
stop_testbed() {
    if [ "$started" = 1 ] && [ "${KEEP_TESTBED:-0}" != 1 ]; then
        testbed down
    fi
}
trap stop_testbed EXIT
if ! testbed status >/dev/null 2>&1; then
    started=1
    checks_run testbed up
fi

collection=$(prepare_collection)
cp "$testbed_dir/integration_config.yml" "$collection/tests/integration/integration_config.yml"
cd "$collection"
checks_run ansible-test integration --local --color no -v "$@"
