#!/usr/bin/env bash
# Tenant data is data (docs/trust_boundaries.md), on the test bed, under ansible-core 2.16 (the
# core216 venv of tests/testbed/install.sh) and under the tools venv's: files/bed.py makes the
# images a tenant (the non-admin demo user) uploads and the aggregates, zone, server and
# disabled reason an operator's cloud holds, with templates that would touch $work/pwned-*,
# `{{ "...` and forged terminal lines in them; files/nova_proxy.py stands in for what a
# compromised compute node reports (its hypervisor host name, a service host with ESC and
# newlines). Per ansible-core:
#    inventory  the aggregates inventory, its host vars in templates; the forged host refused
#    refs       a UUID is an id, another project's image works by id, a name beats a decoy
#    default    precache.yml: the named and tagged images and the most popular one, with the
#               tenant's tagged and popular images left out and said so; summary file 0640
#    trusted    the same with the demo project trusted: its broken image fails on every host
#               (precache_serial 1), fails none of them and stops nothing, exit 0
#    strict     the trusted run with precache_fail_on_selected_images: the broken image fails
#               the hosts, exit 2
#    report     report.yml names every project's images, one Markdown row each, files 0600
#               (0640 when 0644 is asked for, under ansible-core 2.16: no read for others)
#    keep_warm  keep_warm.yml over the same
#    watch      watch.yml follows Nova's own pre-cache of the aggregate named by a template
# and after each: no template ran, no output holds a control character or a second summary.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
nova=$(address nova endpoint)
# The venvs are siblings: tools (this interpreter's) and core216.
venvs=$(dirname "$(python -c 'import sys; print(sys.prefix)')")
cores=("$venvs/tools/bin" "$venvs/core216/bin")
# run BIN COMMAND [arguments]: an ansible command of the venv BIN, with its own ansible-core
# (ansible-test's PYTHONPATH would give every venv the ansible-core that runs the tests).
run() {
    local bin=$1 command=$2
    shift 2
    env -u PYTHONPATH "$bin/$command" "$@"
}
for bin in "${cores[@]}"; do
    [ -x "$bin/ansible-playbook" ] || { echo "no $bin/ansible-playbook: run tests/testbed/install.sh" >&2; exit 1; }
done
run "${cores[1]}" ansible-playbook --version | grep -q '^ansible-playbook \[core 2\.16\.' ||
    { echo "the core216 venv does not run ansible-core 2.16" >&2; exit 1; }

chmod 0755 "$work"
uncache() {
    ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" uncache.yml -e "@$work/bed-vars.json" \
        > "$work/uncache.log" 2>&1 || { cat "$work/uncache.log"; return 1; }
}
cleanup() {
    unset OS_CLIENT_CONFIG_FILE
    if [ -s "$work/bed-vars.json" ]; then
        uncache || echo "could not clean the hosts' caches" >&2
    fi
    python files/bed.py cleanup "$config" || echo "could not delete the target's cloud objects" >&2
}
at_exit cleanup

# A command of the tested run: nothing it did may have run a template.
unpwned() {
    local found
    found=$(find "$work" -maxdepth 1 -name 'pwned-*' -printf '%f ')
    [ -z "$found" ] || { echo "templates ran on the controller ($1): $found" >&2; exit 1; }
}
checked() {
    python files/check.py "$@" || exit 1
}

python files/bed.py setup "$config" "$work"
python - "$work" > "$work/forged.json" <<'PY'
import json, sys
sys.path.insert(0, "files")
from bed import FORGED_LINES, template
print(json.dumps({"host": "compute1", "hypervisor_hostname": template(sys.argv[1], "hypervisor-hostname"),
                  "extra_host": "evil" + FORGED_LINES}))
PY
start_proxy files/nova_proxy.py "$nova" "$work/forged.json"
# The test bed's clouds, and precache-forged: the admin through the stand-in.
python ../setup_testbed/files/clouds_with.py "$config" precache-forged \
    "compute_endpoint_override=http://127.0.0.1:$proxy_port/v2.1" > "$work/clouds.yaml"
export OS_CLIENT_CONFIG_FILE=$work/clouds.yaml
cat > "$work/site.aggregates.yml" <<YAML
plugin: openstack_ops.precache.aggregates
cloud: precache-forged
include_disabled: true
compose:
  first_aggregate: nova_aggregates | first
  zone: nova_availability_zone
keyed_groups:
  - key: nova_availability_zone
    prefix: zone
  - key: nova_aggregates
    prefix: agg
YAML
sed 's/^include_disabled: true$/include_disabled: true\nhost_address: hypervisor_hostname/' \
    "$work/site.aggregates.yml" > "$work/hostname.aggregates.yml"
transport_url=$(setting rabbitmq transport_url)
forged_aggregate=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["forged_aggregate_id"])' "$work/bed.json")
demo_project=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["demo_project"])' "$work/bed.json")
good_id=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["images"]["good"]["id"])' "$work/bed.json")

python files/bed.py disable "$config" "$work"
for bin in "${cores[@]}"; do
    core=$(basename "$(dirname "$bin")")
    run "$bin" ansible-inventory -i "$work/site.aggregates.yml" --list > "$work/$core.list.json" \
        2> "$work/$core.list.err" || { cat "$work/$core.list.err"; exit 1; }
    unpwned "$core inventory"
    checked inventory "$work" "$work/$core.list.json" "$work/$core.list.err"
    run "$bin" ansible-inventory -i "$work/hostname.aggregates.yml" --list > "$work/$core.hostname.json" \
        2> "$work/$core.hostname.err" || { cat "$work/$core.hostname.err"; exit 1; }
    checked inventory-hostname "$work" "$work/$core.hostname.json" "$work/$core.hostname.err"
    run "$bin" ansible-playbook -i "$work/site.aggregates.yml" hostvars.yml "$@" > "$work/$core.hostvars.log" 2>&1 ||
        { cat "$work/$core.hostvars.log"; exit 1; }
    unpwned "$core host vars in templates"
    checked output "$work" "$work/$core.hostvars.log"
    echo "$core: inventory ok"
done
python files/bed.py enable "$config"

# play CORE NAME PLAYBOOK [arguments]: a playbook of the collection over the stand-in's
# inventory (and the test bed's, for SSH), with the progress callback; it must exit 0.
play() {
    local bin=$1 name=$2 playbook=$3 started=$SECONDS
    shift 3
    ANSIBLE_CALLBACKS_ENABLED=openstack_ops.precache.progress ANSIBLE_PIPELINING=true \
        PRECACHE_PROGRESS_SUMMARY_FILE=$work/$name.callback.json \
        run "$bin" ansible-playbook -i "$work/site.aggregates.yml" -i "$inventory" \
        "openstack_ops.precache.$playbook" -e precache_cloud=precache-admin -e aggregate=precache-untrusted-test \
        "$@" > "$work/$name.log" 2>&1 || { tail -n 100 "$work/$name.log"; echo "$name failed" >&2; exit 1; }
    unpwned "$name"
    checked output "$work" "$work/$name.log"
    echo "$name: $playbook ok in $((SECONDS - started)) s"
}
for bin in "${cores[@]}"; do
    core=$(basename "$(dirname "$bin")")
    run "$bin" ansible-playbook references.yml -e "@$work/bed-vars.json" "$@" > "$work/$core.refs.log" 2>&1 ||
        { cat "$work/$core.refs.log"; exit 1; }
    unpwned "$core references"

    tags=$(python -c 'import json, sys; print(json.dumps({"precache_image_tags": [json.load(open(sys.argv[1]))["tag"]]}))' "$work/bed.json")
    names=$(python -c 'import json, sys; print(json.dumps({"images": [json.load(open(sys.argv[1]))["images"]["good"]["name"]]}))' "$work/bed.json")
    play "$bin" "$core.default" precache -e "$names" -e "$tags" -e precache_popular_top=1 \
        -e precache_serial=1 -e "precache_summary_file=$work/$core.default.summary.json" \
        -e precache_summary_file_mode=0644 "$@"
    checked run-default "$work" "$core.default"

    play "$bin" "$core.trusted" precache -e "{\"images\": [\"$good_id\"]}" -e "$tags" \
        -e "{\"precache_image_owners\": [\"$demo_project\"]}" -e precache_popular_top=1 \
        -e precache_serial=1 -e "precache_summary_file=$work/$core.trusted.summary.json" "$@"
    checked run-trusted "$work" "$core.trusted"

    status=0
    run "$bin" ansible-playbook -i "$work/site.aggregates.yml" -i "$inventory" openstack_ops.precache.precache \
        -e precache_cloud=precache-admin -e aggregate=precache-untrusted-test \
        -e "{\"images\": [\"$good_id\"]}" -e "$tags" -e "{\"precache_image_owners\": [\"$demo_project\"]}" \
        -e precache_fail_on_selected_images=true -e "precache_summary_file=$work/$core.strict.summary.json" \
        "$@" > "$work/$core.strict.log" 2>&1 || status=$?
    [ "$status" = 2 ] || { tail -n 50 "$work/$core.strict.log"; echo "the strict run exited $status, not 2" >&2; exit 1; }
    unpwned "$core.strict"
    checked strict "$work" "$core.strict"

    if [ "$core" = core216 ]; then report_mode=0644; else report_mode=0600; fi
    play "$bin" "$core.report" report -e "precache_report_dir=$work/$core.report" \
        -e "precache_report_mode=$report_mode" "$@"
    checked report "$work" "$work/$core.report" "$report_mode"

    play "$bin" "$core.keep_warm" keep_warm -e "{\"images\": [\"$good_id\"]}" -e "$tags" "$@"

    # By id: the aggregate's name (a template) comes from Nova, and its notifications.
    play "$bin" "$core.watch" watch -e "aggregate=$forged_aggregate" -e "precache_transport_url=$transport_url" \
        -e precache_nova_timeout=120 -e "precache_summary_file=$work/$core.watch.summary.json" "$@" &
    watcher=$!
    # Asked again until the watcher saw a run start, so that a listener slow to start misses none.
    for _ in $(seq 40); do
        kill -0 "$watcher" 2>/dev/null || break
        python files/bed.py precache "$config" "$work"
        sleep 3
    done
    wait "$watcher"
    checked watch "$work" "$core.watch"
    echo "$core: role, report, keep-warm and watch ok"
done
