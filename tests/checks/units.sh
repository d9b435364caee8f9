#!/usr/bin/env bash
# Unit tests with ansible-test, each Python version in its own venv (kept warm in the work dir).
# Tests of modules and module_utils run on every version (3.9 ... 3.13: what compute hosts
# run); ansible-test runs the other plugins' tests on the controller versions (3.12+) only.
set -euo pipefail
# shellcheck source=tests/checks/common.sh
source "$(dirname "$0")/common.sh"

collection=$(prepare_collection)
cd "$collection"

failed=() passed=() skipped=()
log=$CHECKS_WORK/units.log
for version in "${CHECKS_PYTHONS[@]}"; do
    echo "== units on Python $version"
    if ! checks_run ansible-test units --venv --python "$version" --color no 2>&1 | tee "$log"; then
        failed+=("$version")
    elif grep -q 'All targets skipped' "$log"; then
        # 3.9-3.11 run only modules' and module_utils' tests, which may not exist yet.
        skipped+=("$version")
    else
        passed+=("$version")
    fi
done
# The Nova weigher runs inside nova-scheduler: its tests run on the test bed's Nova.
echo "== the Nova weigher's units on the test bed's Nova"
if (cd "$CHECKS_REPO/extensions/nova_weigher" &&
    checks_run "$CHECKS_VENV/../openstack/bin/python" -m pytest -q -p no:cacheprovider tests); then
    passed+=("nova_weigher")
else
    failed+=("nova_weigher")
fi
echo "units: passed on Python ${passed[*]:-(none)}; nothing to run on ${skipped[*]:-(none)}"
if [ ${#failed[@]} -gt 0 ]; then
    checks_die "unit tests failed on Python ${failed[*]}"
fi
if [ ${#passed[@]} -eq 0 ]; then
    checks_die "no unit test ran"
fi
