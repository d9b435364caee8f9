#!/usr/bin/env bash
# The main job (playbooks/precache.yml, the image_precache role) on a mixed aggregate:
# compute1 and compute3 are rbd hosts for the test's duration (a nova.conf drop-in), compute2
# caches locally. precache_serial=1, so each host is a batch of its own.
#    s1  both rbd hosts on store site-b: the images are copied to site-b once (one Glance task
#        per image, not one per host or batch), compute2 caches them, the rbd hosts cache
#        nothing and count as done, in the callback's notifications and both summaries
#    s2  compute3's store is site-x, which Glance does not know: compute3 fails saying so,
#        compute1 (site-b) and compute2 still succeed; the run exits 2
#    s3  keep_warm.yml (compute3 on site-b again): an image in site-b counts as cached on the rbd
#        hosts, one only in site-a is skipped and not copied; nothing fails
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
OS_CLIENT_CONFIG_FILE=$(setting clouds_yaml)
export OS_CLIENT_CONFIG_FILE

export ANSIBLE_SSH_CONTROL_PATH_DIR=$work/cp
on_hosts() {
    ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" hosts.yml -e "@$work/plan.json" "$@" \
        > "$work/hosts.log" 2>&1 || { cat "$work/hosts.log"; return 1; }
}
delete_bed() {
    python files/bed.py cleanup "$config"
}
remove_cached() {
    [ ! -s "$work/plan.json" ] || on_hosts -e remove=true
}
at_exit delete_bed

python files/bed.py setup "$config"
publish a:raw:4:1 b:raw:4:1 c:raw:4:1 d:raw:4:1
at_exit remove_cached
cat > "$work/aggregates.yml" <<YAML
plugin: openstack_ops.precache.aggregates
cloud: precache-admin
YAML

# play NAME PLAYBOOK [ansible-playbook arguments]: a job with the progress callback; its output,
# exit code, notifications and summaries go to $work/NAME.*.
play() {
    local name=$1 playbook=$2 status=0
    shift 2
    ANSIBLE_CALLBACKS_ENABLED=openstack_ops.precache.progress \
        PRECACHE_PROGRESS_FILE=$work/$name.progress.jsonl \
        PRECACHE_PROGRESS_SUMMARY_FILE=$work/$name.callback.json \
        ansible-playbook -i "$work/aggregates.yml" -i "$inventory" "openstack_ops.precache.$playbook" \
        -e precache_cloud=precache-admin -e aggregate=precache-rbd-test -e precache_serial=1 \
        -e precache_store_copy_poll_interval=1 -e "precache_summary_file=$work/$name.summary.json" \
        "$@" > "$work/$name.log" 2>&1 || status=$?
    echo "$status" > "$work/$name.rc"
    echo "$name: exited with $status"
}
ids() {
    python -c 'import json, sys
plan = json.load(open(sys.argv[1]))["plan"]
print(" ".join(plan[key]["id"] for key in sys.argv[2:]))' "$work/plan.json" "$@"
}
check() {
    python files/check.py "$work" "$1" || { tail -n 150 "$work/$1.log"; exit 1; }
}

python files/bed.py rbd "$config" compute1 site-b
python files/bed.py rbd "$config" compute3 site-b
play s1 precache -e "{\"images\": [\"$(ids a)\", \"$(ids b)\"]}" "$@"
on_hosts -e state="$work/s1.state.json"
# shellcheck disable=SC2046 # one id per word
python files/bed.py stores "$config" $(ids a b) > "$work/s1.stores"
check s1

python files/bed.py rbd "$config" compute3 site-x
play s2 precache -e "{\"images\": [\"$(ids c)\"]}" "$@"
on_hosts -e state="$work/s2.state.json"
# shellcheck disable=SC2046
python files/bed.py stores "$config" $(ids c) > "$work/s2.stores"
check s2

python files/bed.py rbd "$config" compute3 site-b
play s3 keep_warm -e "{\"images\": [\"$(ids a)\", \"$(ids d)\"]}" "$@"
on_hosts -e state="$work/s3.state.json"
# shellcheck disable=SC2046
python files/bed.py stores "$config" $(ids a d) > "$work/s3.stores"
check s3
