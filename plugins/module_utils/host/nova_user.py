# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Who nova-compute runs as on this host: the uid and gid the host modules' work runs as.

Root reads this, before run_as drops to that user.
"""

import grp
import os
import pwd
import stat

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    CacheError)


def _owner_of(path):
    """lstat of Nova's directory `path`, following a link only when root made it."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        if info.st_uid != 0:
            raise CacheError(
                "refusing %s: it is a symbolic link made by uid %d, not by root, so Nova's user "
                "could point it anywhere; set owner and group, or make it a directory"
                % (path, info.st_uid))
        info = os.stat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise CacheError("refusing %s: it is not a directory" % path)
    return info


def resolve_owner(owner, group, settings):
    """uid and gid of the user nova-compute runs as: given by name or number, else the owner of
    Nova's cache dir (or of its instances dir before the cache dir exists).

    Root reads this, so a link planted by Nova's user is not followed; a directory owned by root
    does not make root Nova's user.
    """
    info = None
    if owner is None or group is None:
        reference = next((path for path in (settings.cache_dir, settings.instances_path)
                          if path and os.path.lexists(path)), None)
        if reference is None:
            raise CacheError(
                "neither the cache dir %s nor the instances dir %s exists, so the nova user is "
                "unknown: is nova-compute installed here? Set owner and group to create it"
                % (settings.cache_dir, settings.instances_path))
        info = _owner_of(reference)
        if info.st_uid == 0 and owner is None:
            raise CacheError(
                "%s is owned by root, but nova-compute runs as an unprivileged user and so does "
                "this module's cache work: give that user with owner and group" % reference)
    uid = info.st_uid if owner is None else _lookup(owner, pwd.getpwnam, "pw_uid", "user")
    gid = info.st_gid if group is None else _lookup(group, grp.getgrnam, "gr_gid", "group")
    return uid, gid


def _lookup(name, getter, field, what):
    if str(name).isdigit():
        return int(name)
    try:
        return getattr(getter(name), field)
    except KeyError:
        raise CacheError("%s %s does not exist on this host" % (what, name)) from None
