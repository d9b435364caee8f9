# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The cache work as Nova's user: a real drop from root to an unprivileged uid, and its errors."""

import os

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import run_as

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root")
# Kolla's nova uid: no passwd entry on the host.
KOLLA_UID = 42436


def identity():
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
    return {"uid": os.getresuid(), "gid": os.getresgid(), "groups": sorted(os.getgroups()),
            "caps": [status[k].strip() for k in ("CapEff", "CapPrm", "CapInh")],
            "no_new_privs": status["NoNewPrivs"].strip(), "cwd": os.getcwd()}


@needs_root
def test_the_work_runs_with_only_novas_ids_and_no_capabilities():
    seen = run_as.run_as(KOLLA_UID, KOLLA_UID, identity)
    assert seen == {"uid": [KOLLA_UID] * 3, "gid": [KOLLA_UID] * 3, "groups": [KOLLA_UID],
                    "caps": ["0000000000000000"] * 3, "no_new_privs": "1", "cwd": "/"}
    assert os.geteuid() == 0


@needs_root
def test_a_root_only_file_is_out_of_reach_of_the_work(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("root only")
    secret.chmod(0o600)

    def read():
        return open(str(secret)).read()
    with pytest.raises(run_as.RunAsError, match="Permission denied"):
        run_as.run_as(KOLLA_UID, KOLLA_UID, read)


@needs_root
def test_a_child_that_dies_is_an_error():
    with pytest.raises(run_as.RunAsError, match="ended without a result.*exit status 3"):
        run_as.run_as(KOLLA_UID, KOLLA_UID, lambda: os._exit(3))


@needs_root
def test_root_is_never_the_target():
    with pytest.raises(run_as.RunAsError, match="refusing to do the cache work as root"):
        run_as.run_as(0, 1, identity)


def test_the_same_user_runs_it_in_process():
    assert run_as.run_as(os.geteuid(), os.getegid(), os.getpid) == os.getpid()


@pytest.mark.skipif(os.geteuid() == 0, reason="needs a user other than root")
def test_another_unprivileged_user_cannot_become_nova():
    with pytest.raises(run_as.RunAsError, match="run it as root"):
        run_as.run_as(os.geteuid() + 1, os.getegid(), identity)


def test_groups_of_a_user_without_a_passwd_entry():
    assert run_as.supplementary_groups(KOLLA_UID, KOLLA_UID) == [KOLLA_UID]
