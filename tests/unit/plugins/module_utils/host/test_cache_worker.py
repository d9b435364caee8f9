# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The per-image workflow of cache_image against real files, real qemu-img and a real HTTP server."""

import hashlib
import os
import subprocess
import time

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import cache_worker
from ansible_collections.openstack_ops.precache.plugins.module_utils.host import space_policy
from ansible_collections.openstack_ops.precache.plugins.module_utils.common import (
    image_signature as _image_signature)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_dir import CacheDir
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    cache_name)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.progress_status import (
    Cancelled, NullProgress)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.settings import (
    load_settings)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.signature_check import (
    SignatureCheck)

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.cache_dir_doubles import (
    hold_lock)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.key_manager_doubles import (
    store_certificate)

MIB = 1024 * 1024
IMAGE_ID = "6f0b3e26-1d4f-4a38-9d43-0ad4f36c1c11"


@pytest.fixture
def host(tmp_path):
    """A compute host's Nova layout: nova.conf and an instances dir with a _base."""
    instances = tmp_path / "instances"
    (instances / "_base").mkdir(parents=True)
    conf = tmp_path / "nova.conf"
    conf.write_text("[DEFAULT]\nstate_path = %s\nmy_ip = 127.0.0.11\nhost = compute1\n" % tmp_path)
    return tmp_path, str(conf)


def publish(glance, disk_format, name="image"):
    """Make a real image with random data, serve it and return its plan entry."""
    root, url = glance
    raw = root / (name + ".raw")
    with open(raw, "wb") as disk:
        disk.truncate(16 * MIB)
        disk.seek(MIB)
        disk.write(os.urandom(2 * MIB))
    path = raw
    if disk_format != "raw":
        path = root / (name + "." + disk_format)
        subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", disk_format, str(raw),
                        str(path)], check=True)
    data = path.read_bytes()
    return {"id": IMAGE_ID, "name": name, "url": "%s/%s" % (url, path.name),
            "size": len(data), "virtual_size": 16 * MIB, "disk_format": disk_format,
            "container_format": "bare", "checksum": hashlib.md5(data).hexdigest(),
            "os_hash_algo": "sha512", "os_hash_value": hashlib.sha512(data).hexdigest()}, raw


def cacher(host, qemu, convert=None, check_mode=False, extra_conf="", download_missing=True,
           **options):
    root, conf = host
    if extra_conf:
        with open(conf, "a") as handle:
            handle.write(extra_conf)
    settings = load_settings(conf)
    convert = settings.force_raw_images if convert is None else convert
    return cache_worker.ImageCacher(
        settings, qemu, convert, CacheDir(settings, os.getuid(), create=not check_mode), 0o644,
        lock_timeout=5, download_options={"retries": 0, "timeout": 10}, check_mode=check_mode,
        download_missing=download_missing, **options)


def base_dir(host):
    return os.path.join(host[0], "instances", "_base")


def our_files(host):
    return sorted(os.listdir(base_dir(host)))


def test_qcow2_is_downloaded_converted_and_installed_as_nova_names_it(host, glance, qemu):
    image, raw = publish(glance, "qcow2")
    record = cacher(host, qemu).cache(image)
    path = os.path.join(base_dir(host), cache_name(IMAGE_ID))
    assert record["action"] == "downloaded", record["msg"]
    assert record["path"] == path and record["format"] == "raw"
    assert record["bytes_transferred"] == image["size"]
    assert "sha512 verified, converted to raw" in record["msg"]
    with open(path, "rb") as cached:
        assert cached.read() == raw.read_bytes()
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert our_files(host) == [cache_name(IMAGE_ID)]
    assert os.path.exists(os.path.join(host[0], "instances", "locks", "nova-" + cache_name(IMAGE_ID)))


def test_qcow2_stays_qcow2_when_nova_does_not_force_raw(host, glance, qemu):
    image, _raw = publish(glance, "qcow2")
    record = cacher(host, qemu, extra_conf="force_raw_images = false\n").cache(image)
    assert (record["action"], record["format"]) == ("downloaded", "qcow2")
    with open(record["path"], "rb") as cached:
        assert hashlib.sha512(cached.read()).hexdigest() == image["os_hash_value"]


def test_present_image_is_refreshed_not_downloaded(host, glance, qemu):
    image, _raw = publish(glance, "qcow2")
    first = cacher(host, qemu).cache(image)
    old = time.time() - 3 * 86400
    os.utime(first["path"], (old, old))
    (glance[0] / image["url"].rsplit("/", 1)[1]).unlink()
    second = cacher(host, qemu).cache(image)
    assert second["action"] == "refreshed" and second["bytes_transferred"] == 0
    assert time.time() - os.stat(first["path"]).st_mtime < 3600


@pytest.mark.parametrize("check_mode", [False, True])
def test_keep_warm_refreshes_cached_images_and_skips_the_others(host, glance, qemu, check_mode):
    cached, _raw = publish(glance, "qcow2")
    cacher(host, qemu).cache(cached)
    old = time.time() - 3 * 86400
    os.utime(os.path.join(base_dir(host), cache_name(IMAGE_ID)), (old, old))
    missing = dict(cached, id="0c7e9d0e-5a55-4a7c-8f4e-2b3c1d9e8f70")
    warm = cacher(host, qemu, check_mode=check_mode, download_missing=False)
    records = [warm.cache(cached), warm.cache(missing)]
    assert [r["action"] for r in records] == ["refreshed", "skipped"]
    assert our_files(host) == [cache_name(IMAGE_ID)]
    assert not os.path.exists(os.path.join(host[0], "instances", "locks",
                                           "nova-" + cache_name(missing["id"])))
    age = time.time() - os.stat(records[0]["path"]).st_mtime
    assert (age > 86400) == check_mode


def test_hash_mismatch_fails_and_leaves_nothing(host, glance, qemu):
    image, _raw = publish(glance, "raw")
    image["os_hash_value"] = "0" * 128
    record = cacher(host, qemu).cache(image)
    assert record["action"] == "failed"
    assert record["msg"].startswith("image %s (image): sha512 mismatch" % IMAGE_ID)
    assert our_files(host) == []


def test_format_other_than_glance_says_fails_and_leaves_nothing(host, glance, qemu):
    image, _raw = publish(glance, "qcow2")
    image["disk_format"] = "raw"
    record = cacher(host, qemu).cache(image)
    assert record["action"] == "failed" and "qcow2" in record["msg"]
    assert our_files(host) == []


def test_cached_file_nova_would_refuse_is_reported_and_left_alone(host, glance, qemu):
    image, _raw = publish(glance, "qcow2")
    path = os.path.join(base_dir(host), cache_name(IMAGE_ID))
    backing = os.path.join(host[0], "backing.raw")
    with open(backing, "wb") as handle:
        handle.truncate(MIB)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", backing, "-F", "raw", path],
                   check=True)
    old = time.time() - 86400
    os.utime(path, (old, old))
    record = cacher(host, qemu).cache(image)
    assert record["action"] == "failed"
    assert "not an image Nova would accept" in record["msg"] and "left in place" in record["msg"]
    assert os.stat(path).st_mtime == pytest.approx(old, abs=1)


def test_cached_file_of_the_wrong_format_is_not_trusted(host, glance, qemu):
    image, _raw = publish(glance, "qcow2")
    path = os.path.join(base_dir(host), cache_name(IMAGE_ID))
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", path, "1M"], check=True)
    record = cacher(host, qemu).cache(image)
    assert record["action"] == "failed" and "is qcow2, but Nova expects raw" in record["msg"]


@pytest.mark.parametrize("store_line, store", [
    ("images_rbd_glance_store_name = edge-1-ceph\n", "edge-1-ceph"), ("", None)])
def test_rbd_host_reports_unsupported_and_the_store(host, glance, qemu, store_line, store):
    image, _raw = publish(glance, "raw")
    record = cacher(host, qemu, extra_conf="[libvirt]\nimages_type = rbd\n" + store_line
                    ).cache(image)
    assert record["action"] == "unsupported" and "rbd" in record["msg"]
    assert record["store"] == store
    assert our_files(host) == []


def test_check_mode_changes_nothing(host, glance, qemu):
    image, _raw = publish(glance, "qcow2")
    record = cacher(host, qemu, check_mode=True).cache(image)
    assert (record["action"], record["msg"]) == ("downloaded", "would download")
    assert our_files(host) == []
    assert not os.path.exists(os.path.join(host[0], "instances", "locks"))


def test_image_without_url_uses_the_endpoint():
    image = {"id": IMAGE_ID}
    for endpoint in ("https://glance:9292", "https://glance:9292/", "https://glance:9292/v2"):
        assert cache_worker.data_url(image, endpoint) == \
            "https://glance:9292/v2/images/%s/file" % IMAGE_ID


def test_summary_uses_novas_meaning():
    records = [{"id": "a", "action": "downloaded"}, {"id": "b", "action": "refreshed"},
               {"id": "c", "action": "failed"}, {"id": "d", "action": "unsupported"},
               {"id": "e", "action": "skipped"}]
    assert cache_worker.summarize(records) == {
        "images_cached": ["a", "b"], "images_failed": ["c"], "images_unsupported": ["d"],
        "images_skipped": ["e"]}


@pytest.mark.parametrize("container_format", ["bare", "ovf", "ami", "aki", "ari"])
def test_container_formats_nova_caches(host, glance, qemu, container_format):
    image, _raw = publish(glance, "raw")
    image["container_format"] = container_format
    assert cacher(host, qemu).cache(image)["action"] == "downloaded"


@pytest.mark.parametrize("container_format, reason", [
    ("docker", "a Docker image"), ("ova", "an OVA archive"), ("compressed", "a compressed archive"),
    ("tgz", "not a container format Nova knows")])
def test_container_formats_nova_refuses(host, glance, qemu, container_format, reason):
    image, _raw = publish(glance, "raw")
    image["container_format"] = container_format
    record = cacher(host, qemu).cache(image)
    assert record["action"] == "failed"
    assert "container_format %s is refused: %s" % (container_format, reason) in record["msg"]
    assert our_files(host) == []


def test_an_image_nothing_can_be_verified_of_is_refused_unless_allowed(host, glance, qemu):
    image, _raw = publish(glance, "raw")
    for key in ("size", "checksum", "os_hash_algo", "os_hash_value"):
        del image[key]
    refused = cacher(host, qemu).cache(image)
    assert refused["action"] == "failed" and "neither a size nor a hash" in refused["msg"]
    assert "allow_unverified" in refused["msg"] and our_files(host) == []
    allowed = cacher(host, qemu, allow_unverified=True).cache(image)
    assert allowed["action"] == "downloaded" and "nothing verified" in allowed["msg"]


def test_an_image_with_only_a_size_says_so(host, glance, qemu):
    image, _raw = publish(glance, "raw")
    for key in ("checksum", "os_hash_algo", "os_hash_value"):
        del image[key]
    record = cacher(host, qemu).cache(image)
    assert record["action"] == "downloaded" and "size verified only" in record["msg"]


def fixed_free_space(image_cacher, free):
    image_cacher.cache_dir.free_bytes = lambda: free


@pytest.mark.parametrize("check, fits", [("virtual", False), ("data", True)])
def test_conversion_space_comes_from_the_header_when_glance_has_none(host, glance, qemu, check,
                                                                     fits):
    image, raw = publish(glance, "qcow2")
    del image["virtual_size"]
    image_cacher = cacher(host, qemu, space=space_policy.SpacePolicy(4 * MIB, check))
    # Room for the download and the data, not for the 16 MiB a fully written raw file takes.
    fixed_free_space(image_cacher, 12 * MIB)
    record = image_cacher.cache(image)
    if fits:
        assert record["action"] == "downloaded", record["msg"]
        assert record["path"] and open(record["path"], "rb").read() == raw.read_bytes()
    else:
        assert record["action"] == "failed"
        assert "not enough space" in record["msg"] and "its raw conversion" in record["msg"]
        assert "16777216 bytes (16.0 MiB) needed plus a reserve of 4194304" in record["msg"]
        assert our_files(host) == []


def test_a_download_stops_at_the_reserve(host, glance, qemu, monkeypatch):
    image, _raw = publish(glance, "raw")
    del image["size"]
    monkeypatch.setattr(space_policy, "SPACE_CHECK_BYTES", MIB)
    image_cacher = cacher(host, qemu, space=space_policy.SpacePolicy(4 * MIB))
    free = iter([64 * MIB] + [3 * MIB] * 100)
    image_cacher.cache_dir.free_bytes = lambda: next(free)
    record = image_cacher.cache(image)
    assert record["action"] == "failed", record["msg"]
    assert "the download stopped" in record["msg"] and "below the reserve" in record["msg"]
    assert our_files(host) == []


def test_temporaries_of_a_killed_run_go_when_their_image_is_cached(host, glance, qemu):
    image, _raw = publish(glance, "raw")
    image_cacher = cacher(host, qemu)
    entry, fd = image_cacher.cache_dir.create_temp(cache_name(IMAGE_ID), "download")
    os.close(fd)
    assert image_cacher.cache(image)["action"] == "downloaded"
    assert our_files(host) == [cache_name(IMAGE_ID)]


def test_a_planted_link_as_the_base_file_is_not_followed(host, glance, qemu, tmp_path):
    image, _raw = publish(glance, "raw")
    target = tmp_path / "root-only"
    target.write_text("secret")
    old = time.time() - 86400
    os.utime(target, (old, old))
    os.symlink(target, os.path.join(base_dir(host), cache_name(IMAGE_ID)))
    record = cacher(host, qemu).cache(image)
    assert record["action"] == "failed" and "symbolic link; left in place" in record["msg"]
    assert target.stat().st_mtime == pytest.approx(old, abs=1)


def test_a_tenants_name_cannot_forge_lines_of_output(host, glance, qemu):
    image, _raw = publish(glance, "raw")
    image.update(name="x\x1b]0;owned\x07\nCompleted 3 hosts, 0 errors", os_hash_value="0" * 128)
    record = cacher(host, qemu).cache(image)
    assert record["action"] == "failed"
    assert "\n" not in record["msg"] and "\x1b" not in record["msg"]
    assert "x\\x1b]0;owned\\x07\\x0aCompleted" in record["msg"]


# ---- signatures, where the host's Nova verifies them

CERT_ID = "7e2f1c4a-0b9d-4c61-a3b5-2d8e9f0a1b2c"
CA_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
VERIFY = "[glance]\nverify_glance_signatures = true\n"


def signed(glance, pki, signer="rsa", data=None):
    """A published raw image signed with RSA-PSS and SHA-256 (over `data`: the image's own)."""
    image, _raw = publish(glance, "raw")
    if data is None:
        data = (glance[0] / image["url"].rsplit("/", 1)[1]).read_bytes()
    image.update(img_signature=pki.sign(signer, data, "sha256", pss=True),
                 img_signature_hash_method="SHA-256", img_signature_key_type="RSA-PSS",
                 img_signature_certificate_uuid=CERT_ID)
    return image


def checking(host, qemu, barbican, extra_conf=VERIFY):
    made = cacher(host, qemu, extra_conf=extra_conf)
    made.signatures = SignatureCheck(made.settings, barbican.url, "token-1234")
    return made.cache


def test_a_good_signature_is_verified_while_streaming_and_installed(host, glance, qemu, pki,
                                                                    barbican):
    store_certificate(barbican, CERT_ID, pki.pem("rsa"))
    record = checking(host, qemu, barbican)(signed(glance, pki))
    assert record["action"] == "downloaded", record["msg"]
    assert record["signature"] == {"verified": True, "key_type": "RSA-PSS",
                                   "hash_method": "SHA-256", "certificate_uuid": CERT_ID,
                                   "trusted_by": None}
    assert "signature verified (RSA-PSS, SHA-256, certificate %s)" % CERT_ID in record["msg"]
    assert barbican.requests[0][1]["X-Auth-Token"] == "token-1234"


def test_tampered_data_is_refused_and_nothing_is_left(host, glance, qemu, pki, barbican):
    store_certificate(barbican, CERT_ID, pki.pem("rsa"))
    record = checking(host, qemu, barbican)(signed(glance, pki, data=b"what the owner signed"))
    assert record["action"] == "failed"
    assert "refused, as this host's Nova verifies image signatures" in record["msg"]
    assert "signature does not match the data" in record["msg"]
    assert our_files(host) == []


def test_an_unsigned_image_is_refused_before_its_download(host, glance, qemu, barbican):
    image, _raw = publish(glance, "raw")
    record = checking(host, qemu, barbican)(image)
    assert record["action"] == "failed" and record["bytes_transferred"] == 0
    assert "signature properties are missing or incomplete (no img_signature" in record["msg"]
    assert barbican.requests == []


def test_without_verification_a_signed_image_is_cached_as_a_plain_one(host, glance, qemu, pki,
                                                                      barbican):
    image = signed(glance, pki, data=b"not even the right data")
    record = checking(host, qemu, barbican, extra_conf="")(image)
    assert record["action"] == "downloaded" and record["signature"] is None
    assert barbican.requests == []


def test_certificate_validation_chains_to_the_trusted_ca(host, glance, qemu, pki, barbican):
    store_certificate(barbican, CERT_ID, pki.pem("rsa"))
    store_certificate(barbican, CA_ID, pki.pem("ca"))
    conf = VERIFY + "enable_certificate_validation = true\ndefault_trusted_certificate_ids = %s\n"
    record = checking(host, qemu, barbican, conf % CA_ID)(signed(glance, pki))
    assert record["action"] == "downloaded", record["msg"]
    assert record["signature"]["trusted_by"] == CA_ID
    assert "trusted through %s" % CA_ID in record["msg"]


def test_an_untrusted_certificate_is_refused(host, glance, qemu, pki, barbican):
    store_certificate(barbican, CERT_ID, pki.pem("stranger"))
    store_certificate(barbican, CA_ID, pki.pem("ca"))
    conf = VERIFY + "enable_certificate_validation = true\ndefault_trusted_certificate_ids = %s\n"
    record = checking(host, qemu, barbican, conf % CA_ID)(signed(glance, pki, "stranger"))
    assert record["action"] == "failed" and record["bytes_transferred"] == 0
    assert "no trusted certificate (default_trusted_certificate_ids) signed" in record["msg"]


def test_validation_without_trusted_ids_is_refused_as_nova_does(host, glance, qemu, pki,
                                                                barbican):
    store_certificate(barbican, CERT_ID, pki.pem("rsa"))
    conf = VERIFY + "enable_certificate_validation = true\n"
    record = checking(host, qemu, barbican, conf)(signed(glance, pki))
    assert record["action"] == "failed"
    assert "no trusted certificate IDs were provided" in record["msg"]


def test_a_host_without_cryptography_refuses_signed_images(host, glance, qemu, pki, barbican,
                                                           monkeypatch):
    monkeypatch.setattr(_image_signature, "HAS_CRYPTOGRAPHY", False)
    monkeypatch.setattr(_image_signature, "CRYPTOGRAPHY_IMPORT_ERROR",
                        ImportError("No module named 'cryptography'"))
    record = checking(host, qemu, barbican)(signed(glance, pki))
    assert record["action"] == "failed" and our_files(host) == []
    assert ("cannot import cryptography, which checking a signature needs (No module named "
            "'cryptography'): install python3-cryptography for the interpreter Ansible uses on "
            "this host") in record["msg"]


class _Recorder(NullProgress):
    """The progress hooks, recorded; cancels the run once `cancel_at` bytes arrived."""

    def __init__(self, cancel_at=None, checks_allowed=None):
        self.calls = []
        self.offsets = []
        self.cancel_at = cancel_at
        self.cancelled = False
        self.checks_allowed = checks_allowed

    def begin(self, index, image_id):
        self.calls.append(("begin", index, image_id))

    def phase(self, name):
        self.calls.append(("phase", name))

    def source(self, label):
        self.calls.append(("source", label))

    def on_progress(self, offset):
        self.offsets.append(offset)
        if self.cancel_at is not None and offset >= self.cancel_at:
            self.cancelled = True
        self.check()

    def check(self):
        self.calls.append(("check",))
        if self.checks_allowed is not None:
            self.checks_allowed -= 1
            self.cancelled = self.cancelled or self.checks_allowed < 0
        if self.cancelled:
            raise Cancelled("the controller stopped following this run")


def test_the_progress_hooks_hear_each_step_and_every_chunk(host, glance, qemu):
    image, _raw = publish(glance, "qcow2")
    recorder = _Recorder()
    worker = cacher(host, qemu, progress=recorder)
    assert worker.cache(image)["action"] == "downloaded"
    assert worker.cache(image)["action"] == "refreshed"
    recorder.calls = [call for call in recorder.calls if call != ("check",)]
    assert recorder.calls == [
        ("begin", 1, IMAGE_ID), ("phase", "lock"), ("phase", "download"), ("source", "glance"),
        ("phase", "inspect"), ("phase", "convert"), ("phase", "install"),
        ("begin", 2, IMAGE_ID), ("phase", "lock"), ("phase", "refresh")]
    assert recorder.offsets == sorted(recorder.offsets) and len(recorder.offsets) > 1
    assert recorder.offsets[-1] == image["size"]


def test_a_cancelled_run_discards_the_download_and_fails_the_next_images_at_once(
        host, glance, qemu):
    image, _raw = publish(glance, "raw")
    recorder = _Recorder(cancel_at=1)
    worker = cacher(host, qemu, progress=recorder)
    first = worker.cache(image)
    assert first["action"] == "failed"
    assert first["msg"] == "image %s (image): the controller stopped following this run" % IMAGE_ID
    assert our_files(host) == []
    requests = len(recorder.offsets)
    second = worker.cache(dict(image, id="0c7e9d0e-5a55-4a7c-8f4e-2b3c1d9e8f70"))
    assert second["action"] == "failed" and "stopped following" in second["msg"]
    assert len(recorder.offsets) == requests and ("phase", "lock") not in recorder.calls[-1:]
    assert our_files(host) == []


def test_a_run_cancelled_while_waiting_for_novas_lock_stops_waiting(host, glance, qemu):
    image, _raw = publish(glance, "raw")
    locks = os.path.join(host[0], "instances", "locks")
    os.mkdir(locks)
    holder = hold_lock(os.path.join(locks, "nova-" + cache_name(IMAGE_ID)), 30)
    try:
        # The check before the image passes; the first one while waiting cancels.
        worker = cacher(host, qemu, progress=_Recorder(checks_allowed=1))
        worker.lock_timeout = 20
        started = time.monotonic()
        record = worker.cache(image)
    finally:
        holder.kill()
        holder.wait()
    assert record["action"] == "failed" and "stopped following" in record["msg"]
    assert time.monotonic() - started < 5
