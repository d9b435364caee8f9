#!/usr/bin/env bash
# cache_image against hostile servers: a trickle that would hold Nova's lock, an error page
# that echoes the token, a malformed signed URL. Each must fail at once, leave nothing behind
# and print no part of a secret.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)

pids=()
stop_servers() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
at_exit stop_servers

publish small:raw:8:2
size=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["plan"]["small"]["size"])' "$work/plan.json")
python files/hostile_server.py --trickle 25995 --echo 25996 --size "$size" --log "$work/requests.log" &
pids+=($!)
for _ in $(seq 50); do [ -e "$work/requests.log" ] && break; sleep 0.1; done
[ -e "$work/requests.log" ] || { echo "the hostile servers did not start" >&2; exit 1; }

token=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["token"])' "$work/plan.json")
secret=$(python -c 'import secrets; print(secrets.token_hex(20))')

# Fails if any 8 characters in a row of the secret in $1 appear in the file $2.
no_part_of() {
    python - "$1" "$2" <<'PY'
import sys
secret, text = sys.argv[1], open(sys.argv[2], errors="replace").read()
leaks = sorted({secret[i:i + 8] for i in range(len(secret) - 7) if secret[i:i + 8] in text})
if leaks:
    sys.exit("%s shows parts of a secret: %s" % (sys.argv[2], ", ".join(leaks)))
PY
}

# -v at most: from -vvv on, ansible-playbook prints the task's arguments, the URL among them.
ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" hostile_transfer.yml -v \
    -e "@$work/plan.json" -e "secret=$secret requests_log=$work/requests.log" \
    > "$work/run.log" 2>&1 || { cat "$work/run.log"; exit 1; }
cat "$work/run.log"
no_part_of "$secret" "$work/run.log"

ansible-playbook -i "$inventory" echo_token.yml -e "@$work/plan.json" -vvvv \
    > "$work/vvvv.log" 2>&1 || { cat "$work/vvvv.log"; exit 1; }
grep -q "access to the image data was refused" "$work/vvvv.log" ||
    { cat "$work/vvvv.log"; echo "the 403 was not reported" >&2; exit 1; }
no_part_of "$token" "$work/vvvv.log"
