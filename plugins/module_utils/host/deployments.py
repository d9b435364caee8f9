# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Where nova-compute's nova.conf is on this host, and where the paths it names are.

The deployment flavours: packages, OpenStack-Ansible (/etc/nova/nova.conf linking into a venv),
Kolla-Ansible and TripleO (nova-compute in a container, whose paths map to host paths).
"""

import glob
import os

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.nova_conf import (
    NovaConfError, rooted)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.nova_options import (
    NOVA_STATE_DIR)

# Where the deployment tools put nova-compute's configuration, as seen from the host.
KOLLA_NOVA_CONF = "/etc/kolla/nova-compute/nova.conf"
TRIPLEO_CONFIG_ROOT = "/var/lib/config-data/puppet-generated/nova_libvirt"
OSA_VENVS = "/openstack/venvs/"
# Kolla-Ansible mounts the named volume nova_compute at /var/lib/nova in the container.
KOLLA_VOLUMES = (
    ("docker", "/var/lib/docker/volumes/nova_compute/_data"),
    ("podman", "/var/lib/containers/storage/volumes/nova_compute/_data"),
)


def _first_existing(root, paths, test=os.path.exists):
    for path in paths:
        if test(rooted(root, path)):
            return path
    return None


def _oslo_files(root, base, dist):
    """The files oslo.config reads for nova-compute run without --config-file/--config-dir.

    That is how RDO, OpenStack-Ansible, Kolla and TripleO start it; Debian and Ubuntu pass
    --config-file for /etc/nova/nova.conf and /etc/nova/nova-compute.conf, the same files.
    `base` is the root of the filesystem nova-compute sees. The nova user's home is searched
    too by oslo.config but is never used for configuration, so it is left out here.
    """
    files = []
    if dist:
        # RDO's oslo.config read these first up to Wallaby; they only set distribution
        # defaults (state_path = /var/lib/nova), which later files override.
        files += [path for path in ("/usr/share/nova/nova-dist.conf",
                                    "/usr/share/nova/nova-compute-dist.conf")
                  if os.path.exists(rooted(root, path))]
    for name in ("nova", "nova-compute"):
        found = _first_existing(root, [os.path.join(base, "etc/nova", name + ".conf"),
                                       os.path.join(base, "etc", name + ".conf")])
        if found:
            files.append(found)
    for name in ("nova", "nova-compute"):
        found = _first_existing(root, [os.path.join(base, "etc/nova", name + ".conf.d"),
                                       os.path.join(base, "etc", name + ".conf.d")], os.path.isdir)
        if found:
            files += [os.path.join(found, os.path.basename(path))
                      for path in sorted(glob.glob(os.path.join(rooted(root, found), "*.conf")))]
    return files


def osa_target(root, path):
    """The venv file an OpenStack-Ansible /etc/nova/nova.conf links to, or None."""
    real = os.path.realpath(rooted(root, path))
    if root != "/":
        real = "/" + os.path.relpath(real, os.path.realpath(root))
    return real if real.startswith(OSA_VENVS) else None


def find_nova_conf(root="/"):
    """(flavour, files) of the nova.conf files nova-compute reads on this host, in order.

    Looked at in this order, containerised deployments first because their hosts may keep a
    stale /etc/nova from before:
    1. kolla: /etc/kolla/nova-compute/nova.conf (copied to /etc/nova/nova.conf in the container);
    2. tripleo: /var/lib/config-data/puppet-generated/nova_libvirt/etc/nova/nova.conf (the tree
       copied over the container's /), plus nova-compute.conf and nova.conf.d beside it;
    3. openstack-ansible or packages: /etc/nova/nova.conf (else /etc/nova.conf), after RDO's
       /usr/share/nova/nova-dist.conf, then /etc/nova/nova-compute.conf (Debian, Ubuntu), then
       the *.conf files in /etc/nova/nova.conf.d and /etc/nova/nova-compute.conf.d, which
       oslo.config reads by default. openstack-ansible when /etc/nova/nova.conf links into a
       venv under /openstack/venvs/.
    """
    if os.path.isfile(rooted(root, KOLLA_NOVA_CONF)):
        return "kolla", [KOLLA_NOVA_CONF]
    tripleo = os.path.join(TRIPLEO_CONFIG_ROOT, "etc/nova/nova.conf")
    if os.path.isfile(rooted(root, tripleo)):
        return "tripleo", _oslo_files(root, TRIPLEO_CONFIG_ROOT, dist=False)
    files = _oslo_files(root, "/", dist=True)
    main = [path for path in files if not path.startswith("/usr/share/")]
    if main:
        return ("openstack-ansible" if osa_target(root, main[0]) else "packages"), files
    raise NovaConfError(
        "no nova.conf found on this host; looked at %s (Kolla-Ansible), %s (TripleO), and "
        "/etc/nova/nova.conf, /etc/nova.conf, /etc/nova/nova-compute.conf, /etc/nova/nova.conf.d "
        "(packages, OpenStack-Ansible); point the module at the files with nova_conf: (a path "
        "or a list, later files win) or at the cache directory with cache_dir:"
        % (KOLLA_NOVA_CONF, tripleo))


def flavour_of(path, root="/"):
    """The deployment flavour a nova.conf path given by the user belongs to ('custom' if none)."""
    if path.startswith("/etc/kolla/"):
        return "kolla"
    if path.startswith("/var/lib/config-data/"):
        return "tripleo"
    if osa_target(root, path):
        return "openstack-ansible"
    if path.startswith(("/etc/nova/", "/usr/share/nova/")) or path in ("/etc/nova.conf",
                                                                       "/etc/nova-compute.conf"):
        return "packages"
    return "custom"


def _kolla_state_dir(root, notes):
    """The host directory Kolla-Ansible mounts at /var/lib/nova in the nova_compute container."""
    found = [(engine, path) for engine, path in KOLLA_VOLUMES if os.path.isdir(rooted(root, path))]
    if found:
        if len(found) > 1:
            notes.append("both %s exist; used %s's" % (
                " and ".join(path for engine, path in found), found[0][0]))
        return found[0][1]
    if os.path.isdir(rooted(root, NOVA_STATE_DIR)):
        notes.append("no nova_compute container volume found; %s is bind-mounted from the host "
                     "(nova_instance_datadir_volume = %s)" % (NOVA_STATE_DIR, NOVA_STATE_DIR))
        return NOVA_STATE_DIR
    raise NovaConfError(
        "Kolla-Ansible mounts the volume nova_compute at %s in the nova_compute container, but "
        "neither %s nor %s exists on this host; give the cache directory with cache_dir:"
        % (NOVA_STATE_DIR, " nor ".join(path for engine, path in KOLLA_VOLUMES), NOVA_STATE_DIR))


def host_path(flavour, path, root="/", notes=None):
    """Where a path in nova.conf is on the host: nova-compute may see it inside a container."""
    notes = [] if notes is None else notes
    if flavour not in ("kolla", "tripleo"):
        return path
    inside = path == NOVA_STATE_DIR or path.startswith(NOVA_STATE_DIR + "/")
    if not inside:
        notes.append("%s is outside %s, the directory the %s container mounts; assumed it is "
                     "mounted from the same path on the host" % (path, NOVA_STATE_DIR, flavour))
        return path
    if flavour == "tripleo":
        return path  # TripleO bind-mounts /var/lib/nova at the same path.
    return _kolla_state_dir(root, notes) + path[len(NOVA_STATE_DIR):]
