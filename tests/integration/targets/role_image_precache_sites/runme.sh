#!/usr/bin/env bash
# Fetch once per site (docs/sites.md): the main job with precache_distribution=site on the three
# SSH hosts of the test bed, one site, each caching into an instances dir of its own:
#    s1  one batch: every host caches both images, Glance serves each one once (its image data
#        counted by files/glance_counter.py, a proxy in front of it that the cloud's image
#        endpoint points at), the other two copies cross the LAN; the lines name the peers, the
#        summary counts per site; nothing is left listening or staged
#    s2  the same with precache_serial=1, three batches, over TLS (precache_site_tls): the later
#        batches take from the servers of the earlier ones, so Glance still serves one copy; the
#        servers were https:// ones, each with its certificate's fingerprint
#    s3  check mode: nothing cached, staged or served
# and with the modules (seed.yml, peer.yml, stop.yml):
#    s4  a seed whose staged bytes runme.sh changed: its peer refuses them (Glance's hash) and
#        takes Glance
#    s5  a seed whose server runme.sh kills while its peer takes the big image from it, slowly
#        (site.rate_limit): the peer takes Glance
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
OS_CLIENT_CONFIG_FILE=$(setting clouds_yaml)
export OS_CLIENT_CONFIG_FILE
shared_dir sites
publish big:qcow2:64:24 small:raw:16:6
python files/hosts.py "$inventory" "$shared" > "$work/sites.json"
start_proxy files/glance_counter.py "$(address glance endpoint)" "$work/glance.count"
# precache-counted: the admin, with Glance behind the counter.
python ../setup_testbed/files/clouds_with.py "$config" precache-counted \
    "image_endpoint_override=http://127.0.0.1:$proxy_port" > "$work/clouds.yaml"
export OS_CLIENT_CONFIG_FILE=$work/clouds.yaml

play() {
    local name=$1 status=0
    shift
    : > "$work/glance.count"
    ANSIBLE_CALLBACKS_ENABLED=openstack_ops.precache.progress ANSIBLE_PIPELINING=true \
        ansible-playbook -i "$inventory" -i "$work/sites.json" openstack_ops.precache.precache \
        -e precache_cloud=precache-counted -e precache_distribution=site \
        -e precache_site_key=precache_test_site \
        -e "{\"precache_nova_conf\": [\"{{ testbed_nova_conf }}\", \"$shared/{{ inventory_hostname }}.conf\"]}" \
        -e "{\"images\": $(python -c 'import json, sys; print(json.dumps([i["id"] for i in json.load(open(sys.argv[1]))["plan"].values()]))' "$work/plan.json")}" \
        -e "precache_summary_file=$work/$name.summary.json" "$@" > "$work/$name.log" 2>&1 || status=$?
    cp "$work/glance.count" "$work/$name.glance"
    echo "$status" > "$work/$name.rc"
    python files/check.py "$name" "$work" "$shared" || { tail -n 80 "$work/$name.log"; exit 1; }
    echo "$name ok"
}
uncache() {
    rm -rf "$shared"/compute*/_base
}

play s1
uncache
play s2 -e precache_serial=1 -e precache_site_tls=true -v
uncache
play s3 --check

# s4, s5: the seed's own run, with its own token; run_id names the staging folder.
modules() {
    ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" -e "@$work/plan.json" -e "shared=$shared" \
        -e "work=$work" -e "run_id=$run_id" -e "site_token=$site_token" "$@"
}
site_token=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')
# A failed scenario must not leave the seed serving until its deadline.
stop_seed() {
    if [ -s "$work/seed.url" ]; then
        modules stop.yml > /dev/null 2>&1 || echo "could not stop the seed" >&2
    fi
}
at_exit stop_seed
big=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["plan"]["big"]["id"])' "$work/plan.json")

uncache
run_id=$(python -c 'import secrets; print(secrets.token_hex(16))')
modules seed.yml > "$work/s4.seed.log" 2>&1 || { cat "$work/s4.seed.log"; exit 1; }
# Nova's user owns the staging: change the middle of the staged big image, keeping its size.
python - "$shared/compute1/.precache-staging/$run_id/$big" <<'PY'
import sys
with open(sys.argv[1], "r+b") as staged:
    staged.seek(4 * 1024 * 1024)
    staged.write(b"tampered by the seed" * 100)
PY
modules peer.yml --limit compute2 -e expected="sha512 mismatch" > "$work/s4.log" 2>&1 ||
    { cat "$work/s4.log"; exit 1; }
modules stop.yml > "$work/s4.stop.log" 2>&1 || { cat "$work/s4.stop.log"; exit 1; }
echo "s4 ok"

uncache
run_id=$(python -c 'import secrets; print(secrets.token_hex(16))')
modules seed.yml > "$work/s5.seed.log" 2>&1 || { cat "$work/s5.seed.log"; exit 1; }
port=$(sed 's/.*://' "$work/seed.url")
modules peer.yml --limit compute3 -e lan_rate=2M -e expected="" > "$work/s5.log" 2>&1 &
peer=$!
sleep 4
server=$(ss -ltnpH "sport = :$port" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
[ -n "$server" ] || { echo "no server listens on port $port" >&2; exit 1; }
kill -9 "$server"
wait "$peer" || { cat "$work/s5.log"; exit 1; }
modules stop.yml > "$work/s5.stop.log" 2>&1 || { cat "$work/s5.stop.log"; exit 1; }
for host in compute1 compute2 compute3; do
    left=$(find "$shared/$host/.precache-staging" -mindepth 1 2>/dev/null || true)
    [ -z "$left" ] || { echo "$host has staging left: $left" >&2; exit 1; }
done
echo "s5 ok"
