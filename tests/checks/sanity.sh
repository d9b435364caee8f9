#!/usr/bin/env bash
# ansible-test sanity, every test that can run here, with no ignore file entries
# (see check_ignore_files in common.sh).
# compile and import run on each Python 3.9 ... 3.13; the others on the controller's Python.
# ansible-test keeps each test's venv under the work dir's HOME, so a warm run installs nothing.
set -euo pipefail
# shellcheck source=tests/checks/common.sh
source "$(dirname "$0")/common.sh"

check_ignore_files

collection=$(prepare_collection)
cd "$collection"

# Tests that cannot run on this machine:
#   pslint: PowerShell's linter needs pwsh, which is not packaged for Debian (and the collection
#           has no PowerShell).
skip=(--skip-test pslint)

checks_run ansible-test sanity --venv --color no "${skip[@]}"
echo "sanity: passed"
