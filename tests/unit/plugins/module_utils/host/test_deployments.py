# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Where each deployment tool puts nova-compute's nova.conf, found on fake hosts.

The fake hosts are directory trees under tmp_path, passed as `root`.
"""

import os

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.deployments import (
    find_nova_conf)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.settings import (
    load_settings)

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.nova_conf_hosts import (
    TRIPLEO_CONF, fake_host, mkdir, put)


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
