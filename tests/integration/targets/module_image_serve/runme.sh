#!/usr/bin/env bash
# image_serve against the test bed: the seed compute1 serves a file staged as its nova user,
# compute2 fetches it over the (loopback) LAN; every run of it at -vvv, with the token checked
# absent from the output.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
hex() {
    python -c 'import secrets; print(secrets.token_hex(16))'
}
run_id=$(hex)
late_run_id=$(hex)
image_id=$(python -c 'import uuid; print(uuid.uuid4())')
token=$(python -c 'import secrets; print(secrets.token_urlsafe(24))')
# From a file: ansible-playbook -vvv prints its command line's extra vars.
(umask 077 && echo "token: '$token'" > "$work/token.yml")

_clean_up() {
    ansible-playbook -i "$inventory" cleanup.yml -e "run_id=$run_id late_run_id=$late_run_id" \
        > "$work/cleanup.log" 2>&1 || { cat "$work/cleanup.log"; return 1; }
}
at_exit _clean_up

if ! ansible-playbook -i "$inventory" image_serve.yml -e "run_id=$run_id late_run_id=$late_run_id" \
        -e "image_id=$image_id" -e "@$work/token.yml" -vvv "$@" > "$work/vvv.log" 2>&1; then
    cat "$work/vvv.log"
    exit 1
fi
tail -n 40 "$work/vvv.log"
if grep -qF "$token" "$work/vvv.log"; then
    echo "the token appears in the -vvv output of image_serve.yml, here as <TOKEN>:" >&2
    grep -nF "$token" "$work/vvv.log" | sed "s/$token/<TOKEN>/g" | cut -c 1-600 >&2
    exit 1
fi
