# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Fake compute hosts for the nova.conf tests: fixture trees and files under tmp_path.

Shared by test_nova_conf, test_nova_options, test_deployments, test_settings and
test_cache_layout, which import it by full path.
"""

import os
import shutil

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import nova_conf as nc

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "nova_conf")
DOCKER_VOLUME = "/var/lib/docker/volumes/nova_compute/_data"
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
