# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Where nova-compute on this host keeps its image cache, read from its nova.conf.

Finds the nova.conf files nova-compute reads (packages, OpenStack-Ansible, Kolla-Ansible, TripleO,
or the files given), reads them the way oslo.config does (later files win, `$name` and
`${group.name}` references, options under their old names, oslo.config's booleans, integers and
lists), maps the paths nova sees inside its container to paths on the host, and returns the cache
settings: instances dir, cache dir, Nova's lock dir, raw conversion, images_type and expiry.
"""

import dataclasses
import glob
import os
import socket
import string

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)

# Where the deployment tools put nova-compute's configuration, as seen from the host.
KOLLA_NOVA_CONF = "/etc/kolla/nova-compute/nova.conf"
TRIPLEO_CONFIG_ROOT = "/var/lib/config-data/puppet-generated/nova_libvirt"
OSA_VENVS = "/openstack/venvs/"
# Kolla-Ansible mounts the named volume nova_compute at /var/lib/nova in the container.
KOLLA_VOLUMES = (
    ("docker", "/var/lib/docker/volumes/nova_compute/_data"),
    ("podman", "/var/lib/containers/storage/volumes/nova_compute/_data"),
)
NOVA_STATE_DIR = "/var/lib/nova"
# Nova's default state_path is $pybasedir, the nova Python package's directory; every
# distribution and deployment tool sets /var/lib/nova instead, so that is the useful default.
DEFAULT_STATE_PATH = NOVA_STATE_DIR
IMAGES_TYPES = ("raw", "flat", "qcow2", "lvm", "rbd", "ploop", "default")


class NovaConfError(PrecacheError):
    """nova.conf could not be found, read or resolved; the message says what to do."""


class _Template(string.Template):
    # oslo.config's pattern: dots allow ${group.name}; string.Template matches it ignoring case.
    idpattern = r"[_a-z][\._a-z0-9]*"


def _to_str(value):
    # An unset option without a default stays None, as oslo.config gives it.
    return None if value is None else str(value)


def _to_bool(value):
    # oslo_config.types.Boolean: case-insensitive, nothing stripped.
    if isinstance(value, bool):
        return value
    lowered = value.lower()
    if lowered in ("true", "1", "on", "yes"):
        return True
    if lowered in ("false", "0", "off", "no"):
        return False
    raise ValueError("%r is not a boolean (true/false, 1/0, on/off, yes/no)" % value)


def _to_int(minimum=None):
    def convert(value):
        # oslo_config.types.Integer: blank means unset.
        if not isinstance(value, int):
            if str(value).strip() == "":
                return None
            try:
                value = int(value)
            except ValueError:
                raise ValueError("%r is not an integer" % value) from None
        if minimum is not None and value < minimum:
            raise ValueError("%d is below the minimum %d" % (value, minimum))
        return value
    return convert


def _to_list(value):
    # oslo_config.types.List of String: comma separated, items stripped, one trailing comma ok.
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    text = value.strip().rstrip(",")
    return [item.strip() for item in text.split(",")] if text else []


def _to_choice(choices):
    def convert(value):
        if value not in choices:
            raise ValueError("%r is not one of %s" % (value, ", ".join(choices)))
        return value
    return convert


def _default_pybasedir(conf):
    raise conf.error("refers to $pybasedir, the directory of nova's Python package, which "
                     "nova.conf does not set and this module cannot know; set state_path in "
                     "nova.conf (distributions use %s) or give cache_dir:" % DEFAULT_STATE_PATH)


def _default_state_path(conf):
    conf.note("state_path is not set in nova.conf; assumed %s, as distributions and deployment "
              "tools set it (Nova's own default, $pybasedir, is not a data directory)"
              % DEFAULT_STATE_PATH)
    return DEFAULT_STATE_PATH


def _default_my_ip(conf):
    # Nova's default (oslo_utils.netutils.get_my_ipv4): the source address towards a
    # documentation address, which picks the default route's interface; nothing is sent.
    del conf
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.0", 80))
            return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def _default_host(conf):
    del conf
    return socket.gethostname()


# The options this module reads or that nova.conf files commonly refer to, as nova registers
# them (nova/conf/*.py): (group, name) -> (convert, default, old (group, name) spellings).
_OPTS = {
    ("DEFAULT", "pybasedir"): (_to_str, _default_pybasedir, ()),
    ("DEFAULT", "state_path"): (_to_str, _default_state_path, ()),
    ("DEFAULT", "instances_path"): (_to_str, "$state_path/instances", ()),
    ("DEFAULT", "my_ip"): (_to_str, _default_my_ip, ()),
    ("DEFAULT", "my_block_storage_ip"): (_to_str, "$my_ip", ()),
    ("DEFAULT", "my_shared_fs_storage_ip"): (_to_str, "$my_ip", ()),
    ("DEFAULT", "host"): (_to_str, _default_host, ()),
    ("DEFAULT", "force_raw_images"): (_to_bool, True, ()),
    ("DEFAULT", "use_cow_images"): (_to_bool, True, ()),
    ("DEFAULT", "tempdir"): (_to_str, None, ()),
    ("image_cache", "manager_interval"): (
        _to_int(-1), 2400, (("DEFAULT", "image_cache_manager_interval"),)),
    ("image_cache", "subdirectory_name"): (
        _to_str, "_base", (("DEFAULT", "image_cache_subdirectory_name"),)),
    ("image_cache", "remove_unused_base_images"): (
        _to_bool, True, (("DEFAULT", "remove_unused_base_images"),)),
    ("image_cache", "remove_unused_original_minimum_age_seconds"): (
        _to_int(), 86400, (("DEFAULT", "remove_unused_original_minimum_age_seconds"),)),
    ("image_cache", "remove_unused_resized_minimum_age_seconds"): (
        _to_int(), 3600, (("libvirt", "remove_unused_resized_minimum_age_seconds"),)),
    ("image_cache", "precache_concurrency"): (_to_int(1), 1, ()),
    ("libvirt", "images_type"): (_to_choice(IMAGES_TYPES), "default", ()),
    ("libvirt", "images_volume_group"): (_to_str, None, ()),
    ("libvirt", "images_rbd_pool"): (_to_str, "rbd", ()),
    ("libvirt", "images_rbd_ceph_conf"): (_to_str, "", ()),
    ("libvirt", "images_rbd_glance_store_name"): (_to_str, "", ()),
    ("libvirt", "images_rbd_glance_copy_poll_interval"): (_to_int(), 15, ()),
    ("libvirt", "images_rbd_glance_copy_timeout"): (_to_int(), 600, ()),
    ("libvirt", "snapshots_directory"): (_to_str, "$instances_path/snapshots", ()),
    ("libvirt", "images_cpu_time_limit"): (_to_int(), 30, ()),
    ("libvirt", "images_address_space_limit"): (_to_int(), 2, ()),
    ("compute", "vmdk_allowed_types"): (_to_list, ["streamOptimized", "monolithicSparse"], ()),
    ("glance", "verify_glance_signatures"): (_to_bool, False, ()),
    ("glance", "enable_certificate_validation"): (_to_bool, False, ()),
    ("glance", "default_trusted_certificate_ids"): (_to_list, [], ()),
    # castellan's, for the key manager nova-compute reads certificates from.
    ("barbican", "barbican_endpoint"): (_to_str, None, ()),
}


_ALIASES = {old: key for key, entry in _OPTS.items() for old in entry[2]}


def _registered(group, name):
    """The option nova registers as [group] name, by its name or an old name; None if unknown."""
    if (group, name) in _OPTS:
        return group, name
    return _ALIASES.get((group, name))


def _at(root, path):
    """`path` on the host, under `root` (tests build a fake host in a directory)."""
    return path if root == "/" else os.path.join(root, path.lstrip("/"))


def _group_key(section):
    # oslo.config folds section names to lower case, except DEFAULT (so [default] is not it).
    return section if section == "DEFAULT" else section.lower()


def _parse_error(filename, lineno, what, line):
    return NovaConfError("cannot parse %s, line %d: %s: %r; nova-compute cannot read this file "
                         "either: fix it" % (filename, lineno, what, line))


def _split_assignment(line, filename, lineno):
    colon, equal = line.find(":"), line.find("=")
    if colon < 0 and equal < 0:
        raise _parse_error(filename, lineno, "no '=' or ':' in assignment", line)
    cut = equal if colon < 0 or 0 <= equal < colon else colon
    key, value = line[:cut].strip(), line[cut + 1:].strip()
    if not key:
        raise _parse_error(filename, lineno, "empty key", line)
    if value and value[0] == value[-1] and value.startswith(("'", '"')):
        value = value[1:-1]
    return key, value


def parse_ini(lines, filename):
    """Parse nova.conf text as oslo.config's iniparser does.

    Returns {group: {key: [value, ...]}} with every value a key got in this file, in order; group
    names folded as oslo.config folds them, keys kept as written (they are case-sensitive).
    Continuation lines (starting with a space or tab) join the value with newlines; a blank or
    comment line ends it; `#` and `;` start comments only at the start of a line.
    """
    sections = {}
    group = None
    key, value = None, []
    lineno = 0

    def assign():
        if group is None:
            raise _parse_error(filename, lineno, "option before any [section]", key)
        sections[group].setdefault(key, []).append("\n".join(value))

    for lineno, line in enumerate(lines, 1):
        line = line.rstrip()
        if line.startswith((" ", "\t")):
            if key is None:
                raise _parse_error(filename, lineno, "unexpected continuation line", line)
            value.append(line.lstrip())
            continue
        if key is not None:
            assign()
            key, value = None, []
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise _parse_error(filename, lineno, "section must end with ]", line)
            if len(line) <= 2:
                raise _parse_error(filename, lineno, "empty section name", line)
            group = _group_key(line[1:-1])
            sections.setdefault(group, {})
        else:
            key, first = _split_assignment(line, filename, lineno)
            value = [first]
    if key is not None:
        assign()
    return sections


def _read(root, path):
    try:
        with open(_at(root, path), encoding="utf-8") as handle:
            return parse_ini(handle.readlines(), path)
    except PermissionError as exc:
        raise NovaConfError("cannot read %s: %s; run the task as root (become: true)"
                            % (path, exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NovaConfError("cannot read %s: %s" % (path, exc)) from None


class _References:
    """The mapping string.Template asks for `$name` values, as oslo.config's StrSubWrapper."""

    def __init__(self, conf, group):
        self._conf = conf
        self._group = group

    def __getitem__(self, key):
        return self._conf.reference(key, self._group)


class NovaConf:
    """nova.conf files read as oslo.config reads them for nova-compute.

    `files` are read in order and later files win, as with repeated `--config-file`. Within a
    file the last assignment of a key wins, and an option's current name wins over its old
    names; a later file wins over an earlier one even when it uses an old name.
    """

    def __init__(self, files, root="/"):
        self.files = list(files)
        self.notes = []
        self._parsed = [_read(root, path) for path in self.files]
        self._resolving = []

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)

    def error(self, text):
        """A NovaConfError naming the option being resolved, for messages from within get()."""
        if self._resolving:
            group, name, source = self._resolving[-1]
            where = "from %s" % source if source else "Nova's default"
            text = "[%s] %s (%s): %s" % (group, name, where, text)
            if len(self._resolving) > 1:
                text += " (needed for [%s] %s)" % self._resolving[0][:2]
        return NovaConfError(text)

    def is_set(self, group, name):
        return self._lookup([(group, name)]) is not None

    def _lookup(self, names):
        """(value, file) of the first of `names` set in the last file setting any of them."""
        for path, sections in zip(reversed(self.files), reversed(self._parsed)):
            for group, name in names:
                values = sections.get(group, {}).get(name)
                if values:
                    return values[-1], path
        return None

    def get(self, group, name):
        """The value nova-compute uses for [group] name: interpolated and typed.

        Options this module does not know are returned as strings when a file sets them.
        """
        real = _registered(group, name)
        convert, default, old_names = _OPTS[real] if real else (None, None, ())
        if any(entry[:2] == (group, name) for entry in self._resolving):
            chain = " -> ".join("[%s] %s" % entry[:2] for entry in self._resolving)
            raise self.error("circular reference: %s -> [%s] %s" % (chain, group, name))
        # Like oslo.config, an option asked for by an old name is looked up in the group asked.
        found = self._lookup([(group, real[1] if real else name)] + list(old_names))
        if found is None and real is None:
            raise self.error("nova.conf does not set [%s] %s and this module does not know its "
                             "default; set it in nova.conf" % (group, name))
        if found is not None:
            value = found[0]
        elif callable(default):
            value = default(self)  # outside the stack, so errors name the option referring to it
        else:
            value = default
        self._resolving.append((group, name, found[1] if found else None))
        try:
            value = self._substitute(value, group)
            if convert is None:
                return value
            try:
                return convert(value)
            except ValueError as exc:
                raise self.error("%s; nova-compute cannot use this value either: fix it" % exc) \
                    from None
        finally:
            self._resolving.pop()

    def _substitute(self, value, group):
        if isinstance(value, list):
            return [self._substitute(item, group) for item in value]
        if not isinstance(value, str):
            return value
        # oslo.config treats \$ like $$, an escaped dollar.
        return _Template(value.replace("\\$", "$$")).safe_substitute(_References(self, group))

    def reference(self, key, group):
        """The text `$key` stands for in a value of `group`, resolved as oslo.config does.

        `$name` is the option of that name in the same group if nova registers one there, else
        the [DEFAULT] one; `${group.name}` names the group (never DEFAULT: oslo.config has no
        group of that name and fails).
        """
        if "." in key:
            ref_group, name = key.split(".", 1)
            if not name:
                raise self.error("oslo.config reads the dot in $%s as part of the name, a "
                                 "reference to group [%s], so nova-compute fails on it too; "
                                 "write ${%s}" % (key, ref_group, ref_group))
            if ref_group == "DEFAULT":
                raise self.error("${%s} cannot be resolved: oslo.config has no group named "
                                 "DEFAULT for references, so nova-compute fails on it too; "
                                 "write ${%s}" % (key, name))
            if ref_group != ref_group.lower():
                raise self.error("${%s} cannot be resolved: nova has no group [%s] (group names "
                                 "in references are lower case), so nova-compute fails on it too"
                                 % (key, ref_group))
        elif group != "DEFAULT" and (_registered(group, key) or (
                not _registered("DEFAULT", key) and self.is_set(group, key))):
            ref_group, name = group, key
        else:
            ref_group, name = "DEFAULT", key
        if not _registered(ref_group, name) and not self.is_set(ref_group, name):
            raise self.error("$%s: nova.conf does not set [%s] %s and this module does not know "
                             "its default; set it in nova.conf, or write ${name} if the name ends "
                             "before a letter, digit, '_' or '.' (names are case-sensitive)"
                             % (key, ref_group, name))
        value = self.get(ref_group, name)
        return "" if value is None else str(value)


def _first_existing(root, paths, test=os.path.exists):
    for path in paths:
        if test(_at(root, path)):
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
                  if os.path.exists(_at(root, path))]
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
                      for path in sorted(glob.glob(os.path.join(_at(root, found), "*.conf")))]
    return files


def _osa_target(root, path):
    """The venv file an OpenStack-Ansible /etc/nova/nova.conf links to, or None."""
    real = os.path.realpath(_at(root, path))
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
    if os.path.isfile(_at(root, KOLLA_NOVA_CONF)):
        return "kolla", [KOLLA_NOVA_CONF]
    tripleo = os.path.join(TRIPLEO_CONFIG_ROOT, "etc/nova/nova.conf")
    if os.path.isfile(_at(root, tripleo)):
        return "tripleo", _oslo_files(root, TRIPLEO_CONFIG_ROOT, dist=False)
    files = _oslo_files(root, "/", dist=True)
    main = [path for path in files if not path.startswith("/usr/share/")]
    if main:
        return ("openstack-ansible" if _osa_target(root, main[0]) else "packages"), files
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
    if _osa_target(root, path):
        return "openstack-ansible"
    if path.startswith(("/etc/nova/", "/usr/share/nova/")) or path in ("/etc/nova.conf",
                                                                       "/etc/nova-compute.conf"):
        return "packages"
    return "custom"


def _kolla_state_dir(root, notes):
    """The host directory Kolla-Ansible mounts at /var/lib/nova in the nova_compute container."""
    found = [(engine, path) for engine, path in KOLLA_VOLUMES if os.path.isdir(_at(root, path))]
    if found:
        if len(found) > 1:
            notes.append("both %s exist; used %s's" % (
                " and ".join(path for engine, path in found), found[0][0]))
        return found[0][1]
    if os.path.isdir(_at(root, NOVA_STATE_DIR)):
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


@dataclasses.dataclass
class NovaSettings:
    """nova-compute's image cache settings on this host; paths are host paths."""

    nova_conf: list
    flavour: str
    instances_path: str
    cache_dir: str
    lock_dir: str
    nova_instances_path: str
    nova_cache_dir: str
    subdirectory_name: str
    state_path: str
    force_raw_images: bool
    images_type: str
    images_rbd_glance_store_name: str
    remove_unused_base_images: bool
    remove_unused_original_minimum_age_seconds: int
    remove_unused_resized_minimum_age_seconds: int
    manager_interval: int
    vmdk_allowed_types: list
    images_cpu_time_limit: int
    images_address_space_limit: int
    my_ip: str
    host: str
    verify_glance_signatures: bool
    enable_certificate_validation: bool
    default_trusted_certificate_ids: list
    barbican_endpoint: str
    notes: list = dataclasses.field(default_factory=list)

    def as_dict(self):
        return dataclasses.asdict(self)

    @property
    def verifies_signatures(self):
        """Whether nova-compute checks image signatures when it downloads (nova/image/glance.py).

        Certificate validation with default trusted certificates turns verification on even
        without verify_glance_signatures, whatever nova.conf's help says.
        """
        return self.verify_glance_signatures or bool(self.trusted_certificate_ids)

    @property
    def trusted_certificate_ids(self):
        """The certificates a signing certificate must chain up to; [] for no validation."""
        if self.enable_certificate_validation:
            return list(self.default_trusted_certificate_ids)
        return []


def _nova_conf_list(nova_conf):
    if nova_conf is None:
        return []
    return [nova_conf] if isinstance(nova_conf, str) else list(nova_conf)


def load_settings(nova_conf=None, cache_dir=None, root="/"):
    """Read nova-compute's cache settings: from `nova_conf` (a path or list) or discovery.

    `cache_dir` (a host path) replaces the cache dir nova.conf gives; settings still come from
    nova.conf when one is found, and Nova's defaults apply when none is. `root` is for tests.
    """
    notes = []
    given = _nova_conf_list(nova_conf)
    if given:
        missing = [path for path in given if not os.path.isfile(_at(root, path))]
        if missing:
            raise NovaConfError("nova_conf: %s does not exist or is not a file on this host"
                                % ", ".join(missing))
        files = given
        flavour = next((f for f in (flavour_of(path, root) for path in given) if f != "custom"),
                       "custom")
    else:
        try:
            flavour, files = find_nova_conf(root)
        except NovaConfError:
            if cache_dir is None:
                raise
            flavour, files = None, []
            notes.append("no nova.conf found; cache_dir is used, with Nova's default settings")
    for path in files:
        target = _osa_target(root, path) if flavour == "openstack-ansible" else None
        if target and target != path:
            notes.append("%s links to %s" % (path, target))
    conf = NovaConf(files, root)
    subdirectory_name = conf.get("image_cache", "subdirectory_name")
    if files:
        nova_instances = conf.get("DEFAULT", "instances_path")
        nova_cache = os.path.join(nova_instances, subdirectory_name)
        state_path = conf.get("DEFAULT", "state_path")
    else:
        nova_cache = os.path.normpath(cache_dir)
        nova_instances = os.path.dirname(nova_cache)
        state_path = None
    instances, nova_cache_on_host = _host_paths(flavour, nova_instances, nova_cache,
                                                cache_dir, root, notes)
    if cache_dir is not None and os.path.normpath(cache_dir) != nova_cache_on_host:
        notes.append("cache_dir %s is not the cache dir nova-compute uses (%s): Nova boots from "
                     "its own" % (cache_dir, nova_cache_on_host))
    if not os.path.isdir(_at(root, instances)):
        notes.append("the instances dir %s does not exist on this host" % instances)
    return NovaSettings(
        nova_conf=files, flavour=flavour, instances_path=instances,
        cache_dir=cache_dir if cache_dir is not None else nova_cache_on_host,
        lock_dir=os.path.join(instances, "locks"),
        nova_instances_path=nova_instances, nova_cache_dir=nova_cache,
        subdirectory_name=subdirectory_name, state_path=state_path,
        force_raw_images=conf.get("DEFAULT", "force_raw_images"),
        images_type=conf.get("libvirt", "images_type"),
        images_rbd_glance_store_name=conf.get("libvirt", "images_rbd_glance_store_name"),
        remove_unused_base_images=conf.get("image_cache", "remove_unused_base_images"),
        remove_unused_original_minimum_age_seconds=conf.get(
            "image_cache", "remove_unused_original_minimum_age_seconds"),
        remove_unused_resized_minimum_age_seconds=conf.get(
            "image_cache", "remove_unused_resized_minimum_age_seconds"),
        manager_interval=conf.get("image_cache", "manager_interval"),
        vmdk_allowed_types=conf.get("compute", "vmdk_allowed_types"),
        images_cpu_time_limit=conf.get("libvirt", "images_cpu_time_limit"),
        images_address_space_limit=conf.get("libvirt", "images_address_space_limit"),
        my_ip=conf.get("DEFAULT", "my_ip"), host=conf.get("DEFAULT", "host"),
        verify_glance_signatures=conf.get("glance", "verify_glance_signatures"),
        enable_certificate_validation=conf.get("glance", "enable_certificate_validation"),
        default_trusted_certificate_ids=conf.get("glance", "default_trusted_certificate_ids"),
        barbican_endpoint=conf.get("barbican", "barbican_endpoint"),
        notes=list(dict.fromkeys(conf.notes + notes)))


def _host_paths(flavour, nova_instances, nova_cache, cache_dir, root, notes):
    """(instances dir, nova's cache dir) on the host; with cache_dir, mapping errors are notes."""
    try:
        return (host_path(flavour, nova_instances, root, notes),
                host_path(flavour, nova_cache, root, notes))
    except NovaConfError as exc:
        if cache_dir is None:
            raise
        parent = os.path.dirname(os.path.normpath(cache_dir))
        notes.append("%s; assumed the instances dir is %s, the parent of cache_dir" % (exc, parent))
        return parent, os.path.normpath(cache_dir)


def rbd_message(settings):
    """Why caching is pointless on this host (`unsupported`), or None when it is useful.

    With `[libvirt] images_type = rbd` the libvirt driver clones instance disks from the image
    in Ceph and never reads the local cache dir; the image has to be in this host's Glance store.
    """
    if settings.images_type != "rbd":
        return None
    store = settings.images_rbd_glance_store_name
    where = ("Glance store %r ([libvirt] images_rbd_glance_store_name)" % store if store else
             "Glance store backed by this host's Ceph pool ([libvirt] images_rbd_glance_store_name "
             "is not set, so Nova will not copy it there itself)")
    return ("this host uses [libvirt] images_type = rbd (%s): instance disks are cloned from the "
            "image in Ceph and the local cache is never used, so nothing was downloaded; put the "
            "image into the %s with openstack_ops.precache.image_store_copy (Glance copy-image) "
            "instead" % (", ".join(settings.nova_conf) or "nova.conf", where))
