#!/usr/bin/env bash
# Install what the test bed and the checks need: Debian packages and five Python 3.12 venvs.
# Idempotent and cached: a venv is rebuilt only when its requirements file changes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
venvs=${PRECACHE_VENV_DIR:-$HOME/.cache/openstack_ops.precache/venvs}

apt_packages=(openssh-server qemu-utils rabbitmq-server shellcheck curl openssl)

install_apt() {
    local missing=()
    for pkg in "${apt_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: installing Debian packages needs root (sudo $0)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Debian's policy-rc.d keeps rabbitmq-server from starting: the test bed starts its own.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
    local version=$1 candidate
    for candidate in "${PRECACHE_PYTHON:-}" \
            "$(command -v pyenv >/dev/null && pyenv root)/versions/$version"*/bin/"python$version" \
            "$HOME/.pyenv/versions/$version"*/bin/"python$version" \
            "$(command -v "python$version" || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] &&
                "$candidate" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))"; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: Python $version not found (set PRECACHE_PYTHON)" >&2
    return 1
}

install_venv() {
    local name=$1 requirements=$2 python stamp
    python=$(find_python 3.12)
    stamp=$(sha256sum < "$requirements" | cut -c1-16)
    if [ "$(cat "$venvs/$name/.requirements-stamp" 2>/dev/null)" = "$stamp" ]; then
        return 0
    fi
    echo "installing venv $name from ${requirements#"$repo"/} (a few minutes the first time)"
    rm -rf "${venvs:?}/$name"
    "$python" -m venv "$venvs/$name"
    "$venvs/$name/bin/pip" install -q --upgrade pip
    "$venvs/$name/bin/pip" install -q -r "$requirements"
    "$venvs/$name/bin/pip" check
    echo "$stamp" > "$venvs/$name/.requirements-stamp"
}

install_apt
mkdir -p "$venvs"
install_venv openstack "$here/requirements-openstack.txt" &
openstack=$!
install_venv keystone "$here/requirements-keystone.txt" &
keystone=$!
install_venv barbican "$here/requirements-barbican.txt" &
barbican=$!
install_venv tools "$repo/tests/requirements-tools.txt" &
tools=$!
install_venv core216 "$repo/tests/requirements-core216.txt" &
core216=$!
status=0
for pid in $openstack $keystone $barbican $tools $core216; do wait "$pid" || status=1; done
exit $status
