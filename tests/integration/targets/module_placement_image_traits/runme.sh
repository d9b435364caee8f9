#!/usr/bin/env bash
# placement_image_traits against the test bed's real Placement, on its compute nodes' providers:
# check mode, reconcile, a re-run that changes nothing, remove, an eviction (reconcile to none),
# a trait of someone else's kept throughout, a host without a provider (failed, or skipped).
# Everything the test set is taken off the providers and deleted afterwards.
set -euo pipefail
# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh

OS_CLIENT_CONFIG_FILE=$(setting clouds_yaml)
export OS_CLIENT_CONFIG_FILE
# Two images no host has (traits are only names), and a trait of an operator's.
read -r image_a image_b < <(python -c 'import uuid; print(uuid.uuid4(), uuid.uuid4())')
foreign=CUSTOM_PRECACHE_TEST_OPERATOR
ours() {
    python -c 'import sys; print(" ".join("CUSTOM_IMAGE_CACHED_" + i.upper().replace("-", "_") for i in sys.argv[1:]))' "$@"
}
# shellcheck disable=SC2046 # one word per trait
cleanup() {
    python files/traits.py remove "$foreign" $(ours "$image_a" "$image_b")
}
at_exit cleanup
python files/traits.py add compute2 "$foreign"

ansible-playbook -i localhost, -c local placement_image_traits.yml \
    -e "image_a=$image_a image_b=$image_b foreign=$foreign" "$@"
