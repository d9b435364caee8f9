#!/usr/bin/env bash
# validate_images against the test bed: images in every state Glance can be put in, selected by
# name, id, tag and query; the plan downloaded with its token; the token never in the output.
set -euo pipefail

# ansible-test copies tests/integration/integration_config.yml (the test bed's facts) here.
config=../../integration_config.yml
OS_CLIENT_CONFIG_FILE=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["testbed"]["clouds_yaml"])' "$config")
export OS_CLIENT_CONFIG_FILE

work=$(mktemp -d)
cleanup() {
    [ -s "$work/images.json" ] && python files/images.py delete "$work/images.json"
    rm -rf "$work"
}
trap cleanup EXIT

python files/images.py create > "$work/images.json"
run() {
    ansible-playbook -i localhost, -c local -e "@$work/images.json" -e "work=$work" "$@"
}

run validate_images.yml "$@"

run no_log.yml -vvvv > "$work/vvvv.log" 2>&1 || { cat "$work/vvvv.log"; exit 1; }
token=$(cat "$work/token")
[ -n "$token" ] || { echo "no_log.yml wrote no token" >&2; exit 1; }
if grep -qF "$token" "$work/vvvv.log"; then
    echo "the token appears in the -vvvv output of no_log.yml" >&2
    exit 1
fi
grep -q "ambiguous name" "$work/vvvv.log" ||
    { echo "the validation failure of no_log.yml is not in its output" >&2; exit 1; }
