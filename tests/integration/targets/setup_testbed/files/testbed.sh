# shellcheck shell=bash
# The test bed's facts and a target's scaffolding, for its runme.sh:
# `source ../setup_testbed/files/testbed.sh`.
# ansible-test copies tests/integration/integration_config.yml (the test bed's facts) to
# ../../integration_config.yml; `setting KEY...` prints one of them (keys under "testbed").
# `work` is a temporary dir of the target's, removed when it exits, after the functions given
# to `at_exit` have run (the last given first; a failing one is reported and the others still
# run). `publish SPEC...` uploads images with testbed_images.py, writes their plan to
# $work/plan.json and deletes them again at exit. `start_proxy SCRIPT UPSTREAM ARG` starts a
# proxy of http_proxy.py's kind (`SCRIPT UPSTREAM PORT_FILE ARG`), sets `proxy_port` once it
# listens, and stops it at exit. `shared_dir NAME` makes `shared`, a dir under /tmp that every
# host sees (it is outside their private mounts, as a share on NFS would be), removed at exit.
# shellcheck disable=SC2034 # config and images are for the runme.sh that sources this
config=../../integration_config.yml
images=../setup_testbed/files/testbed_images.py
setting() {
    python -c 'import json, sys; v = json.load(open(sys.argv[1]))["testbed"]
for key in sys.argv[2:]: v = v[key]
print(v)' "$config" "$@"
}
address() {
    local url
    url=$(setting "$@")
    url=${url#*://}
    echo "${url%%/*}"
}

work=$(mktemp -d)
_exit_functions=()
at_exit() {
    _exit_functions+=("$1")
}
_on_exit() {
    local i
    for ((i = ${#_exit_functions[@]} - 1; i >= 0; i--)); do
        "${_exit_functions[i]}" || echo "clean-up ${_exit_functions[i]} failed" >&2
    done
    rm -rf "$work"
}
trap _on_exit EXIT

# The test bed's own clouds, whatever clouds.yaml the target points openstacksdk at.
_images() {
    env -u OS_CLIENT_CONFIG_FILE python "$images" "$config" "$@"
}
_delete_images() {
    [ ! -s "$work/plan.json" ] || _images delete "$work/plan.json"
}
publish() {
    at_exit _delete_images
    _images publish "$@" > "$work/plan.json"
}

_stop_proxy() {
    kill "$_proxy" 2>/dev/null || true
    wait "$_proxy" 2>/dev/null || true
}
start_proxy() {
    python "$1" "$2" "$work/proxy.port" "$3" &
    _proxy=$!
    at_exit _stop_proxy
    for _ in $(seq 100); do
        [ -f "$work/proxy.port" ] && break
        sleep 0.1
    done
    proxy_port=$(cat "$work/proxy.port")
}

_remove_shared() {
    rm -rf "$shared"
}
shared_dir() {
    shared=$(mktemp -d "/tmp/precache-$1-XXXXXX")
    chmod 0755 "$shared"
    at_exit _remove_shared
}
