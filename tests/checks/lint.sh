#!/usr/bin/env bash
# ansible-lint (production profile), the collection's docs as docs.ansible.com would render
# them (antsibull-docs), and the changelog fragments (antsibull-changelog).
set -euo pipefail
# shellcheck source=tests/checks/common.sh
source "$(dirname "$0")/common.sh"

# common.sh points ANSIBLE_COLLECTIONS_PATH above the copy: ansible-lint then knows
# the collection's own modules, and antsibull-docs finds the collection where ansible-doc looks.
collection=$(prepare_collection)

failed=()
cd "$CHECKS_REPO"
# Linting the repository itself (paths in messages are the user's), minus ansible-test's and
# ansible-lint's own state; without the excludes it lints ansible-test's venvs for minutes.
checks_run ansible-lint --offline --profile production --exclude tests/output --exclude .ansible ||
    failed+=(ansible-lint)

cd "$collection"
checks_run antsibull-docs lint-collection-docs --plugin-docs . || failed+=(antsibull-docs)
checks_run antsibull-changelog lint || failed+=(antsibull-changelog)

if [ ${#failed[@]} -gt 0 ]; then
    checks_die "lint failed: ${failed[*]}"
fi
echo "lint: passed"
