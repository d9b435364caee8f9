# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Where an image's bytes come from: Glance, or the hosts of this host's site that have them.

In a site (docs/sites.md) a peer takes the original bytes Glance sent from a seed of its site,
which serves them from its staging (peer_server, site_staging), and verifies them against
Glance's own os_hash, given by the controller, not by the seed: a seed cannot hand its
neighbours anything Glance did not serve. So a peer is asked only for images that have such a
hash (sha256 or stronger, never the md5 `checksum` alone); the others come from Glance, and so
does every image whose peers all fail, unless glance_fallback is false.
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import (
    printable)

TOKEN_HEADER = "X-Precache-Token"
# The hashes a peer's bytes may be checked with: none that a tenant could collide.
_PEER_HASHES = ("sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "blake2b")


class Source:
    """One place to fetch an image's data from: `label` names it in results (`glance`, `peer
    NAME`); `options` are download()'s, the rate limit included."""

    def __init__(self, label, url, headers, options):
        self.label = label
        self.url = url
        self.headers = headers
        self.options = options


def peer_verifiable(image):
    """Whether a peer may serve this image: Glance gave a strong os_hash to check it against."""
    return (str(image.get("os_hash_algo") or "").lower() in _PEER_HASHES
            and bool(image.get("os_hash_value")))


class SiteSources:
    """The peers of this host's site, in the order to try them, then Glance.

    `peers` are {name, url, fingerprint} (what image_serve returned; the fingerprint of an
    https:// server's certificate, peer_tls); `token` is the run's; `rate_limit` (bytes per
    second or None) applies to the LAN transfers instead of the Glance one's.
    """

    def __init__(self, peers=(), token=None, rate_limit=None, glance_fallback=True):
        self.peers = [(str(peer["name"]), str(peer["url"]).rstrip("/"), peer.get("fingerprint"))
                      for peer in peers or ()]
        self.token = token
        self.rate_limit = rate_limit
        self.glance_fallback = glance_fallback

    def for_image(self, image, glance):
        """The Sources of `image` in order; `glance` is its Glance Source."""
        if not self.peers or not peer_verifiable(image):
            return [glance]
        headers = {TOKEN_HEADER: self.token} if self.token else {}
        peers = [Source("peer %s" % printable(name), "%s/images/%s" % (url, image["id"]),
                        headers, dict(glance.options, rate_limit=self.rate_limit, tls_pin=pin))
                 for name, url, pin in self.peers]
        return peers + ([glance] if self.glance_fallback else [])
