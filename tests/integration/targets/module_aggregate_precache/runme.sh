#!/usr/bin/env bash
# aggregate_precache on the test bed's real Nova and RabbitMQ, checked against what Nova did:
#   1. the module: an unknown image fails before anything starts, a three-host run followed
#      to its end, the same run again, a disabled host cached and a forced-down one skipped,
#      a run started with openstacksdk followed in watch mode, no transport URL;
#   2. the bus password never shows, even at -vvvv;
#   3. playbooks/precache.yml with the nova engine, with compute hosts in the inventory that
#      cannot be reached: no play connects to them; the progress callback's lines, its
#      notifications and the role's summary, exactly; the bus password not in its -vvvv output;
#      the images copied into the rbd store site-b, reported per store; an unknown store fails
#      the run before Nova is asked anything;
#   4. playbooks/watch.yml follows a run started with openstacksdk alone, a forced-down host
#      skipped; with no run it fails (exit code 2) when its time is up;
#   6. a nova-compute that never answers its cache_images call (its process stopped while Nova
#      lists it up): the run fails, naming that host;
#   7. RabbitMQ restarted mid-run (compute2 stopped again, so that the run lasts): the module
#      stops at once and fails as "could not follow", with what it saw; Nova's services
#      reconnect, and a run after it is followed to its end.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
OS_CLIENT_CONFIG_FILE=$(setting clouds_yaml)
export OS_CLIENT_CONFIG_FILE
transport_url=$(setting rabbitmq transport_url)

aggregate=precache-test-nova-$(python -c 'import uuid; print(uuid.uuid4().hex[:8])')
delete_aggregate() {
    python files/nova.py "$config" cleanup
}
at_exit delete_aggregate

publish small:raw:4:1 tiny:qcow2:4:1
python files/nova.py "$config" aggregate "$aggregate" > /dev/null

small=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["plan"]["small"]["id"])' "$work/plan.json")
tiny=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["plan"]["tiny"]["id"])' "$work/plan.json")
tiny_name=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["plan"]["tiny"]["name"])' "$work/plan.json")
aggregate_id=$(python files/nova.py "$config" aggregate-id "$aggregate")
# The bus URL for the playbooks, in a file rather than on their command line.
printf 'precache_transport_url: "%s"\n' "$transport_url" > "$work/bus.yml"

run() {
    ansible-playbook -i localhost, -c local -e "@$work/plan.json" -e "aggregate=$aggregate" \
        -e "work=$work" "$@"
}

echo "== 1. the module"
run aggregate_precache.yml "$@"

echo "== 2. the transport URL never shows"
run no_log.yml -vvvv > "$work/vvvv.log" 2>&1 || { cat "$work/vvvv.log"; exit 1; }
for secret in "$transport_url" "$(echo "$transport_url" | cut -d@ -f1)"; do
    if grep -qF -- "$secret" "$work/vvvv.log"; then
        echo "the transport URL (or its credentials) appears in the -vvvv output" >&2
        exit 1
    fi
done
grep -q '"complete": true' "$work/vvvv.log" ||
    { echo "no_log.yml did not follow its run" >&2; cat "$work/vvvv.log"; exit 1; }

echo "== 3. playbooks/precache.yml with the nova engine, from the controller alone"
{
    echo "all:"
    echo "  hosts:"
    for host in compute1 compute2 compute3; do
        echo "    $host: {ansible_host: 127.0.0.1, ansible_port: 1, ansible_connection: ssh}"
    done
} > "$work/unreachable.yml"
export ANSIBLE_CALLBACKS_ENABLED=openstack_ops.precache.progress
export PRECACHE_PROGRESS_FILE=$work/progress.jsonl
ansible-playbook -i "$work/unreachable.yml" openstack_ops.precache.precache \
    -e precache_engine=nova -e precache_cloud=precache-admin -e "aggregate=$aggregate" \
    -e "{\"images\": [\"$small\", \"$tiny_name\"], \"precache_nova_rbd_stores\": [\"site-b\"]}" \
    -e "@$work/bus.yml" -e precache_store_copy_poll_interval=1 \
    -e "precache_summary_file=$work/summary.json" -vvvv > "$work/engine.log" 2>&1 ||
    { cat "$work/engine.log"; exit 1; }
grep -E '^(host [0-9]|Completed |PLAY RECAP|localhost )' "$work/engine.log"
for secret in "$transport_url" "$(echo "$transport_url" | cut -d@ -f1)"; do
    if grep -qF -- "$secret" "$work/engine.log"; then
        echo "the transport URL (or its credentials) appears in the role's -vvvv output" >&2
        exit 1
    fi
done
python files/check_run.py "$work/engine.log" "$work/progress.jsonl" "$work/summary.json" \
    "$aggregate" "$small,$tiny" "" site-b
echo "== 3b. an rbd store Glance does not know fails the run before Nova is asked anything"
status=0
ansible-playbook -i "$work/unreachable.yml" openstack_ops.precache.precache \
    -e precache_engine=nova -e precache_cloud=precache-admin -e "aggregate=$aggregate" \
    -e "{\"images\": [\"$small\"], \"precache_nova_rbd_stores\": [\"site-x\"]}" \
    -e "@$work/bus.yml" > "$work/bad_store.log" 2>&1 || status=$?
[ "$status" = 2 ] || { cat "$work/bad_store.log"; echo "a bad store exited $status, not 2" >&2; exit 1; }
grep -q "Glance has no store 'site-x' (its stores: site-a, site-b)" "$work/bad_store.log" ||
    { cat "$work/bad_store.log"; exit 1; }
if grep -q "Have Nova cache the images, one aggregate after another" "$work/bad_store.log"; then
    echo "Nova was asked although a store was bad" >&2
    exit 1
fi

echo "== 4. playbooks/watch.yml follows a run started with openstacksdk, compute3 forced down"
python files/nova.py "$config" force-down compute3
rm -f "$work/summary.json"
ansible-playbook openstack_ops.precache.watch -e precache_cloud=precache-admin \
    -e "aggregate=$aggregate" -e "@$work/bus.yml" -e precache_nova_timeout=120 \
    -e "precache_summary_file=$work/summary.json" "$@" > "$work/watch.log" 2>&1 &
watcher=$!
# The watcher follows the first run it sees start: ask again until it saw one, so that a
# listener slow to start misses nothing the test needs.
for _ in $(seq 40); do
    kill -0 "$watcher" 2>/dev/null || break
    python files/nova.py "$config" precache "$aggregate_id" "$tiny"
    sleep 3
done
status=0
wait "$watcher" || status=$?
python files/nova.py "$config" restore
cat "$work/watch.log"
test "$status" = 0 || { echo "watch.yml exited with $status" >&2; exit 1; }
python files/check_run.py "$work/watch.log" "$work/progress.jsonl" "$work/summary.json" \
    "$aggregate" "$tiny" compute3

echo "== 5. playbooks/watch.yml with no run: it fails when its time is up"
status=0
ansible-playbook openstack_ops.precache.watch -e precache_cloud=precache-admin \
    -e "aggregate=$aggregate" -e "@$work/bus.yml" -e precache_nova_timeout=3 "$@" \
    > "$work/quiet.log" 2>&1 || status=$?
cat "$work/quiet.log"
test "$status" = 2 || { echo "watch.yml with no run exited with $status, not 2" >&2; exit 1; }
grep -q "no pre-cache run started in 3 s" "$work/quiet.log"

echo "== 6. a nova-compute that never answers: Nova sends no result for it, the run fails"
# Stopped, not killed (a fake compute cannot restart); the conductor's call gives up after
# rpc_response_timeout (60 s) without a heartbeat. Let it go on whatever happens.
thaw() {
    python files/nova.py "$config" thaw compute2
}
at_exit thaw
python files/nova.py "$config" freeze compute2
run unreported.yml "$@"
thaw

echo "== 7. RabbitMQ restarted mid-run: could not follow, said at once, with what was seen"
python files/nova.py "$config" freeze compute2
started=$SECONDS
# Not through run(): $! must be ansible-playbook's own pid, for stop_runner.
ansible-playbook -i localhost, -c local -e "@$work/plan.json" -e "aggregate=$aggregate" \
    -e "work=$work" outage.yml "$@" &
runner=$!
stop_runner() {
    kill "$runner" 2>/dev/null || true
    wait "$runner" || true
    exit 1
}
python files/nova.py "$config" bus-queue openstack-ops-precache- || stop_runner
sleep 3  # the request and the report of compute1
python files/nova.py "$config" bus-restart || stop_runner
restarted=$SECONDS
status=0
wait "$runner" || status=$?
thaw
test "$status" = 0 || { echo "outage.yml failed" >&2; exit 1; }
# Stopped by the outage, not by its 150 s timeout nor by the conductor's 60 s call timeout.
took=$((SECONDS - restarted))
[ "$took" -lt 45 ] || { echo "the module took $took s after the restart to stop" >&2; exit 1; }
echo "stopped $took s after the broker's restart ($((SECONDS - started)) s in all)"
# The bed is whole again for the targets after this one: a run after the restart is followed to
# its end. On an aggregate of its own, which the conductor's call to compute2 for the interrupted
# run (until its 60 s timeout) cannot be taken for. Nova's conductor may take a minute to renew
# the connections of its pool, so a run that fails is tried again.
whole=
for attempt in 1 2 3; do
    python files/nova.py "$config" aggregate "$aggregate-after-$attempt" > /dev/null
    if run after_outage.yml -e "aggregate=$aggregate-after-$attempt" "$@" > "$work/after.log" 2>&1; then
        whole=yes
        break
    fi
    echo "attempt $attempt: Nova did not finish a run yet after the broker's restart"
    sleep 10
done
[ -n "$whole" ] || { cat "$work/after.log"; echo "Nova is not whole again after the restart" >&2; exit 1; }
