# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's registered options as a NovaConf reads them: old names, defaults and types.

Expected values were checked against oslo.config with nova's options registered.
"""

import ipaddress
import socket

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import nova_conf as nc

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.nova_conf_hosts import (
    conf_of)


# --- old names ---------------------------------------------------------------------------------

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
