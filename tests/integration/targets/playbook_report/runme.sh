#!/usr/bin/env bash
# playbooks/report.yml on the test bed: after a partial pre-cache (hosts.yml), with the
# aggregates inventory over an aggregate made here, the report's matrix shows exactly what is
# where, named from Glance: once for the images given (by name and by id), once for everything.
set -euo pipefail

# shellcheck source=tests/integration/targets/setup_testbed/files/testbed.sh
source ../setup_testbed/files/testbed.sh
inventory=$(setting inventory)
export OS_CLIENT_CONFIG_FILE
OS_CLIENT_CONFIG_FILE=$(setting clouds_yaml)

on_hosts() {
    ANSIBLE_PIPELINING=true ansible-playbook -i "$inventory" hosts.yml -e "@$work/plan.json" \
        -e step="$1" > "$work/hosts.log" 2>&1 || { cat "$work/hosts.log"; return 1; }
}
delete_aggregate() {
    python files/aggregate.py cleanup "$config"
}
clean_hosts() {
    [ ! -s "$work/plan.json" ] || on_hosts cleanup
}
at_exit delete_aggregate

python files/aggregate.py setup "$config"
publish a:raw:4:1 b:qcow2:4:1 c:raw:4:1
at_exit clean_hosts
on_hosts setup
cat > "$work/aggregates.yml" <<YAML
plugin: openstack_ops.precache.aggregates
cloud: precache-admin
YAML

images_arg=$(python -c 'import json, sys; p = json.load(open(sys.argv[1]))["plan"]
print(json.dumps({"images": [p["a"]["name"], p["b"]["id"], p["c"]["name"]]}))' "$work/plan.json")
ansible-playbook -i "$work/aggregates.yml" -i "$inventory" openstack_ops.precache.report \
    -e aggregate=precache-report-test -e precache_cloud=precache-admin -e "$images_arg" \
    -e "precache_report_dir=$work/only" "$@" | tee "$work/only.log"
python files/check.py "$work/plan.json" "$work/only" only
# The printed table: a row per image, a column per host.
grep -q "compute1  compute2  compute3" "$work/only.log"

# Everything cached, from the collection's name for the playbook, written relative to the cwd.
(cd "$work" && ansible-playbook -i "$work/aggregates.yml" -i "$inventory" \
    openstack_ops.precache.report -e aggregate=precache-report-test \
    -e precache_cloud=precache-admin -e precache_report_dir=all "$@")
python files/check.py "$work/plan.json" "$work/all" all

# Without Glance (a cloud that does not exist): ids as given, unnamed; names refused.
ids_arg=$(python -c 'import json, sys; p = json.load(open(sys.argv[1]))["plan"]
print(json.dumps({"images": [p[k]["id"] for k in "abc"]}))' "$work/plan.json")
ansible-playbook -i "$work/aggregates.yml" -i "$inventory" openstack_ops.precache.report \
    -e aggregate=precache-report-test -e precache_cloud=precache-no-such-cloud -e "$ids_arg" \
    -e "precache_report_dir=$work/ids" "$@" | tee "$work/ids.log"
grep -q "Glance could not name the images" "$work/ids.log"
python files/check.py "$work/plan.json" "$work/ids" ids
status=0
ansible-playbook -i "$work/aggregates.yml" -i "$inventory" openstack_ops.precache.report \
    -e aggregate=precache-report-test -e precache_cloud=precache-no-such-cloud -e "$images_arg" \
    -e "precache_report_dir=$work/names" "$@" > "$work/names.log" 2>&1 || status=$?
if [ "$status" = 0 ] || ! grep -q "Images given by name need Glance" "$work/names.log"; then
    cat "$work/names.log"
    echo "names without Glance were not refused" >&2
    exit 1
fi
[ ! -e "$work/names" ] || { echo "a report was written without the images' names" >&2; exit 1; }
