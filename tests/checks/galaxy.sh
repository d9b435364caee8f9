#!/usr/bin/env bash
# Build the collection as it is released, and check the tarball as Galaxy's importer does.
set -euo pipefail
# shellcheck source=tests/checks/common.sh
source "$(dirname "$0")/common.sh"

dist=$CHECKS_WORK/dist
rm -rf "$dist"
mkdir -p "$dist"

# Built from the repository itself, not from the checks' copy: what ships is decided by
# galaxy.yml's build_ignore, and the repository is where test-bed state and venvs lie around.
cd "$CHECKS_REPO"
checks_run ansible-galaxy collection build --output-path "$dist"
tarballs=("$dist"/*.tar.gz)
if [ ${#tarballs[@]} -ne 1 ] || [ ! -f "${tarballs[0]}" ]; then
    checks_die "expected one tarball in $dist"
fi
tarball=${tarballs[0]}

echo "== what the tarball must not carry"
forbidden='(^|/)(\.testbed|\.ansible|\.ci|\.git|tests/output|__pycache__|\.pytest_cache)(/|$)'
# A venv is known by its pyvenv.cfg, not by its name: OpenStack-Ansible's real layout
# (/openstack/venvs/...) is a legitimate unit-test fixture.
forbidden+='|(^|/)pyvenv\.cfg$|\.pyc$|\.tar\.gz$'
forbidden+='|^tests/integration/(inventory|integration_config\.yml)$'
if tar -tzf "$tarball" | sed 's|^\./||' | grep -E "$forbidden"; then
    checks_die "$tarball carries the files above: add them to build_ignore in galaxy.yml"
fi
echo "none of: test-bed state, ansible-test output, venvs, caches, .ci, tarballs, integration config"

echo "== galaxy-importer"
log=$dist/importer.log
# It writes importer_result.json into the current directory.
cd "$dist"
# The importer can run ansible-test sanity in a container; sanity.sh does that here.
status=0
GALAXY_IMPORTER_RUN_ANSIBLE_TEST=false checks_run python -m galaxy_importer.main "$tarball" \
    > "$log" 2>&1 || status=$?
cat "$log"
if [ "$status" -ne 0 ]; then
    checks_die "galaxy-importer failed (exit $status)"
fi
# It exits 0 on lint findings (WARNING lines) and on plugins whose docs ansible-doc cannot
# read (ERROR lines): Galaxy would show both on the collection's page.
if grep -E '^(WARNING|ERROR)' "$log"; then
    checks_die "galaxy-importer reported the problems above"
fi
echo "galaxy: $tarball imports cleanly"
