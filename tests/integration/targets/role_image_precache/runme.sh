#!/usr/bin/env bash
# The main job (playbooks/precache.yml and keep_warm.yml, the image_precache role) end to end on
# the test bed: the aggregates inventory over aggregates made here (-i aggregates.yml -i the test
# bed's inventory, for SSH), real images in Glance, the three SSH compute hosts, the progress
# callback. Keystone is reached through files/keystone_proxy.py, which logs each token it issues.
#    s1  a full run, precache_serial=2, at -vvvv: the images on every host, the summary file, the
#        notifications under the aggregate of the run, a token per batch
#    s2  again, the files aged, precache_serial=1: nothing changed, mtimes refreshed, batches in
#        order with a token each
#    s3  compute2's disk full, precache_serial=1: the others cache, compute3 after it too, exit 2
#    s3b compute1 unreachable, alone in the first batch: more than 50% failed, the rollout stops,
#        the later hosts untouched and reported not attempted, exit 2
#    s4  an image that does not exist: fails before any SSH connection, saying which and why
#    s7  keep_warm.yml: refreshes what is cached, downloads nothing else, takes no token
#    s8  --limit; a list of aggregates; a misspelled aggregate, failing with the known ones
#    s9  --check changes nothing
#    s10 the job run by ansible-runner (AWX's engine): its status and events
#    s11 precache_cache_max_count with a pinned image: the others evicted, least recently used first
# and no token Keystone issued appears in any output (s1's -vvvv included) or runner artifact.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
keystone=$(address keystone auth_url)

keys='["qcow2", "raw", "c", "d", "e", "f"]'
export ANSIBLE_SSH_CONTROL_PATH_DIR=$work/cp
filled=
# hosts.yml with extra vars: look at the cache dirs, prepare the next scenario.
on_hosts() {
    ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" hosts.yml -e "@$work/plan.json" "$@" \
        > "$work/hosts.log" 2>&1 || { cat "$work/hosts.log"; return 1; }
}
cleanup() {
    # The test bed's own clouds.yaml from here on (testbed_images.py, nova_aggregates.py).
    unset OS_CLIENT_CONFIG_FILE
    if [ -n "$filled" ]; then
        on_hosts -e "{\"unmount\": [\"$filled\"]}" || echo "could not unmount the tmpfs of $filled" >&2
    fi
    if [ -s "$work/plan.json" ]; then
        on_hosts -e "{\"remove\": $keys}" || echo "could not remove the cached images" >&2
    fi
    python files/nova_aggregates.py cleanup "$config" || echo "could not delete the aggregates" >&2
}
at_exit cleanup

python files/nova_aggregates.py setup "$config"
# d: for the list of aggregates, e: never cached (s4, s9), f: for ansible-runner.
publish qcow2:qcow2:8:2 raw:raw:4:1 c:raw:4:1 d:raw:4:1 e:raw:4:1 f:raw:4:1

start_proxy files/keystone_proxy.py "$keystone" "$work/keystone.jsonl"
# The test bed's clouds, authenticating through the proxy.
python - "$config" "$proxy_port" > "$work/clouds.yaml" <<'PY'
import json, sys
clouds = json.load(open(sys.argv[1]))["testbed"]["clouds"]
for cloud in clouds.values():
    cloud["auth"]["auth_url"] = "http://127.0.0.1:%s/v3" % sys.argv[2]
print(json.dumps({"clouds": clouds}, indent=2))
PY
export OS_CLIENT_CONFIG_FILE=$work/clouds.yaml
cat > "$work/aggregates.yml" <<YAML
plugin: openstack_ops.precache.aggregates
cloud: precache-admin
YAML

# Arguments of runme.sh (ansible-test passes its verbosity) go to each run of the job.
verbosity=("$@")

# play NAME PLAYBOOK [ansible-playbook arguments]: a playbook of the collection, with the
# progress callback; what it leaves goes to $work/NAME.* (see files/check.py). Its exit code is
# recorded, not acted on: some scenarios must fail.
play() {
    local name=$1 playbook=$2 status=0
    shift 2
    : > "$work/keystone.jsonl"
    date +%s.%N > "$work/$name.start"
    ANSIBLE_CALLBACKS_ENABLED=openstack_ops.precache.progress \
        PRECACHE_PROGRESS_FILE=$work/$name.progress.jsonl \
        PRECACHE_PROGRESS_SUMMARY_FILE=$work/$name.callback.json \
        ansible-playbook -i "$work/aggregates.yml" -i "$inventory" \
        "openstack_ops.precache.$playbook" -e precache_cloud=precache-admin "$@" \
        > "$work/$name.log" 2>&1 || status=$?
    echo "$status" > "$work/$name.rc"
    cp "$work/keystone.jsonl" "$work/$name.keystone.jsonl"
    echo "$name: $playbook exited with $status"
}

check() {
    python files/check.py "$config" "$work" "$1" ||
        { tail -n 200 "$work/$1.log" 2>/dev/null; exit 1; }
}

images_of() {
    python files/check.py "$config" "$work" images "$@"
}

# s1: by name and by id, on the aggregate the inventory names precache_role_test.
play s1 precache -e aggregate=precache-role-test -e "$(images_of qcow2:name raw)" \
    -e precache_serial=2 -e "precache_summary_file=$work/s1.summary.json" -vvvv
on_hosts -e state="$work/s1.state.json" -e '{"age": ["qcow2", "raw"]}'
check s1

play s2 precache -e aggregate=precache-role-test -e "$(images_of qcow2 raw)" \
    -e precache_serial=1 "${verbosity[@]}"
filled=compute2
on_hosts -e state="$work/s2.state.json" -e '{"fill": ["compute2"]}'
check s2

play s3 precache -e aggregate=precache-role-test -e "$(images_of qcow2 raw)" \
    -e precache_serial=1 -e "precache_summary_file=$work/s3.summary.json" "${verbosity[@]}"
on_hosts -e '{"unmount": ["compute2"], "age": ["qcow2"]}'
filled=
check s3

# compute1 unreachable: a third inventory source overrides its port.
printf 'all:\n  hosts:\n    compute1:\n      ansible_port: 1\n' > "$work/unreachable.yml"
play s3b precache -i "$work/unreachable.yml" -e aggregate=precache-role-test \
    -e "$(images_of qcow2 c)" -e precache_serial=1 -e "precache_summary_file=$work/s3b.summary.json" \
    "${verbosity[@]}"
on_hosts -e state="$work/s3b.state.json"
check s3b

# A control path dir of its own: any SSH connection would leave its master's socket there.
ANSIBLE_SSH_CONTROL_PATH_DIR=$work/cp-s4 play s4 precache -e aggregate=precache-role-test \
    -e "$(images_of "=precache-role-no-such-image" e)" "${verbosity[@]}"
check s4

# -v: cache_image's results, with images_skipped.
play s7 keep_warm -e aggregate=precache-role-test -e "$(images_of qcow2 c)" -e precache_serial=1 -v
on_hosts -e state="$work/s7.state.json"
check s7

play s8 precache -e aggregate=precache-role-test -e "$(images_of c)" --limit compute3 \
    "${verbosity[@]}"
play s8b precache -e '{"aggregate": ["precache-role-x1", "precache-role-x2"]}' \
    -e "$(images_of d)" "${verbosity[@]}"
ANSIBLE_SSH_CONTROL_PATH_DIR=$work/cp-s8c play s8c precache -e aggregate=precache-role-tset \
    -e "$(images_of d)" "${verbosity[@]}"
on_hosts -e state="$work/s8.state.json" -e '{"age": ["qcow2"]}'
check s8

play s9 precache -e aggregate=precache-role-test -e "$(images_of qcow2 e)" --check "${verbosity[@]}"

# s10: ansible-runner with a private data dir, as AWX runs a job template.
runner=$work/runner
mkdir -p "$runner/project" "$runner/inventory" "$runner/env"
cp "$work/aggregates.yml" "$runner/inventory/aggregates.yml"
cp "$inventory" "$runner/inventory/testbed.yml"
cat > "$runner/project/precache.yml" <<'YAML'
---
- name: The main job, from the installed collection
  ansible.builtin.import_playbook: openstack_ops.precache.precache
YAML
images_of f | python -c 'import json, sys
extravars = json.load(sys.stdin)
extravars.update(aggregate="precache-role-test", precache_cloud="precache-admin", precache_serial=2)
print(json.dumps(extravars))' > "$runner/env/extravars"
# The progress callback as an AWX job enables it, through the job's environment.
python -c 'import json, sys
print(json.dumps({"ANSIBLE_CALLBACKS_ENABLED": "openstack_ops.precache.progress",
                  "PRECACHE_PROGRESS_FILE": sys.argv[1]}))' "$work/s10.progress.jsonl" > "$runner/env/envvars"
: > "$work/keystone.jsonl"
status=0
ansible-runner run "$runner" -p precache.yml --ident s10 > "$work/s10.log" 2>&1 || status=$?
cp "$work/keystone.jsonl" "$work/s10.keystone.jsonl"
echo "s10: ansible-runner exited with $status"
[ "$status" = 0 ] || { cat "$work/s10.log"; exit 1; }
on_hosts -e state="$work/s10.state.json"
check s9
check s10

# s11: eviction through the role: at most 2 images per host, e new and qcow2 pinned, so the
# test's other images (raw, c, d, f, where cached) go, least recently used first.
pinned=$(images_of qcow2 | python -c 'import json, sys
print(json.dumps({"precache_pinned_images": json.load(sys.stdin)["images"]}))')
play s11 precache -e aggregate=precache-role-test -e "$(images_of e)" -e "$pinned" \
    -e precache_cache_max_count=2 -v
on_hosts -e state="$work/s11.state.json"
check s11

check tokens
