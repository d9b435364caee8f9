#!/usr/bin/env bash
# Live progress (docs/progress.md): playbooks/precache.yml on compute1 and compute2, each caching
# into an instances dir of its own, one image that takes several poll intervals to download
# (Glance's port shaped with tc):
#    p1  precache_progress_interval=2, Nova's lock on the image held on compute2 for a while:
#        lines with growing bytes before the first host line, compute2 shown waiting for the
#        lock; no job, status or results file left on the hosts
#    p2  the same with polling off (interval 0): today's output, and no job at all
#    p3  under ansible-runner (AWX's engine): the lines in the job's stdout and in its events
#    p4  the controller killed mid-download (Glance slower, so that the downloads outlast the
#        heartbeat): the hosts' jobs stop by themselves within the heartbeat's time, leaving no
#        temporary, status file or running job behind; p5, the next run, caches the image
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
OS_CLIENT_CONFIG_FILE=$(setting clouds_yaml)
export OS_CLIENT_CONFIG_FILE
code_dir=$(setting code_dir)
shared_dir progress
publish slow:raw:24:20
python -c 'import sys; sys.path.insert(0, "../setup_testbed/files")
from host_dirs import make_host_dirs
make_host_dirs(*sys.argv[1:])' "$inventory" "$shared"
image=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["plan"]["slow"]["id"])' "$work/plan.json")

unshape() {
    PYTHONPATH=$code_dir python -m bed.shaping remove
}
# shape RATE: Glance's egress at RATE, the two hosts sharing it.
shape() {
    unshape
    PYTHONPATH=$code_dir python -m bed.shaping add "$1"
}
at_exit unshape
# About 17 s for both hosts' copies (24 MiB each), several poll intervals.
shape 24mbit

# The arguments of one run of the main job, and the progress callback's settings.
job_args=(-i "$inventory" -e precache_cloud=precache-admin -e "{\"images\": [\"$image\"]}"
          -e "{\"precache_nova_conf\": [\"{{ testbed_nova_conf }}\", \"$shared/{{ inventory_hostname }}.conf\"]}"
          --limit "compute1,compute2" -e precache_progress_interval=2)
play() {
    local name=$1 status=0
    shift
    ANSIBLE_CALLBACKS_ENABLED=openstack_ops.precache.progress ANSIBLE_PIPELINING=true \
        PRECACHE_PROGRESS_FILE=$work/$name.progress.jsonl \
        ansible-playbook openstack_ops.precache.precache "${job_args[@]}" "$@" \
        > "$work/$name.log" 2>&1 || status=$?
    echo "$status" > "$work/$name.rc"
}
check() {
    python files/check.py "$1" "$work" "$shared" "$image" || { tail -n 80 "$work/$1.log"; exit 1; }
    echo "$1 ok"
}
uncache() {
    rm -rf "$shared"/compute*/_base
}

# p1: Nova's lock held on compute2 until two lines showed compute2 waiting for it.
python files/hold_lock.py "$shared/compute2" "$image" compute2 "$work/p1.progress.jsonl" \
    "$work/p1.locked" &
holder=$!
for _ in $(seq 50); do [ -s "$work/p1.locked" ] && break; sleep 0.1; done
play p1
wait "$holder"
check p1
grep -E '^(batch|host) ' "$work/p1.log"

uncache
play p2 -e precache_progress_interval=0
check p2

# p3: ansible-runner with a private data dir, as AWX runs a job template.
uncache
runner=$work/runner
mkdir -p "$runner/project" "$runner/env"
cat > "$runner/project/precache.yml" <<'YAML'
---
- name: The main job, from the installed collection
  ansible.builtin.import_playbook: openstack_ops.precache.precache
YAML
python -c 'import json, sys; print(json.dumps({
    "ANSIBLE_CALLBACKS_ENABLED": "openstack_ops.precache.progress", "ANSIBLE_PIPELINING": "true",
    "PRECACHE_PROGRESS_FILE": sys.argv[1]}))' "$work/p3.progress.jsonl" > "$runner/env/envvars"
status=0
ansible-runner run "$runner" -p precache.yml --ident p3 --cmdline "$(printf '%q ' "${job_args[@]:2}")" \
    --inventory "$inventory" > "$work/p3.log" 2>&1 || status=$?
echo "$status" > "$work/p3.rc"
check p3

# p4: the controller killed once the first line is out, with SIGKILL: nothing of it runs on.
# Slower, so that the copies outlast the heartbeat (100 s against 30 s).
shape 4mbit
# The job in a session of its own: its process group is the controller (ansible-playbook, its
# workers and their ssh), all killed at once, as a dying controller machine would take them.
uncache
setsid bash -c "$(declare -f play); $(declare -p job_args work); play p4" &
controller=$!
for _ in $(seq 300); do
    grep -q '"openstack_ops.precache.batch.progress"' "$work/p4.progress.jsonl" 2>/dev/null && break
    sleep 0.1
done
kill -KILL -- "-$controller"
wait "$controller" || true
date +%s.%N > "$work/p4.killed"
check p4

shape 24mbit
play p5
check p5
