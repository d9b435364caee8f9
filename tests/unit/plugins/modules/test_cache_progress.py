# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The cache_progress module: each state of an async job's file as async_wrapper writes it,
the wait that ends when the job does, and the job's result passed through."""

import json
import os
import threading
import time

import pytest

from ansible.module_utils import basic

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.progress_status import (
    StatusWriter)
from ansible_collections.openstack_ops.precache.plugins.modules import cache_progress
from ansible_collections.openstack_ops.precache.tests.unit.plugins.modules.utils import (
    run_module)

RUN_ID = "0123456789abcdef"
JID = "j123456789012.4242"
RUNNING = {"started": True, "finished": False, "ansible_job_id": JID}
DONE = {"changed": True, "images_cached": ["6f0b3e26-1d4f-4a38-9d43-0ad4f36c1c11"],
        "images": [{"id": "6f0b3e26-1d4f-4a38-9d43-0ad4f36c1c11", "action": "downloaded"}],
        "invocation": {"module_args": {"auth_token": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}}}


@pytest.fixture
def host(tmp_path):
    """(instances dir, job file path) of a host with a cache dir and an async dir."""
    (tmp_path / "instances" / "_base").mkdir(parents=True)
    (tmp_path / "async").mkdir()
    return tmp_path / "instances", tmp_path / "async" / JID


def write_job(path, job):
    # As async_wrapper's jwrite: a temporary file, renamed.
    temp = str(path) + ".tmp"
    with open(temp, "w") as handle:
        handle.write(job if isinstance(job, str) else json.dumps(job))
    os.rename(temp, path)


def run(host, check_mode=False, **args):
    instances, job = host
    args = dict({"owner": str(os.getuid()), "group": str(os.getgid()),
                 "cache_dir": str(instances / "_base"), "results_file": str(job),
                 "run_id": RUN_ID, "wait": 0}, **args)
    return run_module(cache_progress.main, args, check_mode=check_mode)


def test_a_running_job_returns_its_progress(host):
    write_job(host[1], RUNNING)
    with StatusWriter(str(host[0]), os.getuid(), RUN_ID, [100, 50]) as live:
        live.begin(1, "6f0b3e26-1d4f-4a38-9d43-0ad4f36c1c11")
        live.tick()
        outcome = run(host, wait=2)
    result = outcome.result
    assert not outcome.failed and result["changed"] is False and result["finished"] is False
    assert result["ansible_job_id"] == JID
    progress = result["progress"]
    assert (progress["images"], progress["total"], progress["pid"]) == (2, 150, os.getpid())
    assert 0 <= progress["age"] < 60
    assert os.path.exists(host[1])


def test_before_any_status_the_progress_is_null(host):
    write_job(host[1], RUNNING)
    outcome = run(host)
    assert outcome.result["finished"] is False and outcome.result["progress"] is None


def test_the_wait_ends_as_soon_as_the_job_finishes(host):
    write_job(host[1], RUNNING)
    timer = threading.Timer(0.5, write_job, (host[1], DONE))
    timer.start()
    started = time.monotonic()
    try:
        outcome = run(host, wait=20)
    finally:
        timer.cancel()
    assert 0.4 < time.monotonic() - started < 3
    assert outcome.result["finished"] is True


def test_the_wait_lasts_while_the_job_runs(host):
    write_job(host[1], RUNNING)
    started = time.monotonic()
    outcome = run(host, wait=1)
    assert 0.9 < time.monotonic() - started < 3 and outcome.result["finished"] is False


def test_waiting_beats_the_heartbeat(host):
    write_job(host[1], RUNNING)
    with StatusWriter(str(host[0]), os.getuid(), RUN_ID, [1]) as live:
        seen = host[0] / ".precache-progress" / (RUN_ID + ".seen")
        os.utime(seen, (1, 1))
        run(host, wait=1)
        assert time.time() - os.stat(seen).st_mtime < 60
        assert live.cancelled is None


def test_a_finished_job_returns_its_own_result_and_its_file_goes(host):
    write_job(host[1], DONE)
    outcome = run(host)
    assert not outcome.failed
    assert outcome.result == dict(DONE, finished=True, ansible_job_id=JID)
    assert not os.path.exists(host[1])


def test_in_check_mode_the_job_file_stays(host):
    write_job(host[1], DONE)
    outcome = run(host, check_mode=True)
    assert outcome.result["finished"] is True and os.path.exists(host[1])


def test_a_failed_job_fails_with_its_own_keys(host):
    write_job(host[1], dict(DONE, failed=True, msg="1 of 1 images failed: image 6f0b...: sha512"))
    outcome = run(host)
    assert outcome.failed
    assert outcome.result["msg"] == "1 of 1 images failed: image 6f0b...: sha512"
    assert outcome.result["images"] == DONE["images"]
    assert outcome.result["invocation"] == DONE["invocation"]
    assert outcome.result["finished"] is True and not os.path.exists(host[1])


def test_the_wrappers_failure_is_a_failure_without_the_command_or_output(host):
    write_job(host[1], {"failed": True, "cmd": "/root/.ansible/tmp/x/AnsiballZ_cache_image.py",
                        "data": '{"auth_token": "s3cret"', "stderr": "Traceback ...",
                        "msg": "Expecting value", "ansible_job_id": JID})
    outcome = run(host)
    assert outcome.failed
    assert outcome.result["msg"] == "the job's module could not be run: Expecting value"
    assert "s3cret" not in json.dumps(outcome.result)
    assert "cmd" not in outcome.result and outcome.result["stderr"] == "Traceback ..."


def test_a_job_killed_at_its_time_limit_says_so(host):
    write_job(host[1], {"msg": "Timeout exceeded", "failed": True, "child_pid": 4243})
    outcome = run(host)
    assert outcome.failed and "killed at the task's time limit" in outcome.result["msg"]
    assert outcome.result["finished"] is True and outcome.result["ansible_job_id"] == JID


@pytest.mark.parametrize("content", ["", '{"started": true, "fini'])
def test_a_job_file_that_does_not_parse_yet_is_still_running(host, content):
    write_job(host[1], content)
    outcome = run(host)
    assert not outcome.failed and outcome.result["finished"] is False
    assert os.path.exists(host[1])


def test_a_missing_job_file_fails_clearly(host):
    outcome = run(host)
    assert outcome.failed and "could not find the job file" in outcome.result["msg"]


def test_a_job_file_link_is_not_followed(host, tmp_path):
    (tmp_path / "other.json").write_text(json.dumps(DONE))
    os.symlink(tmp_path / "other.json", host[1])
    outcome = run(host)
    assert outcome.failed and "cannot read the job file" in outcome.result["msg"]
    assert (tmp_path / "other.json").exists()


def test_a_file_that_no_async_task_made_is_refused_and_kept(host, tmp_path):
    other = tmp_path / "settings.json"
    other.write_text(json.dumps(DONE))
    outcome = run(host, results_file=str(other))
    assert outcome.failed and "is not an async job's file" in outcome.result["msg"]
    assert other.exists()


def test_a_job_file_that_is_no_object_fails(host):
    write_job(host[1], "[1, 2]")
    outcome = run(host)
    assert outcome.failed and "not a JSON object" in outcome.result["msg"]


@pytest.mark.parametrize("args, message", [
    ({"wait": 601}, "wait must be 0 to 600 seconds"),
    ({"run_id": "../x"}, "run_id must be 16 to 64 lowercase hex digits"),
])
def test_bad_arguments_are_clear_errors(host, args, message):
    write_job(host[1], RUNNING)
    outcome = run(host, **args)
    assert outcome.failed and message in outcome.result["msg"]


def test_the_jobs_warnings_and_deprecations_are_issued_again(host, monkeypatch):
    issued = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda _m, msg: issued.append(msg))
    monkeypatch.setattr(basic.AnsibleModule, "deprecate",
                        lambda _m, msg, **kw: issued.append((msg, kw["version"])))
    write_job(host[1], dict(DONE, warnings=[
        {"event": {"msg": "careful", "__ansible_type": "Event"},
         "__ansible_type": "WarningSummary"}, "plain"], deprecations=[
        {"event": {"msg": "old", "__ansible_type": "Event"}, "version": "2.0",
         "deprecator": {"resolved_name": "a.b", "type": None}}]))
    outcome = run(host)
    assert issued == ["careful", "plain", ("old", "2.0")]
    assert "warnings" not in outcome.result and "deprecations" not in outcome.result
