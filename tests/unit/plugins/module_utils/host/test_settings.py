# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""nova-compute's cache settings loaded on fake hosts: container paths, given files, cache_dir.

The fake hosts are directory trees under tmp_path, passed as `root`.
"""

import json

import pathlib

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import nova_conf as nc
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.deployments import (
    KOLLA_NOVA_CONF)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.settings import (
    load_settings)

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.nova_conf_hosts import (
    DOCKER_VOLUME, TRIPLEO_CONF, fake_host, mkdir, put)

PODMAN_VOLUME = "/var/lib/containers/storage/volumes/nova_compute/_data"


# --- container paths ---------------------------------------------------------------------------

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

TESTBED_CONF = (pathlib.Path(__file__).parents[4] / "testbed" / "bed" / "nova.conf.template").read_text()


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


# --- the result --------------------------------------------------------------------------------

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
