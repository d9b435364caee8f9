# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The work of the cache_image module for one image: refresh it, or download, check and install it.

Follows nova.virt.libvirt.driver.cache_image and nova.virt.images.fetch_to_raw: a present base
file only gets its mtime refreshed; a missing one is downloaded, inspected, converted to raw when
Nova would, and renamed into place, all under Nova's lock for that file. Every failure is
confined to its image and leaves no file of ours behind. This runs as Nova's user (see run_as),
on a cache dir held open by descriptor (see cache_dir.CacheDir).
"""

import os
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import cache_files
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_layout import (
    layout_for)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_inventory import (
    disk_usage)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.download import (
    DownloadError, download)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.image_acceptance import (
    convert_to_raw, inspect_image)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.image_sources import (
    SiteSources, Source)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.inspector import (
    ImageFormatError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.progress_status import (
    NULL_PROGRESS)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.space_policy import (
    GuardedFile, SpacePolicy)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.image_signature import (
    SignatureError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import (
    printable)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.nova_formats import (
    container_format_problem)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.sizes import (
    format_bytes)

DOWNLOADED, REFRESHED, FAILED, UNSUPPORTED, SKIPPED = (
    "downloaded", "refreshed", "failed", "unsupported", "skipped")
NOT_CACHED = "not cached here, and download_missing is false"
# The message for what the download could check (its result's `verified`).
_VERIFIED = {
    "hash": "%(hash_algo)s verified",
    "size": "size verified only: Glance has no hash of this image",
    None: "nothing verified: Glance gives neither a size nor a hash (allow_unverified)",
}


def data_url(image, image_endpoint):
    """The image's data URL: its own `url`, else Glance's v2 API under image_endpoint."""
    if image.get("url"):
        return image["url"]
    if not image_endpoint:
        raise cache_files.CacheError("it has no url and no image_endpoint was given")
    endpoint = image_endpoint.rstrip("/")
    if not endpoint.endswith("/v2"):
        endpoint += "/v2"
    return "%s/images/%s/file" % (endpoint, image["id"])


def should_convert(force_raw, settings):
    """Whether images become raw: `auto` follows the host's force_raw_images, as Nova does."""
    if force_raw == "auto":
        return settings.force_raw_images
    return force_raw == "true"


class ImageCacher:
    """Caches the images of one plan on this host; one instance per module run.

    `cache_dir` is the host's open CacheDir; files are created by the user this runs as.
    """

    def __init__(self, settings, qemu_img, convert, cache_dir, mode, lock_timeout,
                 download_options, image_endpoint=None, auth_token=None, check_mode=False,
                 download_missing=True, evictor=None, space=None, allow_unverified=False,
                 signatures=None, sources=None, staging=None, progress=None):
        self.settings = settings
        self.qemu_img = qemu_img
        self.convert = convert
        self.cache_dir = cache_dir
        self.mode = mode
        self.lock_timeout = lock_timeout
        self.download_options = download_options
        self.image_endpoint = image_endpoint
        self.headers = {"X-Auth-Token": auth_token} if auth_token else {}
        self.check_mode = check_mode
        self.download_missing = download_missing
        self.evictor = evictor
        self.space = space or SpacePolicy()
        self.allow_unverified = allow_unverified
        # A signature_check.SignatureCheck, or None where nothing is verified.
        self.signatures = signatures
        # The site's peers to fetch from (image_sources.SiteSources), and this seed's staging
        # of the bytes Glance sent, for them (site_staging.Staging); None outside a site.
        self.sources = sources or SiteSources()
        self.staging = staging
        # The run's live status (progress_status.StatusWriter), told what happens as it happens.
        self.progress = progress or NULL_PROGRESS
        self._index = 0
        self.layout = layout_for(settings)

    def cache(self, image):
        """Cache one image of the plan; return its record (never raises for image problems)."""
        started = time.monotonic()
        self._index += 1
        self.progress.begin(self._index, image["id"])
        name = cache_files.cache_name(image["id"])
        record = {"id": image["id"], "name": image.get("name"), "action": None,
                  "path": self.cache_dir.file_path(name), "format": None,
                  "size": None, "bytes_transferred": 0, "seconds": 0.0, "evicted": [],
                  "signature": None, "source": None, "source_failures": [], "staged": False,
                  "msg": ""}
        # The name is a tenant's: shown escaped, so that it cannot forge lines of output.
        label = "image %s%s" % (printable(image["id"]),
                                " (%s)" % printable(image["name"]) if image.get("name") else "")
        try:
            # A run the controller stopped following fails each image left, at once.
            self.progress.check()
            self._cache(image, name, record)
        except SignatureError as err:
            record.update(action=FAILED, msg="%s: refused, as this host's Nova verifies image "
                                             "signatures ([glance] in nova.conf): %s"
                                             % (label, err))
        except (cache_files.CacheError, DownloadError, ImageFormatError, OSError) as err:
            record.update(action=FAILED, msg="%s: %s" % (label, _describe(err)))
        record["seconds"] = round(time.monotonic() - started, 3)
        return record

    def _cache(self, image, name, record):
        unsupported = self.layout.unsupported()
        if unsupported:
            record.update(action=UNSUPPORTED, path=None, msg=unsupported,
                          store=self.layout.glance_store)
            return
        problem = container_format_problem(image.get("container_format") or "bare")
        if problem:
            raise cache_files.CacheError(problem)
        present = self.cache_dir.lstat(name) is not None
        if not self.download_missing and not present:
            record.update(action=SKIPPED, msg=NOT_CACHED)
            return
        # Before the download, as Nova builds its verifier: an image it would refuse is not fetched.
        verifier = None if present else self._verifier(image)
        if self.check_mode:
            record.update(action=REFRESHED if present else DOWNLOADED,
                          msg="would refresh" if present else "would download")
            if not present and self.evictor:
                # The size on disk is known only after the download: Glance's size estimates it.
                record["evicted"] = self.evictor.preview(name, image.get("size") or 0)
                record["msg"] += _evicted_message(record["evicted"], "would evict")
            return
        self.progress.phase("lock")
        with self.cache_dir.lock(name, self.lock_timeout, on_wait=self.progress.check):
            # Ours, and held by nobody now that we hold the image's lock: left by a killed run.
            self.cache_dir.clean_stale_temps(only=name)
            if self.cache_dir.lstat(name) is not None:
                self._refresh(image, name, record)
            elif self.download_missing:
                self._download(image, name, record, verifier or self._verifier(image))
            else:
                # Nova removed it while we waited for the lock.
                record.update(action=SKIPPED, msg=NOT_CACHED)

    def _refresh(self, image, name, record):
        """Trust a present base file only when Nova would accept it, then refresh its mtime."""
        path = record["path"]
        self.progress.phase("refresh")
        fd = self.cache_dir.open_regular(name)
        if fd is None:
            raise cache_files.CacheError("%s vanished while it was checked; run again" % path)
        try:
            try:
                info = inspect_image(cache_files.fd_path(fd), None, self.qemu_img,
                                     self.settings.vmdk_allowed_types)
            except ImageFormatError as err:
                raise cache_files.CacheError(
                    "the cached file %s is not an image Nova would accept (%s); left in place "
                    "and not refreshed: remove it so that it is downloaded again"
                    % (path, err)) from None
            expected = "raw" if self.convert else image["disk_format"]
            if info["format"] != expected:
                raise cache_files.CacheError(
                    "the cached file %s is %s, but Nova expects %s here (force_raw_images is "
                    "%s); left in place and not refreshed: remove it so that it is downloaded "
                    "again" % (path, info["format"], expected, self.convert))
            # Restart Nova's expiry clock, as Nova's own pre-cache does.
            os.utime(fd)
            if self.staging is not None and info["format"] == image["disk_format"]:
                # Not converted: the base file may be what Glance sent, which the peers check.
                self.staging.stage(image["id"], fd)
                record["staged"] = True
            record.update(action=REFRESHED, format=info["format"], size=os.fstat(fd).st_size,
                          msg="already cached; mtime refreshed")
        finally:
            os.close(fd)

    def _verifier(self, image):
        return self.signatures.verifier(image) if self.signatures else None

    def _download(self, image, name, record, verifier):
        if (image.get("size") is None and not (image.get("os_hash_value") or image.get("checksum"))
                and not self.allow_unverified):
            raise cache_files.CacheError(
                "Glance gives neither a size nor a hash of it, so a cut or altered download "
                "could not be told from the image: refused; set allow_unverified to cache it "
                "anyway")
        cache_dir, space = self.cache_dir, self.space
        cache_files.check_free_space(
            cache_dir.free_bytes(), space.before_download(image, self.convert), cache_dir.path,
            "this image", space.reserve)
        if self.evictor:
            # Fail before the download when the limits cannot hold even an empty file.
            self.evictor.preview(name, 0)
        temps = []
        try:
            temps.append(cache_dir.create_temp(name, "download"))
            self.progress.phase("download")
            with GuardedFile(temps[0][1], space.guard(cache_dir, "the download")) as handle:
                fetched = self._fetch(image, handle, verifier, record)
            if verifier:
                verifier.verify(fetched["signature_digest"])
                record["signature"] = verifier.describe()
            if self.staging is not None:
                self.staging.stage(image["id"], temps[0][1])
                record["staged"] = True
            source = cache_files.fd_path(temps[0][1])
            self.progress.phase("inspect")
            info = inspect_image(source, image["disk_format"], self.qemu_img,
                                 self.settings.vmdk_allowed_types)
            if self.convert and info["format"] != "raw":
                cache_files.check_free_space(
                    cache_dir.free_bytes(), space.for_conversion(info, source, self.qemu_img),
                    cache_dir.path, "its raw conversion (%s of virtual size)"
                    % format_bytes(info["virtual_size"] or 0), space.reserve)
                temps.append(cache_dir.create_temp(name, "convert"))
                self.progress.phase("convert")
                info = convert_to_raw(
                    source, cache_files.fd_path(temps[1][1]), info, self.qemu_img,
                    "none" if cache_dir.supports_direct_io(name) else "writeback",
                    space.guard(cache_dir, "the raw conversion"))
                cache_dir.discard(*temps.pop(0))
            entry, fd = temps[-1]
            self.progress.phase("install")
            if self.evictor:
                record["evicted"] = self.evictor.make_room(name, disk_usage(os.fstat(fd)))
            cache_dir.install(entry, fd, name, self.mode)
            size = os.fstat(fd).st_size
            os.close(temps.pop()[1])
        finally:
            for temp in temps:
                cache_dir.discard(*temp)
        done = ["downloaded %s%s" % (format_bytes(fetched["size"]), "" if record["source"] ==
                                     "glance" else " from %s" % record["source"])]
        if fetched["attempts"] > 1:
            done.append("%d attempts" % fetched["attempts"])
        if fetched["bytes_resumed"]:
            done.append("resumed: %s not fetched again" % format_bytes(fetched["bytes_resumed"]))
        done.append(_VERIFIED[fetched["verified"]] % fetched)
        if verifier:
            done.append(verifier.summary())
        if info.get("cache_mode"):
            done.append("converted to raw")
        record.update(action=DOWNLOADED, format=info["format"], size=size,
                      msg=", ".join(done) + _evicted_message(record["evicted"], "evicted"))

    def _fetch(self, image, handle, verifier, record):
        """Download the image into `handle` from its first source that serves it in full and
        verified; the record gets the source, the bytes and why the sources before failed."""
        glance = Source("glance", data_url(image, self.image_endpoint), self.headers,
                        self.download_options)
        sources = self.sources.for_image(image, glance)
        for source in sources:
            self.progress.source(source.label)
            try:
                fetched = download(
                    source.url, handle, headers=source.headers, size=image.get("size"),
                    hash_algo=image.get("os_hash_algo"), hash_value=image.get("os_hash_value"),
                    checksum=image.get("checksum"),
                    signature_hash=verifier.new_hash() if verifier else None,
                    on_progress=self.progress.on_progress, **source.options)
            except DownloadError as err:
                record["source_failures"].append("%s: %s" % (source.label, err))
                if source is sources[-1]:
                    raise DownloadError("; ".join(record["source_failures"])
                                        if len(sources) > 1 else str(err)) from None
                continue
            record["bytes_transferred"] += fetched["bytes_transferred"]
            record["source"] = source.label
            return fetched


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


def summarize(records):
    """Nova's lists: cached = downloaded or already present; failed; and unsupported here."""
    return {
        "images_cached": [r["id"] for r in records if r["action"] in (DOWNLOADED, REFRESHED)],
        "images_failed": [r["id"] for r in records if r["action"] == FAILED],
        "images_unsupported": [r["id"] for r in records if r["action"] == UNSUPPORTED],
        "images_skipped": [r["id"] for r in records if r["action"] == SKIPPED],
    }
