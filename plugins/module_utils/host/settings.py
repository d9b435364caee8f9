# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""nova-compute's image cache settings on this host (NovaSettings), from its nova.conf.

load_settings finds the files (deployments.py), reads them (nova_conf.py), maps Nova's paths to
host paths, and notes what an operator should know (the modules return them as warnings).
"""

import dataclasses
import os

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.deployments import (
    osa_target, find_nova_conf, flavour_of, host_path)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.nova_conf import (
    NovaConf, NovaConfError, rooted)


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
        missing = [path for path in given if not os.path.isfile(rooted(root, path))]
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
        target = osa_target(root, path) if flavour == "openstack-ansible" else None
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
    if not os.path.isdir(rooted(root, instances)):
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
