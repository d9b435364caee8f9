#!/usr/bin/env bash
# The module run as root, as operators run it, on hosts whose nova user (uid 999, and Kolla's
# 42436) plants links in the tree it owns, and against images a tenant crafted.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
# Root-only, outside every host's private mounts, so every host sees the same one.
attack=$(mktemp -d /root/precache-attack-XXXXXX)
fifo=$attack/fifo
remove_attack() {
    rm -rf "$attack"
}
at_exit remove_attack
mkfifo -m 0600 "$fifo"
python files/hostile.py "$work" "$fifo"
cp "$work/fifo.raw" "$attack/descriptor.raw"
publish raw:raw:16:4 fifo:raw:"file=$work/fifo.raw" \
    bomb:qcow2:"file=$work/bomb.qcow2" huge:qcow2:"file=$work/huge.qcow2" \
    slow:raw:"file=$work/slow.raw"

ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" attacks.yml -e "@$work/plan.json" \
    -e "attack_dir=$attack" "$@"
# Nothing was ever created in the root-owned dirs the links pointed to, and the FIFO is as made.
planted=$(find "$attack"/compute* -mindepth 1)
[ -z "$planted" ] || { echo "created through a planted link: $planted" >&2; exit 1; }
[ "$(stat -c '%u %a' "$fifo")" = "0 600" ]
