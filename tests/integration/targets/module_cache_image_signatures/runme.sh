#!/usr/bin/env bash
# Signed images on hosts whose Nova verifies signatures: the module run as root, as operators
# run it, each host with an instances dir of its own under a directory every host sees.
# compute1 runs Python 3.9 without cryptography, compute2 Debian's python3 with it, and
# compute3 does not verify.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
shared_dir signatures
publish good:raw:16:4:sign=rsa ecc:qcow2:16:4:sign=ecc \
    tampered:qcow2:16:4:sign=rsa:tamper wrongcert:qcow2:16:4:sign=rsa:cert=random \
    mismatch:qcow2:16:4:sign=rsa:cert=ecc opaque:qcow2:16:4:sign=rsa:cert=opaque \
    untrusted:qcow2:16:4:sign=untrusted expired:qcow2:16:4:sign=expired plain:qcow2:16:4

ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" signatures.yml -e "@$work/plan.json" \
    -e "shared=$shared" "$@"
