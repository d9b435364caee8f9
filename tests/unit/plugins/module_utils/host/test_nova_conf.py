# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""nova.conf read as oslo.config reads it: the INI dialect, several files, interpolation.

Expected values were checked against oslo.config with nova's options registered; the fake hosts
are directory trees under tmp_path, passed as `root`.
"""

import os

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import nova_conf as nc

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.nova_conf_hosts import (
    conf_of, put)


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


# --- several files -------------------------------------------------------------------------

def test_later_files_win_and_unset_options_fall_through(tmp_path):
    conf = conf_of(tmp_path,
                   "[DEFAULT]\nstate_path = /srv/nova\nmy_ip = 10.0.0.1\n",
                   "[DEFAULT]\nmy_ip = 10.0.0.2\n[image_cache]\nmanager_interval = 60\n",
                   "[image_cache]\nmanager_interval = 120\n")
    assert conf.get("DEFAULT", "state_path") == "/srv/nova"
    assert conf.get("DEFAULT", "my_ip") == "10.0.0.2"
    assert conf.get("image_cache", "manager_interval") == 120


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
