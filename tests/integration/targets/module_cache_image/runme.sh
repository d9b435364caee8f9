#!/usr/bin/env bash
# cache_image against the test bed: real Glance, real qemu-img, three SSH hosts of different
# layouts, and transfers broken on purpose by a proxy between the hosts and Glance.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
glance=$(address glance endpoint)

pids=()
stop_proxies() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
at_exit stop_proxies

publish qcow2:qcow2:64:8 raw:raw:32:8 resume:raw:48:24 small:raw:8:3
# 25990: the first two connections break after 1 MiB (resume); 25991: the first one does, then
# nothing listens any more (Glance gone).
python files/cutting_proxy.py --listen 25990 --target "$glance" --after 1048576 --cuts 2 &
pids+=($!)
python files/cutting_proxy.py --listen 25991 --target "$glance" --after 1048576 --cuts 1 --exit &
pids+=($!)

ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" cache_image.yml -e "@$work/plan.json" "$@"

token=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["token"])' "$work/plan.json")
ansible-playbook -i "$inventory" no_log.yml -e "@$work/plan.json" -vvvv > "$work/vvvv.log" 2>&1 ||
    { cat "$work/vvvv.log"; exit 1; }
if grep -qF "$token" "$work/vvvv.log"; then
    echo "the token appears in the -vvvv output of no_log.yml" >&2
    exit 1
fi
