#!/usr/bin/env bash
# The progress callback over a real cache_image run with serial batches: its JSON lines, its
# summary and its terminal lines; then the same with the bus unreachable, which only warns.
set -euo pipefail

# ansible-test copies tests/integration/integration_config.yml (the test bed's facts) here.
config=../../integration_config.yml
inventory=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["testbed"]["inventory"])' "$config")

images=../setup_testbed_images/files/testbed_images.py
work=$(mktemp -d)
cleanup() {
    [ -f "$work/plan.json" ] && python "$images" "$config" delete "$work/plan.json"
    rm -rf "$work"
}
trap cleanup EXIT

python "$images" "$config" publish small:raw:4:1 > "$work/plan.json"

export ANSIBLE_CALLBACKS_ENABLED=openstack_ops.precache.progress
export PRECACHE_PROGRESS_FILE=$work/progress.jsonl
export PRECACHE_PROGRESS_SUMMARY_FILE=$work/summary.json
export PRECACHE_PROGRESS_AGGREGATE_ID=7
export PRECACHE_PROGRESS_AGGREGATE_UUID=0d5a1c7e-8a43-4c1f-9a60-6c2f4c0e8d11
export PRECACHE_PROGRESS_AGGREGATE_NAME=precache-test
aggregate='{"id": 7, "uuid": "0d5a1c7e-8a43-4c1f-9a60-6c2f4c0e8d11", "name": "precache-test"}'

ansible-playbook -i "$inventory" progress.yml -e "@$work/plan.json" "$@" | tee "$work/out.log"
python files/check.py "$work/progress.jsonl" "$work/summary.json" "$work/plan.json" "$aggregate" yes
grep -qE '^host 3/3 compute3: 1 cached, 0 failed \(100%, ETA 0:00\)$' "$work/out.log"
grep -qE '^Completed 3 hosts, 0 errors in [0-9:]+, [0-9]+ bytes downloaded$' "$work/out.log"

# Nothing listens on port 1: one warning, the same notifications in the file, a good run.
PRECACHE_PROGRESS_TRANSPORT_URL=rabbit://guest:guest@127.0.0.1:1/ \
    ansible-playbook -i "$inventory" progress.yml -e "@$work/plan.json" "$@" > "$work/out2.log" 2>&1 ||
    { cat "$work/out2.log"; exit 1; }
python files/check.py "$work/progress.jsonl" "$work/summary.json" "$work/plan.json" "$aggregate" yes
warnings=$(tr -s ' \n' '  ' < "$work/out2.log" | grep -o 'notifications are not sent to the bus' | wc -l)
test "$warnings" = 1 ||
    { cat "$work/out2.log"; exit 1; }

# The real bus: the callback's notifier (oslo.messaging, Nova's topic and exchange) and a Nova
# style listener on the test bed's RabbitMQ, in the test bed's openstack venv.
# The controller runs in the tools venv; the openstack venv is its sibling.
venvs=${PRECACHE_VENV_DIR:-$(python -c 'import os, sys; print(os.path.dirname(sys.prefix))')}
callback=$(ansible-doc -t callback --json openstack_ops.precache.progress |
    python -c 'import json, sys; print(list(json.load(sys.stdin).values())[0]["doc"]["filename"])')
"$venvs/openstack/bin/python" -W ignore::DeprecationWarning files/bus.py "$config" \
    "$(dirname "$callback")/../plugin_utils/_progress.py" "$work/progress.jsonl"
