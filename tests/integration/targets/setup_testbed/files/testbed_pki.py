"""The test bed's image-signing PKI: keys and certificates, the certificates in Barbican.

Made once per test bed on first use and cached in Barbican's data folder (the test bed's
`barbican.pki_dir`), which `testbed down` forgets with the secrets themselves. Certificates:
`ca` (the CA), `rsa` and `ecc` (issued by it), `untrusted` (self-signed), `expired` (issued by
the CA, notAfter in the past); `opaque` is a secret that is not a certificate. Each is stored
as castellan stores an X509 object (Nova and Glance read them through castellan): secret_type
`certificate`, the PEM as an `application/octet-stream` payload; and the demo user may read
them all through a Barbican ACL, as a compute host would with a user's token.
"""
import base64
import datetime
import fcntl
import json
import os
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import NameOID

CERTS = ("ca", "rsa", "ecc", "untrusted", "expired")
NAMES = CERTS + ("opaque",)
# Glance's img_signature_hash_method and img_signature_key_type for each signing certificate.
SIGNING = {
    "rsa": ("SHA-256", "RSA-PSS"),
    "ecc": ("SHA-384", "ECC_SECP384R1"),
    "untrusted": ("SHA-256", "RSA-PSS"),
    "expired": ("SHA-256", "RSA-PSS"),
}
_HASHES = {"SHA-256": hashes.SHA256, "SHA-384": hashes.SHA384}
DAY = datetime.timedelta(days=1)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "precache test bed"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject_key, common_name, issuer_key, issuer_name, is_ca, not_after):
    now = datetime.datetime.now(datetime.timezone.utc)
    if is_ca:
        usage = dict(digital_signature=False, key_cert_sign=True, crl_sign=True)
    else:
        usage = dict(digital_signature=True, key_cert_sign=False, crl_sign=False)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common_name))
               .issuer_name(issuer_name or _name(common_name))
               .public_key(subject_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(min(now - DAY, not_after - DAY))
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False,
                                            encipher_only=False, decipher_only=False,
                                            **usage), critical=True))
    return builder.sign(issuer_key or subject_key, hashes.SHA256())


def _make_keys():
    """{name: (private key, certificate)} of the PKI."""
    now = datetime.datetime.now(datetime.timezone.utc)
    later = now + 3650 * DAY

    def rsa_key():
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    ca_key = rsa_key()
    ca = _certificate(ca_key, "precache-testbed-ca", None, None, True, later)
    pki = {"ca": (ca_key, ca)}
    for name, key, issued, not_after in (
            ("rsa", rsa_key(), True, later),
            ("ecc", ec.generate_private_key(ec.SECP384R1()), True, later),
            ("untrusted", rsa_key(), False, later),
            ("expired", rsa_key(), True, now - DAY)):
        pki[name] = (key, _certificate(key, "precache-testbed-" + name,
                                       ca_key if issued else None,
                                       ca.subject if issued else None, False, not_after))
    return pki


def _barbican(method, url, token, body=None):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None, method=method,
        headers={"X-Auth-Token": token, "Content-Type": "application/json",
                 "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        text = resp.read()
    return json.loads(text) if text else None


def _store(endpoint, token, name, secret_type, payload, reader_id):
    """Store one secret as castellan's BarbicanKeyManager.store() does; the reader may read it."""
    ref = _barbican("POST", endpoint + "/v1/secrets", token, {
        "name": "precache-testbed-" + name, "secret_type": secret_type,
        "payload": base64.b64encode(payload).decode(),
        "payload_content_type": "application/octet-stream",
        "payload_content_encoding": "base64"})["secret_ref"]
    uuid = ref.rstrip("/").rpartition("/")[2]
    _barbican("PUT", "%s/v1/secrets/%s/acl" % (endpoint, uuid), token,
              {"read": {"users": [reader_id], "project-access": True}})
    return uuid


def _create(endpoint, admin_token, reader_id):
    pki = _make_keys()
    uuids, keys = {}, {}
    for name in CERTS:
        key, cert = pki[name]
        uuids[name] = _store(endpoint, admin_token, name, "certificate",
                             cert.public_bytes(serialization.Encoding.PEM), reader_id)
        keys[name] = key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()).decode()
    uuids["opaque"] = _store(endpoint, admin_token, "opaque", "opaque", os.urandom(32),
                             reader_id)
    return {"endpoint": endpoint, "uuids": uuids, "keys": keys}


def _still_stored(cached, endpoint, admin_token):
    if cached.get("endpoint") != endpoint:
        return False
    try:
        _barbican("GET", "%s/v1/secrets/%s" % (endpoint, cached["uuids"]["ca"]), admin_token)
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return False
        raise
    return True


class Pki:
    """The cached PKI: the secrets' uuids by name and what signs image data."""

    def __init__(self, cached):
        self.uuids = dict(cached["uuids"])
        self._keys = cached["keys"]

    def sign(self, name, chunks):
        """img_signature (base64) of the data in chunks, with its hash method and key type.

        What Glance's docs do with `openssl dgst -sha256 -sign key -sigopt
        rsa_padding_mode:pss`: RSA-PSS with MGF1 of the same hash and the longest salt; ECDSA
        for the EC key. The data is hashed as it comes, so an image need not fit in memory.
        """
        hash_method, key_type = SIGNING[name]
        algorithm = _HASHES[hash_method]()
        digest = hashes.Hash(algorithm)
        for chunk in chunks:
            digest.update(chunk)
        prehashed = utils.Prehashed(algorithm)
        key = serialization.load_pem_private_key(self._keys[name].encode(), password=None)
        if key_type == "RSA-PSS":
            signature = key.sign(digest.finalize(), padding.PSS(
                mgf=padding.MGF1(algorithm), salt_length=padding.PSS.MAX_LENGTH), prehashed)
        else:
            signature = key.sign(digest.finalize(), ec.ECDSA(prehashed))
        return base64.b64encode(signature).decode(), hash_method, key_type


def ensure(pki_dir, endpoint, admin_token, reader_id):
    """The test bed's PKI, made and stored in Barbican (at endpoint) when not cached yet."""
    os.makedirs(pki_dir, mode=0o700, exist_ok=True)
    cache = os.path.join(pki_dir, "pki.json")
    with open(os.path.join(pki_dir, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two targets' set-ups must not make two PKIs
        if os.path.exists(cache):
            with open(cache) as handle:
                cached = json.load(handle)
            if _still_stored(cached, endpoint, admin_token):
                return Pki(cached)
        cached = _create(endpoint, admin_token, reader_id)
        fd = os.open(cache + ".new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(cached, handle, indent=2)
        os.replace(cache + ".new", cache)
    return Pki(cached)
