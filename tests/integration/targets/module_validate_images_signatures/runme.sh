#!/usr/bin/env bash
# validate_images against signed images of the test bed (signed with its PKI, the certificates
# in its Barbican): good ones are planned with their certificates, and the ones hosts that
# verify signatures would refuse fail the validation together, before anything else runs.
set -euo pipefail
# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
OS_CLIENT_CONFIG_FILE=$(setting clouds_yaml)
export OS_CLIENT_CONFIG_FILE

publish good:raw:2:1:sign=rsa plain:raw:2:1 ecc:raw:2:1:sign=ecc \
    expired:raw:2:1:sign=expired missing:raw:2:1:sign=rsa:cert=random \
    opaque:raw:2:1:sign=rsa:cert=opaque mismatch:raw:2:1:sign=rsa:cert=ecc
ansible-playbook -i localhost, -c local -e "@$work/plan.json" signatures.yml "$@"
