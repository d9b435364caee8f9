#!/usr/bin/env bash
# The main job with signed images, each host caching into an instances dir of its own (a
# nova.conf part passed as precache_nova_conf):
#    s1  compute2 verifies (Debian's python3 with cryptography): the good image is installed,
#        the tampered one refused; compute1 verifies but its Python 3.9 has no cryptography:
#        both refused, saying what to install; compute3 does not verify: both cached; exit 2
#    s2  an image whose certificate is not in Barbican: the run fails in validation, before
#        any host is touched, naming the image and the certificate
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
OS_CLIENT_CONFIG_FILE=$(setting clouds_yaml)
export OS_CLIENT_CONFIG_FILE
shared_dir signed
publish good:qcow2:16:4:sign=rsa tampered:qcow2:16:4:sign=rsa:tamper \
    lost:qcow2:16:4:sign=rsa:cert=random
python files/hosts.py "$inventory" "$shared"

play() {
    local name=$1 status=0
    shift
    ANSIBLE_CALLBACKS_ENABLED=openstack_ops.precache.progress \
        ansible-playbook -i "$inventory" openstack_ops.precache.precache -e precache_cloud=precache-admin \
        -e "{\"precache_nova_conf\": [\"{{ testbed_nova_conf }}\", \"$shared/{{ inventory_hostname }}.conf\"]}" \
        -e "precache_summary_file=$work/$name.summary.json" "$@" > "$work/$name.log" 2>&1 || status=$?
    echo "$status" > "$work/$name.rc"
}
ids() {
    python -c 'import json, sys
plan = json.load(open(sys.argv[1]))["plan"]
print(json.dumps([plan[key]["id"] for key in sys.argv[2:]]))' "$work/plan.json" "$@"
}

play s1 -e "{\"images\": $(ids good tampered)}"
python files/check.py s1 "$work" "$shared" || { tail -n 60 "$work/s1.log"; exit 1; }
play s2 -e "{\"images\": $(ids good lost)}"
python files/check.py s2 "$work" "$shared" || { tail -n 60 "$work/s2.log"; exit 1; }
