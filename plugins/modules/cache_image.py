#!/usr/bin/python
# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put Glance images into Nova's image cache on a compute host."""

DOCUMENTATION = r"""
module: cache_image
short_description: Put Glance images into Nova's image cache on a compute host
version_added: 0.1.0
description:
  - Runs on a Nova compute host and makes each image of a download plan (as the
    C(validate_images) module returns it) present in Nova's image cache, so
    that the first boot of an instance from it does not wait for Glance.
  - Finds the cache dir the way Nova does, from the host's C(nova.conf) (packaged,
    OpenStack-Ansible, Kolla-Ansible and TripleO locations), and names each file
    C(sha1(image id)) as Nova does.
  - Each image is handled under Nova's own lock for its file. An image already cached only gets
    its modification time refreshed (Nova's expiry clock) and is reported V(refreshed); a
    missing one is streamed to a temporary file in the cache dir with its hash verified,
    inspected with C(qemu-img) and refused when Nova would refuse it (backing files, qcow2
    data files, VMDK descriptors naming host files, a format other than Glance's
    C(disk_format)), converted to raw when Nova would (C(force_raw_images)), and renamed into
    place atomically with Nova's owner and mode, reported V(downloaded).
  - A failure leaves no file behind and is reported for that image; the other images still
    run, and the task fails after all were tried.
  - On a host whose C([libvirt] images_type) is V(rbd) the images are reported V(unsupported),
    because Nova boots from the Glance store there, not from a local cache; the result names
    that store (RV(glance_store)), which C(image_store_copy) fills.
  - Root only reads C(nova.conf). Everything else, the lock, the temporary files, the download,
    every C(qemu-img) run, the install, the refresh and eviction, runs in a process that holds
    only the uid, gid and groups of the cache dir's owner (the user nova-compute runs as, or
    O(owner)/O(group)) and no capabilities; nothing in that tree is followed through a link.
    Run as that user itself (with C(become) off) the module works too.
  - Our own temporary files that no running C(cache_image) holds (left by a killed run) are
    removed at once.
extends_documentation_fragment:
  - openstack_ops.precache.download
  - openstack_ops.precache.nova_host
  - openstack_ops.precache.attributes
attributes:
  check_mode:
    details: Reports which images would be downloaded, refreshed or evicted and changes
      nothing. The images that would be evicted are chosen with Glance's size of the new image
      as its size on disk, which is known only after a download.
  diff_mode:
    support: full
    details: Shows the base files that would appear in the cache, and those evicted.
options:
  images:
    description:
      - The images to cache, in order. This is the C(images) list that the C(validate_images)
        module returns.
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description: Glance image id.
        type: str
        required: true
      name:
        description: Image name, for messages.
        type: str
      url:
        description:
          - URL of the image data. Default O(image_endpoint)C(/v2/images/<id>/file).
        type: str
      size:
        description: Size of the image data in bytes, checked after the download.
        type: int
      virtual_size:
        description: Virtual disk size in bytes, for the free space a raw conversion needs.
        type: int
      disk_format:
        description: Glance's C(disk_format); the data must be of this format.
        type: str
        required: true
      container_format:
        description:
          - Glance's C(container_format). V(bare), V(ovf), V(ami), V(aki) and V(ari) are cached
            as Nova caches them; V(docker), V(ova) and V(compressed) are refused, with the
            reason.
        type: str
        default: bare
      checksum:
        description: MD5 of the data, verified when there is no O(images[].os_hash_value).
        type: str
      os_hash_algo:
        description: Hash algorithm of O(images[].os_hash_value), as Glance names it.
        type: str
      os_hash_value:
        description: Hash of the data, verified while it streams.
        type: str
      stores:
        description:
          - The Glance stores that hold the data, as C(validate_images) reports them, for
            information only; the data comes from O(images[].url).
        type: list
        elements: str
      img_signature:
        description:
          - The image's signature (base64), checked where Nova verifies signatures
            (C([glance] verify_glance_signatures)). The four C(img_signature*) properties are
            Glance's, as C(validate_images) returns them.
        type: str
      img_signature_hash_method:
        description: Hash method of the signature (V(SHA-224), V(SHA-256), V(SHA-384), V(SHA-512)).
        type: str
      img_signature_key_type:
        description: Key type of the signature (V(RSA-PSS), V(DSA), V(ECC_SECP384R1) and the other curves Nova knows).
        type: str
      img_signature_certificate_uuid:
        description: Key manager id of the signing certificate.
        type: str
  image_endpoint:
    description:
      - Glance's endpoint, for images that have no O(images[].url).
    type: str
  auth_token:
    description:
      - Keystone token sent to Glance, and to the key manager for signing certificates, as
        C(X-Auth-Token). Never logged.
    type: str
  key_manager_endpoint:
    description:
      - The key manager (Barbican) endpoint that signing certificates are read from, on hosts
        whose Nova verifies image signatures. C(validate_images) returns it.
      - C([barbican] barbican_endpoint) in the host's C(nova.conf), when set, comes first, as
        it is what nova-compute uses there.
    type: str
  force_raw:
    description:
      - Whether to convert images to raw. V(auto) does what Nova does, which is to convert
        when C(force_raw_images) is true (Nova's default).
    type: str
    choices: [auto, 'true', 'false']
    default: auto
  mode:
    description:
      - Permissions of the cached files, as Nova's own base files have them.
    type: raw
    default: '0644'
  download_missing:
    description:
      - Whether to download the images that are not cached yet.
      - With V(false) only the images already cached are checked and refreshed, and the others
        are reported V(skipped). Such a keep-warm run needs no token and never loads Glance.
    type: bool
    default: true
  lock_timeout:
    description:
      - Seconds to wait for Nova's lock on an image's file (held while nova-compute
        downloads or removes that image) before that image fails.
    type: int
    default: 600
  cache_max_size:
    description:
      - Most bytes on disk the cached images (Nova's original base files) may take on this
        host, such as V(200G) (units K, M, G, T are powers of 1024) or a number of bytes.
      - Setting any C(cache_max_*) option turns eviction on; it is off by default. When an image
        to download would break a limit, the least recently used cached images (oldest
        modification time, Nova's expiry clock) that no instance disk backs on and that are not
        pinned are removed, each under Nova's lock for it, until it fits. When it cannot fit
        even so, that image fails and nothing is removed.
      - Resized copies C(<sha1>_<n>) and every other file are neither counted nor removed.
        See the collection's docs/report.md for the rules.
    type: str
  cache_max_count:
    description:
      - Most images that may be cached on this host. Turns eviction on, as O(cache_max_size).
    type: int
  cache_max_percent:
    description:
      - Most bytes on disk the cached images may take, in percent of the size of the cache
        dir's filesystem. Turns eviction on, as O(cache_max_size); with both, the smaller wins.
    type: float
  free_space_reserve:
    description:
      - Free space to leave on the cache dir's filesystem, which the running instances share,
        such as V(1G) or a number of bytes.
      - An image is refused before its download (or its raw conversion) when it would leave
        less, and a download or conversion that gets below it is stopped and discarded.
    type: str
    default: 1G
  space_check:
    description:
      - What a raw conversion needs on disk. V(virtual) counts the image's virtual size (from
        Glance or, when Glance does not know it, from the image's header), as a fully written
        raw file takes it.
      - V(data) counts only the data C(qemu-img map) says the raw file will hold, for
        thin-provisioned hosts; a huge, mostly empty disk then becomes a huge sparse file, as
        Nova itself would make it.
    type: str
    choices: [virtual, data]
    default: virtual
  allow_unverified:
    description:
      - Whether to cache an image that Glance gives neither a size nor a hash of, so that
        nothing about the download can be checked. Refused by default.
    type: bool
    default: false
  pinned_images:
    description:
      - Ids of images that eviction never removes, besides the images of O(images), which are
        always pinned.
    type: list
    elements: str
    default: []
  site:
    description:
      - Fetch once per site (docs/sites.md). This host is one of the hosts of an edge site,
        which take the original bytes Glance sent from each other over the LAN instead of
        each from Glance over the WAN.
      - Whatever the source, the bytes are checked against Glance's own C(os_hash_value) of
        O(images) (given by the controller, not by the peer), so a peer cannot hand this host
        anything Glance did not serve; then come the same format checks, conversion, Nova's
        lock and install as for a Glance download. Only images with a sha256-or-stronger
        C(os_hash_algo) are taken from peers; the others come from Glance.
    type: dict
    suboptions:
      run_id:
        description:
          - The site run's id, 16 to 64 lowercase hex digits, which names this run's staging
            folder C(<instances_path>/.precache-staging/<run_id>).
        type: str
        required: true
      name:
        description: The site's name, returned as RV(site) for the summary's counts per site.
        type: str
      stage:
        description:
          - Keep the verified bytes Glance (or a peer) sent in the staging folder, for
            M(openstack_ops.precache.image_serve) to serve to the site's other hosts. An image
            already cached is staged too when its base file is still in the image's own format
            (not converted), since the peers check its hash anyway.
        type: bool
        default: false
      peers:
        description:
          - The hosts of the site to fetch from, in order, each a C(name) (for the results)
            and the C(url) its M(openstack_ops.precache.image_serve) returned. A peer that
            fails, or serves anything but Glance's bytes, is left for the next, then Glance.
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: The peer's name.
            type: str
            required: true
          url:
            description: The peer's image_serve URL, such as C(https://192.0.2.11:47400).
            type: str
            required: true
          fingerprint:
            description:
              - The SHA-256 fingerprint of the certificate of an C(https://) peer, as its
                image_serve returned it; the peer must show that certificate (no CA is asked).
            type: str
      token:
        description: The site run's token, which the peers' servers require.
        type: str
      rate_limit:
        description:
          - Bytes per second for the transfers from peers, instead of O(rate_limit), which
            applies to Glance; empty for no limit.
        type: str
      glance_fallback:
        description:
          - Whether an image that no peer served in full goes to Glance; with V(false) it
            fails instead.
        type: bool
        default: true
  progress:
    description:
      - Write this run's live status for M(openstack_ops.precache.cache_progress), which follows
        a C(cache_image) started as an async task (C(async) with C(poll) V(0)).
      - The status is C(<instances_path>/.precache-progress/<run_id>.json), written by Nova's
        user at most once a second (and at least every 5 seconds) and removed when the run
        ends; the files of killed runs are removed by a later run, as RV(stale_temps_removed)
        says.
      - Not in check mode, and not on hosts whose C([libvirt] images_type) is V(rbd), which
        cache nothing locally.
    type: dict
    suboptions:
      run_id:
        description:
          - The run's id, 16 to 64 lowercase hex digits, which names its status files. Give the
            same to M(openstack_ops.precache.cache_progress).
        type: str
        required: true
      heartbeat_timeout:
        description:
          - Seconds without a poll of M(openstack_ops.precache.cache_progress) after which the
            run stops, once a first poll came; V(0) never stops it.
          - The image being downloaded then fails and nothing of it is kept, and the images
            after it fail at once, so that a controller that died does not leave the host
            downloading.
        type: int
        default: 0
notes:
  - Needs C(qemu-img) on the host (package qemu-utils or qemu-img), as nova-compute does. It is
    always told the image's format (C(-f)), never left to probe it, and reads the checked
    file through its descriptor.
  - Runs with Python 3.9 or later and nothing but the standard library.
author:
  - openstack_ops developers (@openstack-ops)
"""

EXAMPLES = r"""
- name: Put the validated images into Nova's cache
  openstack_ops.precache.cache_image:
    images: "{{ plan.images }}"
    image_endpoint: "{{ plan.image_endpoint }}"
    auth_token: "{{ plan.auth_token }}"
    rate_limit: 50M

- name: Cache one image into an explicit cache dir, keeping its format
  openstack_ops.precache.cache_image:
    images:
      - id: a26887c6-c47b-4654-abb5-dfadf7d3f803
        disk_format: qcow2
        url: https://glance.example.com:9292/v2/images/a26887c6-c47b-4654-abb5-dfadf7d3f803/file
    auth_token: "{{ token }}"
    cache_dir: /srv/nova/instances/_base
    force_raw: 'false'
"""

RETURN = r"""
cache_dir:
  description: The cache dir used.
  returned: always
  type: str
  sample: /var/lib/nova/instances/_base
nova_conf:
  description: What the host's Nova configuration says about its image cache.
  returned: always
  type: dict
  sample:
    files: [/etc/nova/nova.conf]
    flavour: packages
    instances_path: /var/lib/nova/instances
    force_raw_images: true
    images_type: default
    verify_glance_signatures: false
    enable_certificate_validation: false
    default_trusted_certificate_ids: []
images:
  description: One record per image, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Glance image id.
      type: str
    action:
      description: V(downloaded), V(refreshed), V(failed), V(unsupported), or V(skipped) (not
        cached, and O(download_missing) is false).
      type: str
    path:
      description: The base file in Nova's cache.
      type: str
    format:
      description: Format of the cached file.
      type: str
    size:
      description: Size of the cached file in bytes.
      type: int
    bytes_transferred:
      description: Bytes downloaded for this image, from RV(images[].source).
      type: int
    source:
      description: Where the bytes came from, V(glance) or C(peer NAME) (O(site.peers)); null
        when nothing was downloaded.
      type: str
    source_failures:
      description: Why each source tried before RV(images[].source) failed.
      type: list
      elements: str
    staged:
      description: Whether the image's original bytes were staged for the site's peers
        (O(site.stage)).
      type: bool
    seconds:
      description: Time spent on this image.
      type: float
    evicted:
      description: The cached images removed (or, in check mode, that would be) to make room for
        this one within the cache limits, each with C(name), C(path), C(size), C(disk_usage),
        C(mtime) and C(age).
      type: list
      elements: dict
    signature:
      description: For an image whose signature was verified on download (the host's Nova
        verifies signatures), C(key_type), C(hash_method), C(certificate_uuid) and
        C(trusted_by) (the trusted certificate it chains up to, null without certificate
        validation); null otherwise.
      type: dict
    msg:
      description: What happened, and for failures why and what to do.
      type: str
    store:
      description: For an V(unsupported) image on an rbd host, the Glance store it must be in
        (C([libvirt] images_rbd_glance_store_name)); null when nova.conf names none.
      type: str
      returned: when the image is V(unsupported)
images_type:
  description: The host's C([libvirt] images_type); V(rbd) hosts boot from Ceph, not from the cache.
  returned: always
  type: str
  sample: default
glance_store:
  description:
    - On an rbd host, the Glance store its Ceph cluster backs, C([libvirt] images_rbd_glance_store_name),
      where the images must be for Nova to clone them. Null on other hosts, and on rbd hosts whose
      nova.conf names no store.
  returned: always
  type: str
  sample: edge-1-ceph
images_cached:
  description: Ids of the images now in the cache (downloaded or refreshed), as Nova's notifications list them.
  returned: always
  type: list
  elements: str
images_failed:
  description: Ids of the images that failed.
  returned: always
  type: list
  elements: str
images_unsupported:
  description: Ids of the images this host cannot cache locally (an rbd host).
  returned: always
  type: list
  elements: str
images_skipped:
  description: Ids of the images not cached here and not downloaded (O(download_missing) is false).
  returned: always
  type: list
  elements: str
site:
  description: O(site.name), when O(site) is given.
  returned: with O(site)
  type: str
bytes_from_glance:
  description: Bytes downloaded from Glance, over all the images.
  returned: always
  type: int
bytes_from_peers:
  description: Bytes downloaded from the site's peers (O(site.peers)), over all the images.
  returned: always
  type: int
stale_temps_removed:
  description: Our temporary files that no running C(cache_image) held (left by an interrupted
    run), the staging folders of site runs untouched for a day (killed runs'), and the status
    files of killed runs (O(progress)), which were removed.
  returned: always
  type: list
  elements: str
evicted:
  description: Every cached image removed to stay within the cache limits (in check mode, that
    would be), as in RV(images[].evicted).
  returned: always
  type: list
  elements: dict
"""

import contextlib

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.sizes import parse_size
from ansible_collections.openstack_ops.precache.plugins.module_utils.host import cache_worker
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_dir import CacheDir
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    cache_name)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.download_options import (
    DOWNLOAD_ARGUMENT_SPEC, DOWNLOAD_REQUIRED_TOGETHER, TRANSFER_OPTIONS, tls_options)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.eviction import (
    Evictor, parse_limits)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.host_module import (
    HostModule)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.signature_check import (
    SignatureCheck)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host import space_policy
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.image_sources import (
    SiteSources)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.progress_read import (
    clean_stale_progress)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.progress_status import (
    NULL_PROGRESS, PROGRESS_DIR_NAME, StatusWriter)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.site_staging import (
    STAGING_DIR_NAME, Staging, check_run_id, clean_stale_staging)

IMAGE_SPEC = dict(
    id=dict(type="str", required=True),
    name=dict(type="str"),
    url=dict(type="str"),
    size=dict(type="int"),
    virtual_size=dict(type="int"),
    disk_format=dict(type="str", required=True),
    container_format=dict(type="str", default="bare"),
    checksum=dict(type="str"),
    os_hash_algo=dict(type="str"),
    os_hash_value=dict(type="str"),
    stores=dict(type="list", elements="str"),
    img_signature=dict(type="str"),
    img_signature_hash_method=dict(type="str"),
    img_signature_key_type=dict(type="str"),
    img_signature_certificate_uuid=dict(type="str"),
)

ARGUMENT_SPEC = dict(
    images=dict(type="list", elements="dict", required=True, options=IMAGE_SPEC),
    image_endpoint=dict(type="str"),
    auth_token=dict(type="str", no_log=True),
    key_manager_endpoint=dict(type="str", no_log=False),
    force_raw=dict(type="str", choices=["auto", "true", "false"], default="auto"),
    mode=dict(type="raw", default="0644"),
    download_missing=dict(type="bool", default=True),
    lock_timeout=dict(type="int", default=600),
    free_space_reserve=dict(type="str", default="1G"),
    space_check=dict(type="str", choices=["virtual", "data"], default="virtual"),
    allow_unverified=dict(type="bool", default=False),
    cache_max_size=dict(type="str"),
    cache_max_count=dict(type="int"),
    cache_max_percent=dict(type="float"),
    pinned_images=dict(type="list", elements="str", default=[]),
    site=dict(type="dict", options=dict(
        run_id=dict(type="str", required=True),
        name=dict(type="str"),
        stage=dict(type="bool", default=False),
        peers=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            url=dict(type="str", required=True),
            fingerprint=dict(type="str"))),
        token=dict(type="str", no_log=True),
        rate_limit=dict(type="str"),
        glance_fallback=dict(type="bool", default=True))),
    progress=dict(type="dict", options=dict(
        run_id=dict(type="str", required=True),
        heartbeat_timeout=dict(type="int", default=0))),
    **DOWNLOAD_ARGUMENT_SPEC
)


class CacheImageModule(HostModule):
    """Argument handling around cache_worker.ImageCacher, run as Nova's user."""

    argument_spec = ARGUMENT_SPEC
    module_kwargs = dict(required_together=DOWNLOAD_REQUIRED_TOGETHER)

    def run(self):
        params = self.params
        rate_limit = parse_size(params["rate_limit"]) if params["rate_limit"] else None
        space = space_policy.SpacePolicy(parse_size(params["free_space_reserve"]),
                                         params["space_check"])
        limits = parse_limits(params["cache_max_size"], params["cache_max_count"],
                              params["cache_max_percent"])
        if self.layout.uses_cache_dir:
            self.qemu_img.require()
        mode = self._mode()
        if params["progress"]:
            check_run_id(params["progress"]["run_id"], "progress.run_id")
            if params["progress"]["heartbeat_timeout"] < 0:
                raise ValueError("progress.heartbeat_timeout must be 0 (never) or more seconds")
        return self.run_as_nova(lambda: self._work(space, limits, rate_limit, mode))

    def finish(self, outcome):
        self.warn(*outcome["notes"])
        records, stale = outcome["records"], outcome["stale"]
        downloaded = [r for r in records if r["action"] == cache_worker.DOWNLOADED]
        evicted = [e for r in records for e in r["evicted"]]
        result = dict(
            changed=bool(downloaded or stale or evicted), images=records,
            stale_temps_removed=stale, images_type=self.settings.images_type,
            glance_store=self.layout.glance_store, evicted=evicted,
            bytes_from_glance=sum(r["bytes_transferred"] for r in records
                                  if r["source"] == "glance"),
            bytes_from_peers=sum(r["bytes_transferred"] for r in records
                                 if r["source"] not in (None, "glance")),
            diff=dict(before="".join("%s\n" % e["path"] for e in evicted),
                      after="".join("%s\n" % r["path"] for r in downloaded)),
            **self.common_result(), **cache_worker.summarize(records))
        if self.params["site"]:
            result["site"] = self.params["site"]["name"]
        failed = [r["msg"] for r in records if r["action"] == cache_worker.FAILED]
        if failed:
            self.module.fail_json(msg="%d of %d images failed: %s" % (
                len(failed), len(records), "; ".join(failed)), **result)
        self.module.exit_json(**result)

    def _work(self, space, limits, rate_limit, mode):
        """The cache work, as Nova's user: {records, stale, notes}."""
        params, settings = self.params, self.settings
        check_mode = self.module.check_mode
        tls = tls_options(params)
        signatures = SignatureCheck(settings, params["key_manager_endpoint"],
                                    params["auth_token"], tls)
        create = not check_mode and self.layout.uses_cache_dir
        with CacheDir(settings, self.uid, create=create) as cache_dir, \
                self._staging(create) as staging:
            stale = [] if check_mode or cache_dir.fd is None else cache_dir.clean_stale_temps()
            if create:
                stale += ["%s/%s" % (STAGING_DIR_NAME, run) for run in clean_stale_staging(
                    settings.instances_path, self.uid)]
                stale += ["%s/%s" % (PROGRESS_DIR_NAME, entry) for entry in clean_stale_progress(
                    settings.instances_path, self.uid)]
            transfer = {name: params[name] for name in TRANSFER_OPTIONS}
            with self._progress(create, cache_dir) as progress:
                cacher = cache_worker.ImageCacher(
                    settings, self.qemu_img,
                    cache_worker.should_convert(params["force_raw"], settings), cache_dir, mode,
                    params["lock_timeout"], dict(rate_limit=rate_limit, **transfer, **tls),
                    image_endpoint=params["image_endpoint"], auth_token=params["auth_token"],
                    check_mode=check_mode, download_missing=params["download_missing"],
                    evictor=Evictor(cache_dir, self.qemu_img, limits,
                                    [i["id"] for i in params["images"]] + params["pinned_images"])
                    if limits.enabled else None,
                    space=space, allow_unverified=params["allow_unverified"],
                    signatures=signatures, sources=self._sources(), staging=staging,
                    progress=progress)
                records = [cacher.cache(image) for image in params["images"]]
                progress.finish()
        return {"records": records, "stale": stale, "notes": signatures.notes}

    def _staging(self, create):
        """This seed's staging (site.stage) as a context manager; a null one otherwise."""
        site = self.params["site"]
        if not (site and site["stage"] and create):
            return contextlib.nullcontext()
        return Staging(self.settings.instances_path, self.uid, site["run_id"])

    def _progress(self, create, cache_dir):
        """The run's StatusWriter (progress) as a context manager; a null one otherwise."""
        progress, params = self.params["progress"], self.params
        if not (progress and create):
            return contextlib.nullcontext(NULL_PROGRESS)
        # What is missing now is what the run will fetch: Glance's sizes make the total.
        expected = [image["size"] or 0 if params["download_missing"] and cache_dir.lstat(
            cache_name(image["id"])) is None else 0 for image in params["images"]]
        return StatusWriter(self.settings.instances_path, self.uid, progress["run_id"],
                            expected, progress["heartbeat_timeout"])

    def _sources(self):
        site = self.params["site"]
        if not site:
            return None
        if site["peers"] and not site["token"]:
            raise ValueError("site.peers needs site.token, the run's token their servers require")
        for peer in site["peers"]:
            if peer["fingerprint"] and not peer["url"].lower().startswith("https://"):
                raise ValueError("site peer %s has a certificate fingerprint but a URL that is "
                                 "not https://" % printable(peer["name"]))
        return SiteSources(site["peers"], site["token"],
                           parse_size(site["rate_limit"]) if site["rate_limit"] else None,
                           site["glance_fallback"])

    def _mode(self):
        mode = self.params["mode"]
        try:
            return mode if isinstance(mode, int) else int(str(mode), 8)
        except ValueError:
            raise ValueError("mode %s is not an octal number such as 0644" % mode) from None


def main():
    CacheImageModule()()


if __name__ == "__main__":
    main()
