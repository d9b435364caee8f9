#!/usr/bin/env bash
# make demo: the main job, playbooks/precache.yml, on the local test bed, as an operator runs it.
#
#   1. the test bed up (started only when `testbed.py status` says it is not);
#   2. a small real image in Glance and a Nova aggregate `demo-application` holding every
#      compute host (both reused when they are there: the demo runs again and again);
#   3. an aggregates inventory file, .testbed/demo/aggregates.yml, and this repository made
#      resolvable as the collection openstack_ops.precache (a link under .testbed/collections);
#   4. ansible-playbook with the progress callback enabled;
#   5. where the image landed on each host, how to run it again, how to tear down.
#
# Settings (environment): PRECACHE_VENV_DIR and PRECACHE_TESTBED_DIR as for the test bed,
# DEMO_IMAGE (default demo-image), DEMO_AGGREGATE (default demo-application).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
venvs=${PRECACHE_VENV_DIR:-$HOME/.cache/openstack_ops.precache/venvs}
work=${PRECACHE_TESTBED_DIR:-$repo/.testbed}
image=${DEMO_IMAGE:-demo-image}
aggregate=${DEMO_AGGREGATE:-demo-application}
demo=$work/demo

step() {
    if [ -t 1 ]; then
        printf '\n\033[1m== %s\033[0m\n' "$*"
    else
        printf '\n== %s\n' "$*"
    fi
}

testbed() {
    "$venvs/openstack/bin/python" "$here/testbed.py" "$@"
}

# A path as the user sees it from the repository.
show() {
    case $1 in
        "$repo"/*) printf '%s' "${1#"$repo"/}" ;;
        *) printf '%s' "$1" ;;
    esac
}

[ -x "$venvs/tools/bin/ansible-playbook" ] || {
    echo "error: $venvs/tools is missing: run make install first" >&2
    exit 1
}

step "1/5 The test bed: Keystone, Glance, Nova and three SSH compute hosts on loopback"
if testbed status > /dev/null 2>&1; then
    echo "already up (make testbed-status shows what runs where)"
else
    testbed up
fi

step "2/5 An image in Glance and the aggregate $aggregate in Nova"
mkdir -p "$demo"
testbed demo-setup --image "$image" --aggregate "$aggregate" --output "$demo/setup.json"
image_id=$("$venvs/tools/bin/python" -c \
    'import json, sys; print(json.load(open(sys.argv[1]))["image"]["id"])' "$demo/setup.json")

step "3/5 The inventory: Nova's aggregates as Ansible groups"
cat > "$demo/aggregates.yml" <<'YAML'
# The demo's inventory, written by tests/testbed/demo.sh: one group per Nova aggregate, one
# host per nova-compute service (see docs/inventory.md).
plugin: openstack_ops.precache.aggregates
cloud: precache-admin
YAML
# ansible-playbook finds the collection openstack_ops.precache under a collections path: a
# link to this repository there makes the working tree the collection it runs.
mkdir -p "$work/collections/ansible_collections/openstack_ops"
ln -sfn "$repo" "$work/collections/ansible_collections/openstack_ops/precache"
# What the playbook's environment needs, for running it again by hand.
{
    echo "# Written by tests/testbed/demo.sh: source it to run the demo's playbook by hand."
    # shellcheck disable=SC2016 # $PATH is for the shell that sources the file to expand
    printf 'export PATH=%q:"$PATH"\n' "$venvs/tools/bin"
    printf 'export OS_CLIENT_CONFIG_FILE=%q\n' "$work/clouds.yaml"
    # The cloud of the controller's modules (the role's precache_cloud says it otherwise).
    echo "export OS_CLOUD=precache-admin"
    printf 'export ANSIBLE_COLLECTIONS_PATH=%q\n' "$work/collections"
    echo "export ANSIBLE_CALLBACKS_ENABLED=openstack_ops.precache.progress"
    printf 'export PRECACHE_PROGRESS_FILE=%q\n' "$demo/progress.jsonl"
    printf 'export PRECACHE_PROGRESS_SUMMARY_FILE=%q\n' "$demo/summary.json"
} > "$demo/env"
# shellcheck source=/dev/null
source "$demo/env"
echo "$(show "$demo/aggregates.yml"): plugin openstack_ops.precache.aggregates, cloud precache-admin"
echo "$(show "$work/inventory.yml"): how to reach the hosts (SSH port, key, Python)"
# (The plugin warns here about compute hosts it leaves out, disabled or down ones.)
ansible-inventory -i "$demo/aggregates.yml" --graph

step "4/5 The main job: playbooks/precache.yml"
images_json="{\"images\": [\"$image\"]}"
command=(ansible-playbook -i "$(show "$demo/aggregates.yml")" -i "$(show "$work/inventory.yml")"
         playbooks/precache.yml -e "aggregate=$aggregate" -e "$images_json")
# The command as one types it (printf %q would escape the JSON beyond reading).
typed="${command[*]:0:${#command[@]}-1} '$images_json'"
printf '$ %s\n\n' "$typed"
cd "$repo"
status=0
"${command[@]}" || status=$?

step "5/5 Where the image landed"
# Nova names a cached image sha1(image id), in its instances path's base dir, which differs
# per host here as it does in real deployments (packages, kolla, subdirectory_name).
name=$(printf '%s' "$image_id" | sha1sum | cut -d' ' -f1)
echo "image $image ($image_id) is cached as $name:"
# The aggregate's hosts, as Nova names them: the inventory's host names.
hosts=$("$venvs/tools/bin/python" -c \
    'import json, sys; print(",".join(json.load(open(sys.argv[1]))["aggregate"]["hosts"]))' \
    "$demo/setup.json")
# The group the inventory made of the aggregate (its name sanitized; see docs/inventory.md).
group=$(ansible-inventory -i "$demo/aggregates.yml" --host "${hosts%%,*}" 2> /dev/null |
    "$venvs/tools/bin/python" -c \
    'import json, sys; print(json.load(sys.stdin)["nova_aggregate_groups"][sys.argv[1]])' \
    "$aggregate") || group="?"
# Looked at over SSH, as each host sees its own files; testbed_cache_dir is where the test bed
# put each host's cache (the role found it from the host's nova.conf, knowing nothing of it).
# (The ad-hoc output is "host | CHANGED | rc=0 >>" and then the command's one line.)
ansible -i "$demo/aggregates.yml" -i "$work/inventory.yml" "$hosts" -m ansible.builtin.shell \
    -a "stat -c '%n, %s bytes, uid %u, mtime %y' {{ testbed_cache_dir }}/$name 2>&1 || true" \
    2> /dev/null | awk '/ \| [A-Z]+ \| rc=[0-9]+ >>$/ { host = $1; next } { print "  " host ": " $0 }' |
    sort || true

cat <<EOF

What you just saw
  - The inventory plugin turned the Nova aggregate "$aggregate" into the Ansible group
    "$group" (names are sanitized; the original name is kept in host variables).
  - validate_images checked the image in Glance once, on the controller, before any host was
    touched, and took a fresh token for the batch of hosts.
  - cache_image ran once per host: it found Nova's cache dir from each host's nova.conf, took
    Nova's own lock, downloaded the image with its hash verified, converted it to raw as
    Nova would (force_raw_images) and moved it into place; on a host that had it already it
    only refreshed its mtime, Nova's expiry clock.
  - The progress callback printed one line per host and the summary; the same notifications,
    in Nova's aggregate.cache_images.* shape, are in $(show "$demo/progress.jsonl"),
    the summary in $(show "$demo/summary.json").

Run it again: make demo (the image is cached now: every host reports it refreshed), or by hand:
  source $(show "$demo/env")
  $typed
Tear down: make testbed-down (the test bed's state stays in $(show "$work")/; make demo
starts it again).
EOF
exit "$status"
