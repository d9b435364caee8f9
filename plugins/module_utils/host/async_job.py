# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""An Ansible async job's file, read as ansible.builtin.async_status reads it.

ansible-core's async_wrapper writes `~/.ansible_async/<jid>` (of the remote user) through a
temporary file and a rename: first `{"started": true, "finished": false, ...}`, then the
module's own result, or the wrapper's failure (`failed`, `msg`, `cmd`, its `data` or `outdata`,
`stderr`), or, when the task's time limit killed the module, `{"msg": "Timeout exceeded",
"failed": true, "child_pid": N}`. A result without `started` is a finished job's.
"""

import json
import os
import re
import stat

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    read_bounded)

MAX_JOB_FILE_SIZE = 64 * 1024 * 1024
# async_wrapper's `<jid>.<pid>`; ansible-core 2.19 and later start the jid with a "j".
_JOB_ID = re.compile(r"j?[0-9]+\.[0-9]+")
# What the wrapper adds to its failures: the command, and the module's raw output.
_WRAPPER_KEYS = ("cmd", "data", "outdata")


class JobError(PrecacheError):
    """The job file cannot be read, or is not an async job's."""


def job_id(results_file):
    """The job id that names `results_file`; JobError for a file that no async task made."""
    name = os.path.basename(results_file)
    if not _JOB_ID.fullmatch(name):
        raise JobError("results_file %s is not an async job's file (~/.ansible_async/<job id>, "
                       "the results_file of the task started with async and poll 0)"
                       % results_file)
    return name


def read_job(results_file):
    """The job's final result, or None while it runs (a file that does not parse yet is a job
    that is still being written, as async_status reads it)."""
    try:
        fd = os.open(results_file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise JobError("could not find the job file %s: wrong host or user (become), or the "
                       "job was already reported finished and its file removed"
                       % results_file) from None
    except OSError as err:
        raise JobError("cannot read the job file %s: %s" % (results_file, err.strerror)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise JobError("the job file %s is not a regular file" % results_file)
        data = read_bounded(fd, MAX_JOB_FILE_SIZE)
    finally:
        os.close(fd)
    if data is None:
        raise JobError("the job file %s is larger than %d MiB; not an async job's"
                       % (results_file, MAX_JOB_FILE_SIZE // (1024 * 1024)))
    try:
        job = json.loads(data.decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(job, dict):
        raise JobError("could not parse the job file %s: not a JSON object" % results_file)
    if "started" in job and not job.get("finished"):
        return None
    return job


def job_result(job, jid):
    """The finished job's result as the module returns it, and its warnings and deprecations
    (to be issued again, since a module cannot pass them through as they were serialized):
    (result, warnings, deprecations)."""
    result = dict(job)
    warnings = _messages(result.pop("warnings", None))
    deprecations = list(_deprecations(result.pop("deprecations", None)))
    if result.get("failed") and "child_pid" in result and result.get("msg") == "Timeout exceeded":
        result["msg"] = ("the job was killed at the task's time limit (async_wrapper: Timeout "
                         "exceeded); give the task a larger async")
    elif result.get("failed") and "cmd" in result:
        for key in _WRAPPER_KEYS:
            result.pop(key, None)
        result["msg"] = "the job's module could not be run: %s" % result.get("msg")
    exception = result.pop("exception", None)
    if isinstance(exception, dict):
        exception = (exception.get("event") or {}).get("formatted_traceback")
    if isinstance(exception, str) and exception:
        result["exception"] = exception
    result.update(finished=True, ansible_job_id=jid)
    return result, warnings, deprecations


def _event(item):
    """The message part of a serialized warning or deprecation (ansible-core 2.19 and later
    wrap it in an `event`), or the item itself."""
    if isinstance(item, dict) and isinstance(item.get("event"), dict):
        return item["event"]
    return item


def _messages(items):
    found = []
    for item in items if isinstance(items, list) else [items] if items else []:
        event = _event(item)
        msg = event.get("msg") if isinstance(event, dict) else event
        if msg:
            found.append(str(msg))
    return found


def _deprecations(items):
    """Each deprecation as deprecate()'s keyword arguments."""
    for item in items if isinstance(items, list) else []:
        event = _event(item)
        if not isinstance(item, dict) or not isinstance(event, dict) or not event.get("msg"):
            continue
        deprecator = item.get("deprecator") if isinstance(item.get("deprecator"), dict) else {}
        yield {"msg": str(event["msg"]), "version": item.get("version"),
               "date": item.get("date"),
               "collection_name": item.get("collection_name") or deprecator.get("resolved_name")}
