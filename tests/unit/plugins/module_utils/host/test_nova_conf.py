# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""nova.conf read as oslo.config reads it, found where each deployment tool puts it.

Expected values were checked against oslo.config with nova's options registered; the fake hosts
are directory trees under tmp_path, passed as `root`.
"""

import ipaddress
import json
import os
import shutil
import socket

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import nova_conf as nc
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_layout import (
    layout_for)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.deployments import (
    KOLLA_NOVA_CONF, find_nova_conf)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.settings import (
    load_settings)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "nova_conf")
DOCKER_VOLUME = "/var/lib/docker/volumes/nova_compute/_data"
PODMAN_VOLUME = "/var/lib/containers/storage/volumes/nova_compute/_data"
TRIPLEO_CONF = "/var/lib/config-data/puppet-generated/nova_libvirt/etc/nova/nova.conf"


def fake_host(tmp_path, *flavours):
    """A host filesystem under tmp_path holding the fixture trees of these flavours."""
    for flavour in flavours:
        shutil.copytree(os.path.join(FIXTURES, flavour), str(tmp_path), dirs_exist_ok=True)
    return str(tmp_path)


def put(root, path, text=""):
    """Write a file at `path` of the fake host and return `path`."""
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def mkdir(root, path):
    os.makedirs(os.path.join(str(root), path.lstrip("/")), exist_ok=True)


def conf_of(tmp_path, *texts):
    """A NovaConf over files holding these texts, in order."""
    paths = [put(tmp_path, "/conf/%d.conf" % index, text) for index, text in enumerate(texts)]
    return nc.NovaConf(paths, root=str(tmp_path))


def parse(text):
    return nc.parse_ini(text.splitlines(True), "nova.conf")


# --- the INI dialect -----------------------------------------------------------------------

def test_continuation_lines_join_with_newlines_until_a_blank_or_comment_line():
    parsed = parse("[DEFAULT]\n"
                   "a = one\n  two\n\tthree\n"
                   "\n"
                   "b = x\n"
                   "   y\n"
                   "# a comment ends it\n"
                   "c = z\n")
    assert parsed["DEFAULT"] == {"a": ["one\ntwo\nthree"], "b": ["x\ny"], "c": ["z"]}


def test_comments_only_at_line_start_and_values_stripped():
    parsed = parse("; semicolon comment\n[DEFAULT]\n#key = no\n"
                   "key =   value # not a comment   \n")
    assert parsed == {"DEFAULT": {"key": ["value # not a comment"]}}


@pytest.mark.parametrize("line, key, value", [
    ("a = b", "a", "b"),
    ("a: b", "a", "b"),
    ("a:b=c", "a", "b=c"),
    ("a=b:c", "a", "b:c"),
    ("url = http://h:1/x", "url", "http://h:1/x"),
    ('a = "quoted"', "a", "quoted"),
    ("a = 'quoted'", "a", "quoted"),
    ("a = \"half'", "a", "\"half'"),
    ('a = "x" and "y"', "a", 'x" and "y'),
    ("a =", "a", ""),
])
def test_assignments(line, key, value):
    assert parse("[g]\n" + line + "\n") == {"g": {key: [value]}}


def test_group_names_fold_to_lower_case_except_default_and_keys_keep_case():
    parsed = parse("[LibVirt]\nImages_Type = rbd\n[DEFAULT]\na = 1\n[default]\nb = 2\n"
                   "[libvirt]\nimages_type = qcow2\n")
    assert parsed == {"libvirt": {"Images_Type": ["rbd"], "images_type": ["qcow2"]},
                      "DEFAULT": {"a": ["1"]}, "default": {"b": ["2"]}}


def test_repeated_keys_are_all_kept_and_the_last_wins(tmp_path):
    text = "[image_cache]\nsubdirectory_name = a\nsubdirectory_name = b\n"
    assert parse(text)["image_cache"]["subdirectory_name"] == ["a", "b"]
    assert conf_of(tmp_path, text).get("image_cache", "subdirectory_name") == "b"


@pytest.mark.parametrize("text, line, what", [
    ("  indented = 1\n[DEFAULT]\n", 1, "unexpected continuation line"),
    ("[DEFAULT]\njust words\n", 2, "no '=' or ':'"),
    ("[DEFAULT]\n= value\n", 2, "empty key"),
    ("[DEFAULT\n", 1, "section must end with ]"),
    ("[]\n", 1, "empty section name"),
    ("key = value\n[DEFAULT]\n", 2, "option before any [section]"),
])
def test_parse_errors_name_file_and_line(tmp_path, text, line, what):
    path = put(tmp_path, "/etc/nova/nova.conf", text)
    with pytest.raises(nc.NovaConfError) as error:
        nc.NovaConf([path], root=str(tmp_path))
    assert "cannot parse /etc/nova/nova.conf, line %d: %s" % (line, what) in str(error.value)


def test_unreadable_file(tmp_path):
    with pytest.raises(nc.NovaConfError, match="cannot read /etc/nova/nova.conf"):
        nc.NovaConf(["/etc/nova/nova.conf"], root=str(tmp_path))
    put(tmp_path, "/etc/nova/latin1.conf")
    with open(os.path.join(str(tmp_path), "etc/nova/latin1.conf"), "wb") as handle:
        handle.write(b"[DEFAULT]\nhost = caf\xe9\n")
    with pytest.raises(nc.NovaConfError, match="cannot read /etc/nova/latin1.conf: 'utf-8' codec"):
        nc.NovaConf(["/etc/nova/latin1.conf"], root=str(tmp_path))


# --- several files, old names ----------------------------------------------------------------

def test_later_files_win_and_unset_options_fall_through(tmp_path):
    conf = conf_of(tmp_path,
                   "[DEFAULT]\nstate_path = /srv/nova\nmy_ip = 10.0.0.1\n",
                   "[DEFAULT]\nmy_ip = 10.0.0.2\n[image_cache]\nmanager_interval = 60\n",
                   "[image_cache]\nmanager_interval = 120\n")
    assert conf.get("DEFAULT", "state_path") == "/srv/nova"
    assert conf.get("DEFAULT", "my_ip") == "10.0.0.2"
    assert conf.get("image_cache", "manager_interval") == 120


@pytest.mark.parametrize("old, new, text, expected", [
    ("[DEFAULT] image_cache_subdirectory_name", "subdirectory_name", "_old", "_old"),
    ("[DEFAULT] image_cache_manager_interval", "manager_interval", "77", 77),
    ("[DEFAULT] remove_unused_base_images", "remove_unused_base_images", "false", False),
    ("[DEFAULT] remove_unused_original_minimum_age_seconds",
     "remove_unused_original_minimum_age_seconds", "5", 5),
    ("[libvirt] remove_unused_resized_minimum_age_seconds",
     "remove_unused_resized_minimum_age_seconds", "6", 6),
])
def test_old_names(tmp_path, old, new, text, expected):
    group, name = old[1:].split("] ")
    conf = conf_of(tmp_path, "[%s]\n%s = %s\n" % (group, name, text))
    assert conf.get("image_cache", new) == expected


def test_new_name_wins_within_a_file_and_a_later_file_wins_even_with_an_old_name(tmp_path):
    both = ("[DEFAULT]\nimage_cache_subdirectory_name = _old\n"
            "[image_cache]\nsubdirectory_name = _new\n")
    assert conf_of(tmp_path, both).get("image_cache", "subdirectory_name") == "_new"
    later_old = "[DEFAULT]\nimage_cache_subdirectory_name = _later_old\n"
    conf = conf_of(tmp_path, both, later_old)
    assert conf.get("image_cache", "subdirectory_name") == "_later_old"


# --- interpolation -----------------------------------------------------------------------------

INTERPOLATION = """\
[DEFAULT]
host = compute-7.example.org
my_ip = 192.0.2.17
state_path = /srv/nova
instances_path = $state_path/instances
tempdir = ${state_path}/tmp-$$HOME-\\$PATH
my_block_storage_ip = ${image_cache.manager_interval}:$force_raw_images

[image_cache]
subdirectory_name = _base_$my_ip
manager_interval = 1800

[libvirt]
images_type = rbd
images_rbd_glance_store_name = $images_type-on-$host
images_rbd_pool = ${compute.vmdk_allowed_types}

[compute]
vmdk_allowed_types = streamOptimized
"""


def test_interpolation(tmp_path):
    conf = conf_of(tmp_path, INTERPOLATION)
    assert conf.get("DEFAULT", "instances_path") == "/srv/nova/instances"
    assert conf.get("image_cache", "subdirectory_name") == "_base_192.0.2.17"
    assert conf.get("DEFAULT", "tempdir") == "/srv/nova/tmp-$HOME-$PATH"
    # Referenced options are typed first, then rendered as str() renders them.
    assert conf.get("DEFAULT", "my_block_storage_ip") == "1800:True"
    assert conf.get("libvirt", "images_rbd_pool") == "['streamOptimized']"
    # $name is the same group's option when nova registers one there, else [DEFAULT]'s.
    assert conf.get("libvirt", "images_rbd_glance_store_name") == "rbd-on-compute-7.example.org"


def test_references_to_defaults_and_old_names(tmp_path):
    conf = conf_of(tmp_path, "[DEFAULT]\nstate_path = /v\nmy_ip = 192.0.2.1\n"
                             "tempdir = $my_block_storage_ip/$image_cache_manager_interval\n"
                             "[libvirt]\nimages_rbd_pool = $snapshots_directory\n")
    assert conf.get("DEFAULT", "tempdir") == "192.0.2.1/2400"
    assert conf.get("libvirt", "images_rbd_pool") == "/v/instances/snapshots"


def test_unknown_options_set_in_the_file_are_strings(tmp_path):
    conf = conf_of(tmp_path, "[DEFAULT]\nlog_dir = /var/log/nova\nstate_path = $log_dir/x\n"
                             "my_ip = 192.0.2.5\n[glance]\nmy_ip = 192.0.2.99\n"
                             "api_servers = http://$my_ip:9292/$num_retries\nnum_retries = 3\n")
    assert conf.get("DEFAULT", "log_dir") == "/var/log/nova"
    assert conf.get("DEFAULT", "state_path") == "/var/log/nova/x"
    # nova has no [glance] my_ip, so $my_ip is [DEFAULT]'s; num_retries is only set in [glance].
    assert conf.get("glance", "api_servers") == "http://192.0.2.5:9292/3"


@pytest.mark.parametrize("value, message", [
    ("${DEFAULT.state_path}/instances", "oslo.config has no group named DEFAULT"),
    ("/x/$my_ip.", "reads the dot in $my_ip. as part of the name"),
    ("/x/$my_ip_cache", "nova.conf does not set [DEFAULT] my_ip_cache"),
    ("/x/$MY_IP", "names are case-sensitive"),
    ("/x/${LIBVIRT.images_type}", "nova has no group [LIBVIRT]"),
    ("/x/${libvirt.nosuch}", "nova.conf does not set [libvirt] nosuch"),
    ("$pybasedir/instances", "refers to $pybasedir"),
])
def test_references_oslo_config_cannot_resolve_fail(tmp_path, value, message):
    conf = conf_of(tmp_path, "[DEFAULT]\nstate_path = /v\ninstances_path = %s\n" % value)
    with pytest.raises(nc.NovaConfError) as error:
        conf.get("DEFAULT", "instances_path")
    assert message in str(error.value)
    assert str(error.value).startswith("[DEFAULT] instances_path (from /conf/0.conf)")


def test_circular_references_fail(tmp_path):
    conf = conf_of(tmp_path, "[DEFAULT]\nstate_path = $instances_path\n")
    with pytest.raises(nc.NovaConfError, match="circular reference: .*instances_path -> "
                                               r"\[DEFAULT\] state_path -> \[DEFAULT\] "
                                               "instances_path"):
        conf.get("DEFAULT", "instances_path")


def test_a_dollar_that_starts_no_name_is_kept(tmp_path):
    conf = conf_of(tmp_path, "[image_cache]\nsubdirectory_name = _base$-$1-${\n")
    assert conf.get("image_cache", "subdirectory_name") == "_base$-$1-${"


# --- defaults and types ------------------------------------------------------------------------

def test_defaults(tmp_path):
    conf = conf_of(tmp_path, "[DEFAULT]\n")
    assert conf.get("DEFAULT", "state_path") == "/var/lib/nova"
    assert conf.notes == ["state_path is not set in nova.conf; assumed /var/lib/nova, as "
                          "distributions and deployment tools set it (Nova's own default, "
                          "$pybasedir, is not a data directory)"]
    assert conf.get("DEFAULT", "instances_path") == "/var/lib/nova/instances"
    assert conf.get("image_cache", "subdirectory_name") == "_base"
    assert conf.get("DEFAULT", "force_raw_images") is True
    assert conf.get("image_cache", "remove_unused_base_images") is True
    assert conf.get("image_cache", "remove_unused_original_minimum_age_seconds") == 86400
    assert conf.get("image_cache", "remove_unused_resized_minimum_age_seconds") == 3600
    assert conf.get("image_cache", "manager_interval") == 2400
    assert conf.get("libvirt", "images_type") == "default"
    assert conf.get("libvirt", "images_rbd_glance_store_name") == ""
    assert conf.get("compute", "vmdk_allowed_types") == ["streamOptimized", "monolithicSparse"]
    assert conf.get("DEFAULT", "host") == socket.gethostname()
    assert ipaddress.IPv4Address(conf.get("DEFAULT", "my_ip"))


@pytest.mark.parametrize("text, expected", [
    ("true", True), ("True", True), ("1", True), ("on", True), ("YES", True),
    ("false", False), ("FALSE", False), ("0", False), ("off", False), ("no", False),
])
def test_booleans(tmp_path, text, expected):
    conf = conf_of(tmp_path, "[DEFAULT]\nforce_raw_images = %s\n" % text)
    assert conf.get("DEFAULT", "force_raw_images") is expected


@pytest.mark.parametrize("group, name, text, message", [
    ("DEFAULT", "force_raw_images", "maybe", "'maybe' is not a boolean"),
    ("DEFAULT", "force_raw_images", "t", "'t' is not a boolean"),
    ("image_cache", "manager_interval", "-2", "-2 is below the minimum -1"),
    ("image_cache", "manager_interval", "40m", "'40m' is not an integer"),
    ("libvirt", "images_type", "RBD", "'RBD' is not one of raw, flat, qcow2, lvm, rbd"),
])
def test_invalid_values_fail_naming_option_and_file(tmp_path, group, name, text, message):
    conf = conf_of(tmp_path, "[%s]\n%s = %s\n" % (group, name, text))
    with pytest.raises(nc.NovaConfError) as error:
        conf.get(group, name)
    assert str(error.value).startswith("[%s] %s (from /conf/0.conf): %s" % (group, name, message))
    assert str(error.value).endswith("nova-compute cannot use this value either: fix it")


@pytest.mark.parametrize("text, expected", [
    ("", None), ("-1", -1), ("0", 0), (" 600", 600),
])
def test_integers(tmp_path, text, expected):
    conf = conf_of(tmp_path, "[image_cache]\nmanager_interval = %s\n" % text)
    assert conf.get("image_cache", "manager_interval") == expected


@pytest.mark.parametrize("text, expected", [
    ("streamOptimized", ["streamOptimized"]),
    ("streamOptimized, monolithicSparse,", ["streamOptimized", "monolithicSparse"]),
    ("", []),
    ("[a, b]", ["[a", "b]"]),
])
def test_lists(tmp_path, text, expected):
    conf = conf_of(tmp_path, "[compute]\nvmdk_allowed_types = %s\n" % text)
    assert conf.get("compute", "vmdk_allowed_types") == expected


# --- discovery -------------------------------------------------------------------------------

def test_rdo_reads_the_dist_file_first(tmp_path):
    root = fake_host(tmp_path, "rdo")
    mkdir(root, "/var/lib/nova/instances")
    assert find_nova_conf(root) == ("packages", ["/usr/share/nova/nova-dist.conf",
                                                 "/etc/nova/nova.conf"])
    settings = load_settings(root=root)
    assert settings.flavour == "packages"
    assert settings.state_path == "/var/lib/nova"  # from nova-dist.conf, so no note
    assert settings.notes == []
    assert settings.instances_path == "/var/lib/nova/instances"
    assert settings.cache_dir == "/var/lib/nova/instances/_base"
    assert settings.lock_dir == "/var/lib/nova/instances/locks"
    assert settings.force_raw_images is False
    assert settings.remove_unused_original_minimum_age_seconds == 172800
    assert settings.my_ip == "192.168.24.17"
    assert settings.host == "compute-0.localdomain"


def test_ubuntu_reads_nova_compute_conf_and_the_conf_d_dir_in_order(tmp_path):
    root = fake_host(tmp_path, "ubuntu")
    put(root, "/etc/nova/nova.conf.d/.99-hidden.conf", "[image_cache]\nmanager_interval = 1\n")
    put(root, "/etc/nova/nova.conf.d/30-off.conf.bak", "[image_cache]\nmanager_interval = 2\n")
    put(root, "/etc/nova/nova-compute.conf.d/00-last.conf",
        "[image_cache]\nremove_unused_base_images = false\n")
    flavour, files = find_nova_conf(root)
    assert flavour == "packages"
    assert files == ["/etc/nova/nova.conf", "/etc/nova/nova-compute.conf",
                     "/etc/nova/nova.conf.d/10-image-cache.conf",
                     "/etc/nova/nova.conf.d/20-expiry.conf",
                     "/etc/nova/nova-compute.conf.d/00-last.conf"]
    settings = load_settings(root=root)
    assert settings.subdirectory_name == "_base_10.0.0.31"
    assert settings.cache_dir == "/var/lib/nova/instances/_base_10.0.0.31"
    assert settings.manager_interval == 600
    assert settings.remove_unused_original_minimum_age_seconds == 259200
    assert settings.remove_unused_base_images is False


def test_etc_nova_conf_is_used_when_etc_nova_has_none(tmp_path):
    path = put(tmp_path, "/etc/nova.conf", "[DEFAULT]\nstate_path = /data/nova\n")
    assert find_nova_conf(str(tmp_path)) == ("packages", [path])


def test_openstack_ansible_links_etc_nova_into_a_venv(tmp_path):
    root = fake_host(tmp_path, "openstack-ansible")
    mkdir(root, "/etc")
    os.symlink(os.path.join(root, "openstack/venvs/nova-31.1.0/etc/nova"),
               os.path.join(root, "etc/nova"))
    mkdir(root, "/var/lib/nova/instances")
    assert find_nova_conf(root) == ("openstack-ansible", ["/etc/nova/nova.conf"])
    settings = load_settings(root=root)
    assert settings.flavour == "openstack-ansible"
    assert settings.notes == ["/etc/nova/nova.conf links to "
                              "/openstack/venvs/nova-31.1.0/etc/nova/nova.conf"]
    assert settings.cache_dir == "/var/lib/nova/instances/_base"
    assert settings.images_type == "qcow2"
    assert settings.my_ip == "172.29.236.100"


@pytest.mark.parametrize("volume", [DOCKER_VOLUME, PODMAN_VOLUME])
def test_kolla_maps_the_nova_compute_volume_to_the_host(tmp_path, volume):
    root = fake_host(tmp_path, "kolla")
    mkdir(root, volume + "/instances")
    put(root, "/etc/nova/nova.conf", "[DEFAULT]\ninstances_path = /stale/from/packages\n")
    settings = load_settings(root=root)
    assert settings.flavour == "kolla"
    assert settings.nova_conf == ["/etc/kolla/nova-compute/nova.conf"]
    assert settings.nova_instances_path == "/var/lib/nova/instances"
    assert settings.nova_cache_dir == "/var/lib/nova/instances/_base"
    assert settings.instances_path == volume + "/instances"
    assert settings.cache_dir == volume + "/instances/_base"
    assert settings.lock_dir == volume + "/instances/locks"
    assert settings.remove_unused_original_minimum_age_seconds == 604800
    assert settings.notes == []


def test_kolla_with_both_volumes_uses_dockers_and_says_so(tmp_path):
    root = fake_host(tmp_path, "kolla")
    mkdir(root, DOCKER_VOLUME + "/instances")
    mkdir(root, PODMAN_VOLUME + "/instances")
    settings = load_settings(root=root)
    assert settings.cache_dir == DOCKER_VOLUME + "/instances/_base"
    assert settings.notes == ["both %s and %s exist; used docker's" % (DOCKER_VOLUME,
                                                                       PODMAN_VOLUME)]


def test_kolla_with_var_lib_nova_bind_mounted(tmp_path):
    root = fake_host(tmp_path, "kolla")
    mkdir(root, "/var/lib/nova/instances")
    settings = load_settings(root=root)
    assert settings.cache_dir == "/var/lib/nova/instances/_base"
    assert "is bind-mounted from the host" in settings.notes[0]


def test_kolla_without_its_volume_fails(tmp_path):
    root = fake_host(tmp_path, "kolla")
    with pytest.raises(nc.NovaConfError) as error:
        load_settings(root=root)
    assert DOCKER_VOLUME in str(error.value) and PODMAN_VOLUME in str(error.value)
    assert "cache_dir:" in str(error.value)


def test_kolla_paths_outside_var_lib_nova_are_assumed_mounted_at_the_same_path(tmp_path):
    root = fake_host(tmp_path)
    put(root, KOLLA_NOVA_CONF, "[DEFAULT]\ninstances_path = /srv/instances\n")
    settings = load_settings(root=root)
    assert settings.cache_dir == "/srv/instances/_base"
    assert any(note.startswith("/srv/instances is outside /var/lib/nova, the directory the kolla "
                               "container mounts") for note in settings.notes)


def test_tripleo_bind_mounts_var_lib_nova(tmp_path):
    root = fake_host(tmp_path, "tripleo")
    put(root, "/etc/nova/nova.conf", "[DEFAULT]\ninstances_path = /stale\n")
    mkdir(root, "/var/lib/nova/instances")
    settings = load_settings(root=root)
    assert settings.flavour == "tripleo"
    assert settings.nova_conf == [TRIPLEO_CONF]
    assert settings.cache_dir == "/var/lib/nova/instances/_base"
    assert settings.nova_cache_dir == settings.cache_dir
    assert settings.vmdk_allowed_types == ["streamOptimized"]
    assert settings.host == "overcloud-novacompute-0.localdomain"


def test_tripleo_reads_the_files_beside_its_nova_conf(tmp_path):
    root = fake_host(tmp_path, "tripleo")
    base = "/var/lib/config-data/puppet-generated/nova_libvirt/etc/nova/"
    put(root, base + "nova.conf.d/50-cache.conf", "[image_cache]\nsubdirectory_name = _c\n")
    assert find_nova_conf(root) == ("tripleo", [TRIPLEO_CONF,
                                                base + "nova.conf.d/50-cache.conf"])


def test_kolla_comes_before_tripleo_before_etc_nova(tmp_path):
    root = fake_host(tmp_path, "tripleo", "ubuntu")
    assert find_nova_conf(root)[0] == "tripleo"
    fake_host(tmp_path, "kolla")
    assert find_nova_conf(root)[0] == "kolla"


def test_nothing_found_says_where_it_looked_and_what_to_do(tmp_path):
    put(tmp_path, "/usr/share/nova/nova-dist.conf", "[DEFAULT]\nstate_path = /var/lib/nova\n")
    with pytest.raises(nc.NovaConfError) as error:
        load_settings(root=str(tmp_path))
    message = str(error.value)
    for place in (KOLLA_NOVA_CONF, TRIPLEO_CONF, "/etc/nova/nova.conf", "nova_conf:",
                  "cache_dir:"):
        assert place in message


# --- given files, cache_dir ------------------------------------------------------------------

def test_given_files_are_read_in_order_and_alone(tmp_path):
    root = fake_host(tmp_path, "rdo")
    extra = put(root, "/root/override.conf", "[image_cache]\nsubdirectory_name = _given\n")
    settings = load_settings(nova_conf=["/etc/nova/nova.conf", extra], root=root)
    assert settings.nova_conf == ["/etc/nova/nova.conf", extra]
    assert settings.flavour == "packages"
    assert settings.cache_dir == "/var/lib/nova/instances/_given"
    # nova-dist.conf was not given, so state_path is unset.
    assert settings.notes[0].startswith("state_path is not set in nova.conf")


def test_a_given_kolla_file_is_mapped_like_a_found_one(tmp_path):
    root = fake_host(tmp_path, "kolla")
    mkdir(root, PODMAN_VOLUME)
    settings = load_settings(nova_conf=KOLLA_NOVA_CONF, root=root)
    assert settings.flavour == "kolla"
    assert settings.cache_dir == PODMAN_VOLUME + "/instances/_base"


def test_a_given_file_elsewhere_is_custom_and_not_mapped(tmp_path):
    path = put(tmp_path, "/opt/nova/nova.conf", "[DEFAULT]\ninstances_path = /var/lib/nova/i\n")
    settings = load_settings(nova_conf=path, root=str(tmp_path))
    assert settings.flavour == "custom"
    assert settings.cache_dir == "/var/lib/nova/i/_base"


def test_a_missing_given_file_fails(tmp_path):
    with pytest.raises(nc.NovaConfError, match="nova_conf: /etc/nova/nope.conf does not exist"):
        load_settings(nova_conf=["/etc/nova/nope.conf"], root=str(tmp_path))


def test_cache_dir_replaces_the_dir_but_settings_come_from_nova_conf(tmp_path):
    root = fake_host(tmp_path, "rdo")
    mkdir(root, "/var/lib/nova/instances")
    settings = load_settings(cache_dir="/var/lib/nova/instances/_base", root=root)
    assert settings.cache_dir == "/var/lib/nova/instances/_base"
    assert settings.force_raw_images is False
    assert settings.notes == []
    settings = load_settings(cache_dir="/mnt/cache", root=root)
    assert settings.cache_dir == "/mnt/cache"
    assert settings.lock_dir == "/var/lib/nova/instances/locks"
    assert settings.notes == ["cache_dir /mnt/cache is not the cache dir nova-compute uses "
                              "(/var/lib/nova/instances/_base): Nova boots from its own"]


def test_cache_dir_without_nova_conf_uses_novas_defaults(tmp_path):
    mkdir(tmp_path, "/srv/nova/instances")
    settings = load_settings(cache_dir="/srv/nova/instances/_base/", root=str(tmp_path))
    assert settings.nova_conf == []
    assert settings.flavour is None
    assert settings.cache_dir == "/srv/nova/instances/_base/"
    assert settings.instances_path == "/srv/nova/instances"
    assert settings.lock_dir == "/srv/nova/instances/locks"
    assert settings.force_raw_images is True
    assert settings.notes == ["no nova.conf found; cache_dir is used, with Nova's default "
                              "settings"]


def test_cache_dir_when_the_kolla_volume_is_missing(tmp_path):
    root = fake_host(tmp_path, "kolla")
    settings = load_settings(cache_dir="/data/nova/instances/_base", root=root)
    assert settings.lock_dir == "/data/nova/instances/locks"
    assert any("assumed the instances dir is /data/nova/instances" in note
               for note in settings.notes)


def test_a_missing_instances_dir_is_noted(tmp_path):
    root = fake_host(tmp_path, "rdo")
    settings = load_settings(root=root)
    assert settings.notes == ["the instances dir /var/lib/nova/instances does not exist on "
                              "this host"]


def test_an_absolute_subdirectory_name_is_joined_as_nova_joins_it(tmp_path):
    path = put(tmp_path, "/etc/nova/nova.conf", "[image_cache]\nsubdirectory_name = /cache\n")
    assert load_settings(nova_conf=path, root=str(tmp_path)).cache_dir == "/cache"


# --- the test bed's hosts (tests/testbed/bed/sshhosts.py) -------------------------------------

TESTBED_CONF = """\
# nova.conf of test bed host {name} ({flavour} layout)
[DEFAULT]
host = {name}
my_ip = {address}
state_path = /var/lib/nova
compute_driver = libvirt.LibvirtDriver

[libvirt]
virt_type = kvm
{extra}"""


@pytest.mark.parametrize("flavour, nova_conf, instances, extra, cache", [
    ("packages", "/etc/nova/nova.conf", "/var/lib/nova/instances", "",
     "/var/lib/nova/instances/_base"),
    ("kolla", KOLLA_NOVA_CONF, DOCKER_VOLUME + "/instances", "",
     DOCKER_VOLUME + "/instances/_base"),
    ("packages", "/etc/nova/nova.conf", "/var/lib/nova/instances",
     "\n[image_cache]\nsubdirectory_name = _base_$my_ip\n",
     "/var/lib/nova/instances/_base_127.0.0.13"),
])
def test_testbed_hosts(tmp_path, flavour, nova_conf, instances, extra, cache):
    root = str(tmp_path)
    for mount in ("/etc/nova", "/var/lib/nova", "/etc/kolla",
                  "/var/lib/docker/volumes/nova_compute"):
        mkdir(root, mount)
    put(root, nova_conf, TESTBED_CONF.format(name="compute3", address="127.0.0.13",
                                             flavour=flavour, extra=extra))
    mkdir(root, instances)
    settings = load_settings(root=root)
    assert (settings.flavour, settings.nova_conf) == (flavour, [nova_conf])
    assert settings.cache_dir == cache
    assert settings.lock_dir == instances + "/locks"
    assert settings.host == "compute3"
    assert settings.notes == []


# --- the result, rbd ---------------------------------------------------------------------------

def test_as_dict_is_the_module_result(tmp_path):
    root = fake_host(tmp_path, "tripleo")
    result = load_settings(root=root).as_dict()
    assert json.loads(json.dumps(result)) == result
    assert result["cache_dir"] == "/var/lib/nova/instances/_base"
    assert result["manager_interval"] == 2400
    assert set(result) >= {"nova_conf", "flavour", "instances_path", "cache_dir", "lock_dir",
                           "subdirectory_name", "force_raw_images", "images_type",
                           "images_rbd_glance_store_name", "remove_unused_base_images",
                           "remove_unused_original_minimum_age_seconds", "manager_interval",
                           "vmdk_allowed_types", "my_ip", "host", "notes"}


def test_rbd_hosts_get_a_pointer_to_the_multistore_path(tmp_path):
    root = fake_host(tmp_path, "kolla")
    mkdir(root, DOCKER_VOLUME)
    assert layout_for(load_settings(root=root)).unsupported() is None
    with open(os.path.join(root, KOLLA_NOVA_CONF.lstrip("/")), "a", encoding="utf-8") as conf:
        conf.write("\n[libvirt]\nimages_type = rbd\nimages_rbd_pool = vms\n")
    message = layout_for(load_settings(root=root)).unsupported()
    assert message.startswith("this host uses [libvirt] images_type = rbd "
                              "(/etc/kolla/nova-compute/nova.conf)")
    assert "images_rbd_glance_store_name is not set" in message
    assert "openstack_ops.precache.image_store_copy" in message
    with open(os.path.join(root, KOLLA_NOVA_CONF.lstrip("/")), "a", encoding="utf-8") as conf:
        conf.write("images_rbd_glance_store_name = ceph-az1\n")
    message = layout_for(load_settings(root=root)).unsupported()
    assert "Glance store 'ceph-az1' ([libvirt] images_rbd_glance_store_name)" in message
