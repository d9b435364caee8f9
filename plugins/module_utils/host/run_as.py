# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Run the cache work as Nova's user, the way nova-compute runs as that user.

Root may read nova.conf (often `root:nova 0640`), but every file operation in the tree that
Nova's user owns, and every qemu-img run on tenant data, happens in a forked child that holds
only that uid, gid and supplementary groups: setresgid/setresuid to a non-zero uid drop every
capability, `no_new_privs` keeps exec from gaining any back, and the child cannot outlive its
parent. The child's result comes back as JSON over a pipe, so the parent trusts nothing of it
but data. The child may be unable to read the interpreter's own library (a venv in root's
home), so the work must not import anything lazily. Linux only (compute hosts are).
"""

import ctypes
import grp
import json
import os
import pwd
import signal
import traceback

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)

_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38


class RunAsError(PrecacheError):
    """The work could not be run as the requested user, or died there."""


def supplementary_groups(uid, gid):
    """The groups nova-compute would hold: those of the uid's passwd entry, else only `gid`.

    Kolla's uid 42436 exists only inside its container, so it may have no entry here.
    """
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        return [gid]
    return sorted(set(os.getgrouplist(name, gid)))


def describe(uid, gid):
    """`uid 999 (nova), gid 999 (nova)`, for messages."""
    def name(getter, number, field):
        try:
            return " (%s)" % getattr(getter(number), field)
        except KeyError:
            return ""
    return "uid %d%s, gid %d%s" % (uid, name(pwd.getpwuid, uid, "pw_name"),
                                   gid, name(grp.getgrgid, gid, "gr_name"))


def _prctl(option, value):
    # The C library this interpreter runs on: nothing to look up as the new user.
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(%d) failed" % option)


def drop_privileges(uid, gid, groups, die_with_parent=True):
    """Hold only uid, gid and `groups` from now on, with no capabilities and `no_new_privs`.

    `die_with_parent` has the kernel kill this process when its parent ends (the cache work's
    child); a daemon that outlives the module (peer_server) turns it off.
    """
    os.setgroups(groups)
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if die_with_parent:
        # Set after the uid change, which clears it.
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    os.chdir("/")


def must_switch(uid, gid, work_name="the cache work"):
    """Whether this process must drop to uid/gid for `work_name`: False when it already runs as
    them, True when it is root; RunAsError when it cannot, or when the target is root."""
    if os.geteuid() == uid and os.getegid() == gid:
        return False
    if os.geteuid() != 0:
        raise RunAsError(
            "the cache belongs to %s, but this module runs as uid %d: run it as root (become: "
            "true), which then works as the cache's owner, or as that owner itself"
            % (describe(uid, gid), os.geteuid()))
    if uid == 0:
        raise RunAsError("refusing to do %s as root: the cache's owner resolved to uid 0; give "
                         "the user nova-compute runs as with owner and group" % work_name)
    return True


def _become(uid, gid, groups):
    # Only the pipe carries the result: nothing may reach the module's stdout from here.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    drop_privileges(uid, gid, groups)


def run_as(uid, gid, work):
    """`work()` as uid/gid with their supplementary groups; returns its JSON-able result.

    Runs it in this process when it already has that uid (a module run as the nova user with
    `become: false`); when root, in a child that dropped to it; otherwise refuses. Exceptions
    raised by `work` in the child come back as RunAsError with their message.
    """
    if not must_switch(uid, gid):
        return work()
    groups = supplementary_groups(uid, gid)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        status = 0
        try:
            _become(uid, gid, groups)
            reply = {"result": work()}
        except BaseException as err:  # pylint: disable=broad-except
            status = 1
            reply = {"error": str(err) or type(err).__name__,
                     "traceback": traceback.format_exc()}
        try:
            with os.fdopen(write_end, "w") as pipe:
                json.dump(reply, pipe)
        finally:
            # Never return into the module: its exit handlers belong to the parent.
            os._exit(status)  # pylint: disable=protected-access
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        data = pipe.read()
    _pid, status = os.waitpid(pid, 0)
    try:
        reply = json.loads(data)
    except ValueError:
        reply = None
    if not isinstance(reply, dict) or ("result" not in reply and "error" not in reply):
        raise RunAsError("the cache work as %s ended without a result (%s)"
                         % (describe(uid, gid), _status(status)))
    if "error" in reply:
        raise RunAsError(str(reply["error"]))
    return reply["result"]


def _status(status):
    if os.WIFSIGNALED(status):
        return "killed by signal %d" % os.WTERMSIG(status)
    return "exit status %d" % os.WEXITSTATUS(status)
