# shellcheck shell=bash
# Shared set-up for the check scripts: source it, do not run it.
#
# Sourcing it:
#   - finds the repository and the `tools` venv (made by tests/testbed/install.sh) and puts
#     the venv on PATH;
#   - makes the work dir (default <repo>/.ansible/work, git-ignored, kept between runs so that
#     ansible-test's venvs stay warm) and takes a lock on it, so two checks never share it at once;
#   - links python3.9 ... python3.13 to the real interpreters in <work>/bin (pyenv's shims fail
#     for versions that are not the global one, and ansible-test looks them up on PATH);
#   - sets HOME to <work>/home: ansible-test keeps its venvs and caches under ~/.ansible/test;
#     the user's pip settings are copied in and pip's cache linked, so pip behaves as it does
#     for the user;
#   - places the pip bootstrap script ansible-test would download (this machine cannot reach
#     the host it comes from; see the comment at _write_get_pip);
#   - points ANSIBLE_COLLECTIONS_PATH at the work dir, above ansible_collections/.
#
# Then a script calls prepare_collection, which copies the repository's files to
# <work>/ansible_collections/<namespace>/<name> (where ansible-test needs the collection to be)
# and prints the copy's path: collection=$(prepare_collection); cd "$collection".
#
# The lock is file descriptor $CHECKS_LOCK_FD, held until the script ends. A process that must
# outlive the script (a test bed's servers) would hold it too: start such a command with
# {CHECKS_LOCK_FD}>&- after it.
#
# Settings (environment): PRECACHE_VENV_DIR (venvs, as install.sh), PRECACHE_CHECKS_DIR (work
# dir), PRECACHE_PYTHONS (the Python versions to test, default "3.9 3.10 3.11 3.12 3.13").

CHECKS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECKS_REPO=$(cd "$CHECKS_DIR/../.." && pwd)
CHECKS_REAL_HOME=$HOME
CHECKS_VENV=${PRECACHE_VENV_DIR:-$HOME/.cache/openstack_ops.precache/venvs}/tools
CHECKS_WORK=${PRECACHE_CHECKS_DIR:-$CHECKS_REPO/.ansible/work}
CHECKS_HOME=$CHECKS_WORK/home
CHECKS_BIN=$CHECKS_WORK/bin
read -r -a CHECKS_PYTHONS <<< "${PRECACHE_PYTHONS:-3.9 3.10 3.11 3.12 3.13}"

# Print a command, then run it.
checks_run() {
    printf '+ %s\n' "$*" >&2
    "$@"
}

checks_die() {
    echo "error: $*" >&2
    exit 1
}

# Print the path of the newest real interpreter for one Python version, or nothing.
_find_python() {
    local version=$1 pyenv_root=$2 candidate
    # sort -V: 3.9.18 is newer than 3.9.2.
    while read -r candidate; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] &&
                "$candidate" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done < <(
        {
            printf '%s\n' "$pyenv_root/versions/$version".*/bin/"python$version" \
                "$CHECKS_REAL_HOME/.pyenv/versions/$version".*/bin/"python$version" | sort -Vr
            # A system interpreter, unless it is a pyenv shim.
            command -v "python$version" | grep -v '/shims/' || true
        }
    )
    return 1
}

_link_pythons() {
    local version python pyenv_root missing=()
    pyenv_root=${PYENV_ROOT:-$CHECKS_REAL_HOME/.pyenv}
    if command -v pyenv >/dev/null; then
        pyenv_root=$(pyenv root)
    fi
    mkdir -p "$CHECKS_BIN"
    for version in "${CHECKS_PYTHONS[@]}"; do
        if python=$(_find_python "$version" "$pyenv_root"); then
            ln -sfn "$python" "$CHECKS_BIN/python$version"
        else
            rm -f "$CHECKS_BIN/python$version"
            missing+=("$version")
        fi
    done
    if [ ${#missing[@]} -gt 0 ]; then
        checks_die "Python ${missing[*]} not found (looked in pyenv's versions and on PATH);" \
            "install them (pyenv install ${missing[*]}) or set PRECACHE_PYTHONS to the versions to test"
    fi
}

# Keep pip as the user configured it (index, find-links, certificates, timeouts) and reuse its
# cache. /etc/pip.conf is read whatever HOME is, but ansible-test runs pip with our HOME and a
# filtered environment (no PIP_* variables): write the user's pip config files and the PIP_*
# variables, merged as pip merges them (variables win), to the pip.conf under our HOME.
_write_pip_home() {
    local real_config=${XDG_CONFIG_HOME:-$CHECKS_REAL_HOME/.config}
    local real_cache=${XDG_CACHE_HOME:-$CHECKS_REAL_HOME/.cache}
    mkdir -p "$CHECKS_HOME/.cache" "$CHECKS_HOME/.config/pip" "$real_cache/pip"
    "$CHECKS_VENV/bin/python" - "$CHECKS_HOME/.config/pip/pip.conf" \
        "$CHECKS_REAL_HOME/.pip/pip.conf" "$real_config/pip/pip.conf" "${PIP_CONFIG_FILE:-}" <<'PY'
import configparser
import os
import sys

config = configparser.RawConfigParser()
config.read([path for path in sys.argv[2:] if path and path != os.devnull])
for name, value in sorted(os.environ.items()):
    if name.startswith("PIP_") and name != "PIP_CONFIG_FILE":
        if not config.has_section("global"):
            config.add_section("global")
        config.set("global", name[4:].lower().replace("_", "-"), value)
with open(sys.argv[1], "w", encoding="utf-8") as handle:
    config.write(handle)
PY
    ln -sfn "$real_cache/pip" "$CHECKS_HOME/.cache/pip"
}

# ansible-test's --venv and --local modes bootstrap pip in each new venv with a get-pip script
# downloaded from a host outside PyPI, and fail with "does not have pip available" without it.
# It uses ~/.ansible/test/cache/get_pip_<version>.py when that exists: put a stand-in there that
# installs the same pinned pip with the interpreter's own ensurepip and PyPI. The pin is read
# from the installed ansible-test, so an ansible-core upgrade cannot leave a stale file name.
_write_get_pip() {
    local cache=$CHECKS_HOME/.ansible/test/cache pins pin file
    pins=$("$CHECKS_VENV/bin/python" - "${CHECKS_PYTHONS[@]}" <<'EOF'
import sys
import types

from ansible_test._internal.python_requirements import get_venv_packages

print("\n".join(sorted({get_venv_packages(types.SimpleNamespace(version=v))["pip"] for v in sys.argv[1:]})))
EOF
    ) || checks_die "cannot read ansible-test's pip pin from ansible_test/_internal/python_requirements.py"
    mkdir -p "$cache"
    for pin in $pins; do
        file=$cache/get_pip_${pin//./_}.py
        cat > "$file.tmp" <<'EOF'
"""Stand-in for ansible-test's downloaded get-pip script (written by tests/checks/common.sh).

Called as get-pip.py is: pip install options and requirements as arguments. Installs pip with
the interpreter's own ensurepip, then the requested packages from the configured index.
"""
import subprocess
import sys

ARGS = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
for command in (["-m", "ensurepip", "--default-pip"], ["-m", "pip", "install", "--quiet"] + ARGS):
    status = subprocess.call([sys.executable] + command, stdout=subprocess.DEVNULL)
    if status:
        sys.exit(status)
EOF
        mv "$file.tmp" "$file"
    done
}

_checks_init() {
    [ -x "$CHECKS_VENV/bin/ansible-test" ] ||
        checks_die "the tools venv is missing: $CHECKS_VENV (run make install)"
    mkdir -p "$CHECKS_WORK" "$CHECKS_HOME"
    exec {CHECKS_LOCK_FD}> "$CHECKS_WORK/.lock"
    if ! flock -n "$CHECKS_LOCK_FD"; then
        echo "waiting for another check that uses $CHECKS_WORK" >&2
        flock "$CHECKS_LOCK_FD"
    fi
    export PATH="$CHECKS_BIN:$CHECKS_VENV/bin:$PATH"
    _link_pythons
    _write_pip_home
    export HOME=$CHECKS_HOME
    export ANSIBLE_COLLECTIONS_PATH=$CHECKS_WORK
    _write_get_pip
}

# Sanity runs with no ignore entries: what it finds is fixed, not ignored. (Modules are offered
# under the GPL-3.0-or-later as well as Apache-2.0, so validate-modules' license check passes.)
check_ignore_files() {
    local ignore_file
    for ignore_file in "$CHECKS_REPO"/tests/sanity/ignore-*.txt; do
        [ -e "$ignore_file" ] || continue
        checks_die "${ignore_file#"$CHECKS_REPO"/} exists: fix what sanity finds instead of ignoring it"
    done
}

# Print the repository's files (tracked, and untracked unless git-ignored), NUL-separated,
# without the test bed's state and the checks' own output.
_collection_files() {
    local path
    if git -C "$CHECKS_REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$CHECKS_REPO" ls-files -z --cached --others --exclude-standard
    else
        (cd "$CHECKS_REPO" && find . -name .git -prune -o -type f -printf '%P\0')
    fi | while IFS= read -r -d '' path; do
        case $path in
            .testbed/* | .ansible/* | tests/output/* | __pycache__/* | */__pycache__/* | *.pyc) continue ;;
        esac
        # A tracked file deleted in the work tree is not part of the copy.
        [ -e "$CHECKS_REPO/$path" ] || [ -L "$CHECKS_REPO/$path" ] || continue
        printf '%s\0' "$path"
    done
}

# Copy the repository to <work>/ansible_collections/<namespace>/<name>, fresh each call, and
# print its path. Git-ignored files are not copied: a script that needs one there (such as the
# test bed's tests/integration/integration_config.yml) copies it itself.
prepare_collection() {
    local namespace name dest
    namespace=$(sed -n 's/^namespace: *\([A-Za-z0-9_]*\).*/\1/p' "$CHECKS_REPO/galaxy.yml")
    name=$(sed -n 's/^name: *\([A-Za-z0-9_]*\).*/\1/p' "$CHECKS_REPO/galaxy.yml")
    if [ -z "$namespace" ] || [ -z "$name" ]; then
        checks_die "no namespace or name in galaxy.yml"
    fi
    dest=$CHECKS_WORK/ansible_collections/$namespace/$name
    rm -rf "$dest"
    mkdir -p "$dest"
    _collection_files | tar -C "$CHECKS_REPO" --null --no-recursion -T - -cf - | tar -C "$dest" -xf -
    # ansible-test lists a collection's files with git when it finds a .git in the collection
    # or above it. Above it is the repository, which ignores this copy: give the copy its own
    # empty repository, so git lists the copy's files (untracked, minus what .gitignore says).
    git init -q "$dest"
    # ansible-test makes the venvs of --venv runs (units, integration) under the collection's
    # tests/output/.tmp/delegation and reuses them: keep them outside the copy, so they stay warm.
    mkdir -p "$CHECKS_WORK/delegation" "$dest/tests/output/.tmp"
    ln -s "$CHECKS_WORK/delegation" "$dest/tests/output/.tmp/delegation"
    echo "collection copied to $dest" >&2
    echo "$dest"
}

_checks_init
