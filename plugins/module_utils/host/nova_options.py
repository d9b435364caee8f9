# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The nova.conf options this collection reads, as nova registers them: type, default, old names.

Types follow oslo_config.types; defaults that depend on other options or on the host are
functions of the NovaConf being read (nova_conf.py), as nova's own defaults are.
"""

import socket

NOVA_STATE_DIR = "/var/lib/nova"
# Nova's default state_path is $pybasedir, the nova Python package's directory; every
# distribution and deployment tool sets /var/lib/nova instead, so that is the useful default.
DEFAULT_STATE_PATH = NOVA_STATE_DIR
IMAGES_TYPES = ("raw", "flat", "qcow2", "lvm", "rbd", "ploop", "default")


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
OPTIONS = {
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


_ALIASES = {old: key for key, entry in OPTIONS.items() for old in entry[2]}


def registered(group, name):
    """The option nova registers as [group] name, by its name or an old name; None if unknown."""
    if (group, name) in OPTIONS:
        return group, name
    return _ALIASES.get((group, name))
