#!/usr/bin/env bash
# The progress callback over real cache_image runs with serial batches, checked exactly:
#   1. the aggregate options set: its JSON lines, its summary and its terminal lines (the
#      options win over the hosts' aggregates and the play's precache_aggregates);
#   2. the bus unreachable: one warning, the same notifications, a good run;
#   3. the test bed's RabbitMQ: a Nova-style listener, started before the playbook, receives
#      start, one progress per host and end; the play's precache_aggregates (a template over
#      -e aggregate=rollout) picks rollout for compute1, where it is the second aggregate;
#   4. check mode, precache_aggregates a list that names edge-b only: compute2 under edge-b
#      (its second aggregate), compute1 and compute3 under their first.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
transport_url=$(setting rabbitmq transport_url)

listener=
stop_listener() {
    if [ -n "$listener" ]; then
        # The listener deletes its queue when it is stopped (SIGTERM) as when it ends.
        kill "$listener" 2>/dev/null || true
        wait "$listener" || true
    fi
}
at_exit stop_listener

publish small:raw:4:1

export ANSIBLE_CALLBACKS_ENABLED=openstack_ops.precache.progress
export PRECACHE_PROGRESS_FILE=$work/progress.jsonl
export PRECACHE_PROGRESS_SUMMARY_FILE=$work/summary.json
options=(PRECACHE_PROGRESS_AGGREGATE_ID=7
         PRECACHE_PROGRESS_AGGREGATE_UUID=0d5a1c7e-8a43-4c1f-9a60-6c2f4c0e8d11
         PRECACHE_PROGRESS_AGGREGATE_NAME=precache-test)
precache_test='{"id": 7, "uuid": "0d5a1c7e-8a43-4c1f-9a60-6c2f4c0e8d11", "name": "precache-test"}'
# The aggregates of aggregates.yml.
rollout='{"id": 10, "uuid": "3c9e5d7a-8b2f-4e1c-a0d6-5f7b9e2c1d10", "name": "rollout"}'
edge_a='{"id": 11, "uuid": "6f1b3c2e-0a1d-4f6e-9a57-1e4d0c2b7a11", "name": "edge-a"}'
edge_b='{"id": 12, "uuid": "9d2a4b6c-1e3f-4a5b-8c7d-2f1e0a9b3c12", "name": "edge-b"}'

# Arguments of runme.sh (ansible-test passes its verbosity) go to each ansible-playbook.
verbosity=("$@")

# play LOG [NAME=VALUE ...] -- [ansible-playbook arguments]: progress.yml on the test bed's
# hosts with the aggregates' host variables, in the environment given; the output (stdout and
# warnings) goes to LOG.
play() {
    local log=$1 vars=()
    shift
    while [ "$1" != "--" ]; do
        vars+=("$1")
        shift
    done
    shift
    env "${vars[@]}" ansible-playbook -i "$inventory" -i aggregates.yml progress.yml \
        -e "@$work/plan.json" "${verbosity[@]}" "$@" > "$log" 2>&1 || { cat "$log"; return 1; }
}

# The callback's own warnings in a log (ansible-core wraps long warnings over lines).
progress_warnings() {
    tr -s ' \n' '  ' < "$1" | grep -o '\[WARNING\]: progress: [^[]*' || true
}

no_progress_warnings() {
    local found
    found=$(progress_warnings "$1")
    [ -z "$found" ] || { echo "unexpected warnings: $found" >&2; exit 1; }
}

echo "== 1. the aggregate options, which win over precache_aggregates"
play "$work/out1.log" "${options[@]}" -- -e aggregate=rollout
cat "$work/out1.log"
python files/check.py "$work/progress.jsonl" "$work/plan.json" "$precache_test" \
    "$work/summary.json" yes
grep -qE '^host 3/3 compute3: 1 cached, 0 failed \(100%, ETA 0:00\)$' "$work/out1.log"
grep -qE '^Completed 3 hosts, 0 errors in [0-9:]+, [0-9]+ bytes downloaded$' "$work/out1.log"
no_progress_warnings "$work/out1.log"

echo "== 2. nothing listens on port 1: one warning, the same notifications, a good run"
play "$work/out2.log" "${options[@]}" PRECACHE_PROGRESS_TRANSPORT_URL=rabbit://guest:guest@127.0.0.1:1/ \
    -- -e aggregate=rollout
python files/check.py "$work/progress.jsonl" "$work/plan.json" "$precache_test" \
    "$work/summary.json" yes
test "$(progress_warnings "$work/out2.log" | grep -c 'notifications are not sent to the bus')" = 1 ||
    { cat "$work/out2.log"; exit 1; }
test "$(progress_warnings "$work/out2.log" | wc -l)" = 1 || { cat "$work/out2.log"; exit 1; }

echo "== 3. the test bed's RabbitMQ and a Nova-style listener"
python -W ignore files/bus.py "$config" "$work" > "$work/bus.log" 2>&1 &
listener=$!
for _ in $(seq 300); do
    [ -f "$work/listening" ] && break
    kill -0 "$listener" 2>/dev/null || break
    sleep 0.2
done
[ -f "$work/listening" ] || { cat "$work/bus.log"; exit 1; }
play "$work/out3.log" PRECACHE_PROGRESS_TRANSPORT_URL="$transport_url" -- -e aggregate=rollout
touch "$work/played"
status=0
wait "$listener" || status=$?
listener=
cat "$work/bus.log"
test "$status" = 0 || exit 1
cat "$work/out3.log"
no_progress_warnings "$work/out3.log"
# What the callback wrote, and what the bus delivered, both exactly.
python files/check.py "$work/progress.jsonl" "$work/plan.json" "$rollout" "$work/summary.json" yes
python files/check.py "$work/bus.jsonl" "$work/plan.json" "$rollout"

echo "== 4. check mode; precache_aggregates names edge-b (and an aggregate of no host)"
play "$work/out4.log" -- --check -e '{"aggregate": ["nope", "edge-b"]}'
no_progress_warnings "$work/out4.log"
python files/check.py "$work/progress.jsonl" "$work/plan.json" \
    "{\"compute1\": $edge_a, \"compute2\": $edge_b, \"compute3\": $rollout}" "$work/summary.json" no
