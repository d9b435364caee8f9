# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Fetch once per site, on one host: bytes from the site's peers, checked against Glance's hash,
the fallbacks, and a seed's staging of what Glance sent.

The peers are folders of the `glance` fixture's static server (`<url>/<peer>/images/<id>`).
"""

import hashlib
import os
import shutil

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    cache_name)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.image_sources import (
    TOKEN_HEADER, SiteSources, peer_verifiable)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.site_staging import (
    STAGING_DIR_NAME, Staging)

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.test_cache_worker import (  # noqa: F401 pylint: disable=unused-import
    IMAGE_ID, base_dir, cacher, host, publish)

RUN = "5e1f0c2a9b7d4e31a8c6f0d2b4e6a8c0"


def peer(glance, name, image, data=None):
    """A peer serving `data` (Glance's own bytes by default) as `image`; its {name, url}."""
    root, url = glance
    folder = root / name / "images"
    folder.mkdir(parents=True)
    served = folder / image["id"]
    if data is None:
        shutil.copy(str(root / image["url"].rsplit("/", 1)[1]), str(served))
    else:
        served.write_bytes(data)
    return {"name": name, "url": "%s/%s" % (url, name)}


def sources(*peers, fallback=True):
    return SiteSources(list(peers), token="run-token", glance_fallback=fallback)


def test_a_peer_serves_the_image_and_glance_is_not_asked(host, glance, qemu):
    image, raw = publish(glance, "qcow2")
    seed = peer(glance, "seed", image)
    # Glance's copy is gone: only the peer can serve it.
    os.unlink(str(glance[0] / image["url"].rsplit("/", 1)[1]))
    record = cacher(host, qemu, sources=sources(seed)).cache(image)
    assert record["action"] == "downloaded", record["msg"]
    assert record["source"] == "peer seed" and record["source_failures"] == []
    assert record["bytes_transferred"] == image["size"]
    assert "from peer seed" in record["msg"] and "sha512 verified" in record["msg"]
    with open(record["path"], "rb") as cached:
        assert cached.read() == raw.read_bytes()


def test_a_tampered_peer_is_refused_and_glance_serves(host, glance, qemu):
    image, _raw = publish(glance, "qcow2")
    evil = peer(glance, "evil", image, data=b"\0" * image["size"])
    record = cacher(host, qemu, sources=sources(evil)).cache(image)
    assert record["action"] == "downloaded", record["msg"]
    assert record["source"] == "glance"
    assert len(record["source_failures"]) == 1
    assert record["source_failures"][0].startswith("peer evil: sha512 mismatch")
    assert record["bytes_transferred"] == image["size"]


def test_a_dead_peer_then_a_good_one(host, glance, qemu):
    image, _raw = publish(glance, "raw")
    dead = {"name": "dead", "url": "http://127.0.0.1:1"}
    good = peer(glance, "good", image)
    record = cacher(host, qemu, sources=sources(dead, good)).cache(image)
    assert record["source"] == "peer good", record
    assert record["source_failures"][0].startswith("peer dead: ")


def test_without_glance_fallback_the_image_fails_with_every_reason(host, glance, qemu):
    image, _raw = publish(glance, "qcow2")
    evil = peer(glance, "evil", image, data=b"x" * image["size"])
    missing = {"name": "missing", "url": "%s/nowhere" % glance[1]}
    record = cacher(host, qemu, sources=sources(evil, missing, fallback=False)).cache(image)
    assert record["action"] == "failed"
    assert "peer evil: sha512 mismatch" in record["msg"] and "; peer missing: " in record["msg"]
    assert sorted(os.listdir(base_dir(host))) == []


def test_an_image_without_a_strong_hash_comes_from_glance_only(host, glance, qemu):
    image, _raw = publish(glance, "raw")
    weak = dict(image, os_hash_algo=None, os_hash_value=None)
    assert not peer_verifiable(weak) and not peer_verifiable(dict(image, os_hash_algo="md5"))
    evil = peer(glance, "evil", image, data=b"x" * image["size"])
    record = cacher(host, qemu, sources=sources(evil, fallback=False)).cache(weak)
    assert record["source"] == "glance" and record["source_failures"] == []


def test_the_token_goes_to_peers_only(glance):
    image, _raw = publish(glance, "raw")
    glance_source = type("Glance", (), {"options": {"rate_limit": 9}, "label": "glance"})()
    ordered = SiteSources([{"name": "a", "url": "http://192.0.2.1:47400/"}], token="t",
                          rate_limit=5).for_image(image, glance_source)
    assert [s.label for s in ordered] == ["peer a", "glance"]
    assert ordered[0].url == "http://192.0.2.1:47400/images/%s" % IMAGE_ID
    assert ordered[0].headers == {TOKEN_HEADER: "t"}
    assert ordered[0].options == {"rate_limit": 5, "tls_pin": None}


def test_a_seed_stages_glance_s_bytes_not_the_conversion(host, glance, qemu):
    image, _raw = publish(glance, "qcow2")
    instances = os.path.join(host[0], "instances")
    with Staging(instances, os.getuid(), RUN) as staging:
        record = cacher(host, qemu, staging=staging).cache(image)
    assert record["action"] == "downloaded" and record["staged"] is True
    assert record["format"] == "raw"
    staged = os.path.join(instances, STAGING_DIR_NAME, RUN, IMAGE_ID)
    with open(staged, "rb") as handle:
        assert hashlib.sha512(handle.read()).hexdigest() == image["os_hash_value"]
    assert sorted(os.listdir(base_dir(host))) == [cache_name(IMAGE_ID)]


def test_a_cached_image_in_its_own_format_is_staged_a_converted_one_is_not(host, glance, qemu):
    raw_image, _raw = publish(glance, "raw")
    instances = os.path.join(host[0], "instances")
    cacher(host, qemu).cache(raw_image)
    with Staging(instances, os.getuid(), RUN) as staging:
        record = cacher(host, qemu, staging=staging).cache(raw_image)
        assert (record["action"], record["staged"]) == ("refreshed", True)
        assert staging.staged() == [IMAGE_ID]
        staging.remove()
    qcow2, _raw = publish(glance, "qcow2", name="other")
    os.unlink(os.path.join(base_dir(host), cache_name(IMAGE_ID)))
    cacher(host, qemu).cache(qcow2)
    with Staging(instances, os.getuid(), RUN) as staging:
        record = cacher(host, qemu, staging=staging).cache(qcow2)
        assert (record["action"], record["staged"]) == ("refreshed", False)
        assert staging.staged() == []
