# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The work of the cache_image module for one image: refresh it, or download, check and install it.

Follows nova.virt.libvirt.driver.cache_image and nova.virt.images.fetch_to_raw: a present base
file only gets its mtime refreshed; a missing one is downloaded, inspected, converted to raw when
Nova would, and renamed into place, all under Nova's lock for that file. Every failure is
confined to its image and leaves no file of ours behind.
"""

import grp
import os
import pwd
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils import _image_cache as cache
from ansible_collections.openstack_ops.precache.plugins.module_utils._cache_inventory import (
    disk_usage)
from ansible_collections.openstack_ops.precache.plugins.module_utils._download import (
    DownloadError, download)
from ansible_collections.openstack_ops.precache.plugins.module_utils._image_format import (
    ImageFormatError, convert_to_raw, inspect_image)
from ansible_collections.openstack_ops.precache.plugins.module_utils._nova_conf import rbd_message
from ansible_collections.openstack_ops.precache.plugins.module_utils._sizes import format_bytes

DOWNLOADED, REFRESHED, FAILED, UNSUPPORTED, SKIPPED = (
    "downloaded", "refreshed", "failed", "unsupported", "skipped")
CACHEABLE_CONTAINER_FORMATS = ("bare",)
NOT_CACHED = "not cached here, and download_missing is false"


def data_url(image, image_endpoint):
    """The image's data URL: its own `url`, else Glance's v2 API under image_endpoint."""
    if image.get("url"):
        return image["url"]
    if not image_endpoint:
        raise cache.CacheError("it has no url and no image_endpoint was given")
    endpoint = image_endpoint.rstrip("/")
    if not endpoint.endswith("/v2"):
        endpoint += "/v2"
    return "%s/images/%s/file" % (endpoint, image["id"])


def resolve_owner(owner, group, settings):
    """uid and gid for cached files: given by name or number, else those of Nova's cache dir."""
    reference = next((path for path in (settings.cache_dir, settings.instances_path)
                      if path and os.path.isdir(path)), None)
    if (owner is None or group is None) and reference is None:
        raise cache.CacheError(
            "neither the cache dir %s nor the instances dir %s exists, so the nova user is "
            "unknown: is nova-compute installed here? Set owner and group to create it"
            % (settings.cache_dir, settings.instances_path))
    info = os.stat(reference) if reference else None
    uid = info.st_uid if owner is None else _lookup(owner, pwd.getpwnam, "pw_uid", "user")
    gid = info.st_gid if group is None else _lookup(group, grp.getgrnam, "gr_gid", "group")
    return uid, gid


def _lookup(name, getter, field, what):
    if str(name).isdigit():
        return int(name)
    try:
        return getattr(getter(name), field)
    except KeyError:
        raise cache.CacheError("%s %s does not exist on this host" % (what, name)) from None


def should_convert(force_raw, settings):
    """Whether images become raw: `auto` follows the host's force_raw_images, as Nova does."""
    if force_raw == "auto":
        return settings.force_raw_images
    return force_raw == "true"


class ImageCacher:
    """Caches the images of one plan on this host; one instance per module run."""

    def __init__(self, settings, qemu_img, convert, uid, gid, mode, lock_timeout,
                 download_options, image_endpoint=None, auth_token=None, check_mode=False,
                 download_missing=True, evictor=None):
        self.settings = settings
        self.qemu_img = qemu_img
        self.convert = convert
        self.uid, self.gid, self.mode = uid, gid, mode
        self.lock_timeout = lock_timeout
        self.download_options = download_options
        self.image_endpoint = image_endpoint
        self.headers = {"X-Auth-Token": auth_token} if auth_token else {}
        self.check_mode = check_mode
        self.download_missing = download_missing
        self.evictor = evictor

    def cache(self, image):
        """Cache one image of the plan; return its record (never raises for image problems)."""
        started = time.monotonic()
        name = cache.cache_name(image["id"])
        record = {"id": image["id"], "name": image.get("name"), "action": None,
                  "path": os.path.join(self.settings.cache_dir, name), "format": None,
                  "size": None, "bytes_transferred": 0, "seconds": 0.0, "evicted": [], "msg": ""}
        label = "image %s%s" % (image["id"], " (%s)" % image["name"] if image.get("name") else "")
        try:
            self._cache(image, name, record)
        except (cache.CacheError, DownloadError, ImageFormatError, OSError) as err:
            record.update(action=FAILED, msg="%s: %s" % (label, _describe(err)))
        record["seconds"] = round(time.monotonic() - started, 3)
        return record

    def _cache(self, image, name, record):
        unsupported = rbd_message(self.settings)
        if unsupported:
            record.update(action=UNSUPPORTED, path=None, msg=unsupported,
                          store=self.settings.images_rbd_glance_store_name or None)
            return
        container_format = image.get("container_format") or "bare"
        if container_format not in CACHEABLE_CONTAINER_FORMATS:
            raise cache.CacheError("container_format %s: Nova caches only bare images"
                                   % container_format)
        path = record["path"]
        if not self.download_missing and not os.path.lexists(path):
            record.update(action=SKIPPED, msg=NOT_CACHED)
            return
        if self.check_mode:
            exists = os.path.exists(path)
            record.update(action=REFRESHED if exists else DOWNLOADED,
                          msg="would refresh" if exists else "would download")
            if not exists and self.evictor:
                # The size on disk is known only after the download: Glance's size estimates it.
                record["evicted"] = self.evictor.preview(name, image.get("size") or 0)
                record["msg"] += _evicted_message(record["evicted"], "would evict")
            return
        cache.ensure_dir(self.settings.cache_dir, self.uid, self.gid)
        lock = cache.NovaLock(cache.lock_file(self.settings.lock_dir, name), self.lock_timeout,
                              self.uid, self.gid)
        with lock:
            if os.path.lexists(path):
                self._refresh(image, path, record)
            elif self.download_missing:
                self._download(image, name, path, record)
            else:
                # Nova removed it while we waited for the lock.
                record.update(action=SKIPPED, msg=NOT_CACHED)

    def _refresh(self, image, path, record):
        """Trust a present base file only when Nova would accept it, then refresh its mtime."""
        if not os.path.isfile(path) or os.path.islink(path):
            raise cache.CacheError("%s exists but is not a regular file; left in place" % path)
        try:
            info = inspect_image(path, None, self.qemu_img, self.settings.vmdk_allowed_types)
        except ImageFormatError as err:
            raise cache.CacheError(
                "the cached file %s is not an image Nova would accept (%s); left in place and "
                "not refreshed: remove it so that it is downloaded again" % (path, err)) from None
        expected = "raw" if self.convert else image["disk_format"]
        if info["format"] != expected:
            raise cache.CacheError(
                "the cached file %s is %s, but Nova expects %s here (force_raw_images is %s); "
                "left in place and not refreshed: remove it so that it is downloaded again"
                % (path, info["format"], expected, self.convert))
        cache.refresh(path)
        record.update(action=REFRESHED, format=info["format"], size=os.path.getsize(path),
                      msg="already cached; mtime refreshed")

    def _download(self, image, name, path, record):
        size, virtual_size = image.get("size"), image.get("virtual_size")
        needed = (size or 0) + ((virtual_size or 0) if self.convert else 0)
        cache.check_free_space(self.settings.cache_dir, needed, "this image")
        if self.evictor:
            # Fail before the download when the limits cannot hold even an empty file.
            self.evictor.preview(name, 0)
        temps = [cache.temp_path(self.settings.cache_dir, name, "download")]
        try:
            with os.fdopen(os.open(temps[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                           "wb") as handle:
                fetched = download(
                    data_url(image, self.image_endpoint), handle, headers=self.headers,
                    size=size, hash_algo=image.get("os_hash_algo"),
                    hash_value=image.get("os_hash_value"), checksum=image.get("checksum"),
                    **self.download_options)
            record["bytes_transferred"] = fetched["bytes_transferred"]
            info = inspect_image(temps[0], image["disk_format"], self.qemu_img,
                                 self.settings.vmdk_allowed_types)
            if self.convert and info["format"] != "raw":
                temps.append(cache.temp_path(self.settings.cache_dir, name, "convert"))
                info = convert_to_raw(temps[0], temps[1], info["format"], self.qemu_img)
                cache.remove_quietly(temps[0])
            if self.evictor:
                record["evicted"] = self.evictor.make_room(name, disk_usage(os.stat(temps[-1])))
            cache.install(temps[-1], path, self.uid, self.gid, self.mode)
        finally:
            for temp in temps:
                cache.remove_quietly(temp)
        done = ["downloaded %s" % format_bytes(fetched["size"])]
        if fetched["attempts"] > 1:
            done.append("%d attempts" % fetched["attempts"])
        if fetched["bytes_resumed"]:
            done.append("resumed: %s not fetched again" % format_bytes(fetched["bytes_resumed"]))
        done.append("%s verified" % (fetched["hash_algo"] or "size"))
        if len(temps) > 1:
            done.append("converted to raw")
        record.update(action=DOWNLOADED, format=info["format"], size=os.path.getsize(path),
                      msg=", ".join(done) + _evicted_message(record["evicted"], "evicted"))


def _evicted_message(evicted, verb):
    if not evicted:
        return ""
    return "; %s %d unused images (%s on disk) to stay within the cache limits: %s" % (
        verb, len(evicted), format_bytes(sum(e["disk_usage"] for e in evicted)),
        ", ".join(e["name"] for e in evicted))


def _describe(err):
    if isinstance(err, OSError) and err.filename:
        return "%s: %s" % (err.filename, err.strerror)
    return str(err)


def glance_store(settings):
    """The Glance store an rbd host boots from (its images_rbd_glance_store_name), else None."""
    if settings.images_type != "rbd":
        return None
    return settings.images_rbd_glance_store_name or None


def summarize(records):
    """Nova's lists: cached = downloaded or already present; failed; and unsupported here."""
    return {
        "images_cached": [r["id"] for r in records if r["action"] in (DOWNLOADED, REFRESHED)],
        "images_failed": [r["id"] for r in records if r["action"] == FAILED],
        "images_unsupported": [r["id"] for r in records if r["action"] == UNSUPPORTED],
        "images_skipped": [r["id"] for r in records if r["action"] == SKIPPED],
    }
