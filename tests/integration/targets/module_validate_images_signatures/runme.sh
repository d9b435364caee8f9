#!/usr/bin/env bash
# validate_images against signed images of the test bed (signed with its PKI, the certificates
# in its Barbican): good ones are planned with their certificates, and the ones hosts that
# verify signatures would refuse fail the validation together, before anything else runs.
set -euo pipefail
# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
OS_CLIENT_CONFIG_FILE=$(setting clouds_yaml)
export OS_CLIENT_CONFIG_FILE

images=../setup_testbed/files/testbed_images.py
work=$(mktemp -d)
cleanup() {
    [ -s "$work/plan.json" ] && python "$images" "$config" delete "$work/plan.json"
    rm -rf "$work"
}
trap cleanup EXIT

python "$images" "$config" publish good:raw:2:1:sign=rsa plain:raw:2:1 ecc:raw:2:1:sign=ecc \
    expired:raw:2:1:sign=expired missing:raw:2:1:sign=rsa:cert=random \
    opaque:raw:2:1:sign=rsa:cert=opaque mismatch:raw:2:1:sign=rsa:cert=ecc > "$work/plan.json"
ansible-playbook -i localhost, -c local -e "@$work/plan.json" signatures.yml "$@"
