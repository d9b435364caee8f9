#!/usr/bin/env bash
# cache_image with cache limits on the test bed's three SSH hosts, in a cache dir of this test's
# own (the shared _base holds other tests' images, which eviction must not take), with an
# instance disk backed by one of the images: see eviction.yml.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
clean_hosts() {
    ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" cleanup.yml -e "@$work/plan.json" \
        > "$work/cleanup.log" 2>&1 || { cat "$work/cleanup.log"; echo "could not clean the hosts" >&2; }
}
at_exit clean_hosts

# Four raw images of 5 MiB, 4 MiB of data after a first MiB of zeros (written, so 5 MiB on disk).
publish e1:raw:4:4 e2:raw:4:4 e3:raw:4:4 e4:raw:4:4
ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" eviction.yml -e "@$work/plan.json" "$@"
