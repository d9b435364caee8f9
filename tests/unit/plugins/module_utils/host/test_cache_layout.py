# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The cache layout is chosen once from images_type: rbd, or base files in the cache dir."""

import os
import types

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_layout import (
    layout_for)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.deployments import (
    KOLLA_NOVA_CONF)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.nova_options import (
    IMAGES_TYPES)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.settings import (
    load_settings)

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.nova_conf_hosts import (
    DOCKER_VOLUME, fake_host, mkdir)


def settings(images_type, store=""):
    return types.SimpleNamespace(images_type=images_type, images_rbd_glance_store_name=store,
                                 nova_conf=["/etc/nova/nova.conf"])


@pytest.mark.parametrize("images_type", [t for t in IMAGES_TYPES if t != "rbd"])
def test_every_other_images_type_boots_from_the_cache_dir(images_type):
    layout = layout_for(settings(images_type))
    assert layout.uses_cache_dir and layout.unsupported() is None
    assert layout.glance_store is None


def test_rbd_names_its_store_and_says_why_nothing_is_cached():
    layout = layout_for(settings("rbd", "edge-1-ceph"))
    assert not layout.uses_cache_dir and layout.glance_store == "edge-1-ceph"
    assert "(/etc/nova/nova.conf)" in layout.unsupported()
    assert layout_for(settings("rbd")).glance_store is None


# --- on a fake host (see nova_conf_hosts) ------------------------------------------------------

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
