# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's image signature rules, as cursive applies them: used on the controller and the host.

Nova builds its verifier from four image properties (cursive ``signature_utils.get_verifier``):
the base64 ``img_signature``, ``img_signature_hash_method``, ``img_signature_key_type`` and
``img_signature_certificate_uuid``, a key manager (Barbican) secret of type ``certificate``
whose payload is a PEM X.509 certificate (castellan reads it with ``load_pem_x509_certificate``).
The data is hashed as it streams and the digest checked with the certificate's public key:
RSA-PSS with MGF1 of the same hash and the largest salt, ECDSA, or DSA. With certificate
validation, the certificate must chain up to a trusted one (cursive ``certificate_utils``).

The hash runs in hashlib (which releases the GIL, so it runs beside the download's own hash)
and ``cryptography`` only checks the digest, as cursive's ``Prehashed`` verifiers do.
``cryptography`` is optional on a compute host: without it a signed image cannot be verified.
"""

import base64
import binascii
import collections
import datetime
import hashlib
import re

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.backends import default_backend
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa, utils
except ImportError as exc:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

SIGNATURE_PROPERTIES = ("img_signature", "img_signature_hash_method", "img_signature_key_type",
                        "img_signature_certificate_uuid")
# Nova's names -> hashlib's and cryptography's.
HASH_METHODS = {"SHA-224": "sha224", "SHA-256": "sha256", "SHA-384": "sha384",
                "SHA-512": "sha512"}
RSA_PSS = "RSA-PSS"
DSA = "DSA"
# cursive registers ECC_<CURVE> for each of these that the backend supports.
ECC_CURVES = ("sect571k1", "sect409k1", "sect571r1", "sect409r1", "secp521r1", "secp384r1")
# Barbican ids are UUIDs; anything else would only be pasted into a key manager URL.
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}")
CRYPTOGRAPHY_MISSING = ("the Python that runs the module cannot import cryptography, which "
                        "checking a signature needs (%s): install python3-cryptography for the "
                        "interpreter Ansible uses on this host")

SignatureSpec = collections.namedtuple(
    "SignatureSpec", "signature hash_method key_type certificate_uuid")


class SignatureError(PrecacheError):
    """A signature or certificate Nova would refuse; the message says why."""


def signature_properties(image):
    """The image's signature properties that are set, by Glance's names."""
    return {name: image[name] for name in SIGNATURE_PROPERTIES if image.get(name)}


def is_signed(image):
    return bool(signature_properties(image))


def is_key_manager_id(value):
    return bool(_UUID.fullmatch(str(value)))


def key_types():
    """Nova's key types -> the public key class each needs (cursive's registry)."""
    _require_cryptography()
    types = {RSA_PSS: rsa.RSAPublicKey, DSA: dsa.DSAPublicKey}
    for name in ECC_CURVES:
        # cryptography 45 dropped the binary (SECT) curves.
        curve = getattr(ec, name.upper(), None)
        if curve is not None and default_backend().elliptic_curve_supported(curve()):
            types["ECC_" + name.upper()] = ec.EllipticCurvePublicKey
    return types


def parse_properties(image):
    """The image's SignatureSpec; SignatureError with Nova's reason when it has none or a bad one.

    A missing property fails first, as in cursive, then the signature's encoding, the hash
    method and the key type.
    """
    missing = [name for name in SIGNATURE_PROPERTIES if image.get(name) in (None, "")]
    if missing:
        raise SignatureError("its signature properties are missing or incomplete (no %s), and "
                             "Nova refuses an image it cannot verify" % ", ".join(missing))
    try:
        # oslo's decode_as_bytes: b64decode without validation, so line breaks are dropped.
        signature = base64.b64decode(str(image["img_signature"]))
    except (binascii.Error, ValueError):
        raise SignatureError("img_signature is not properly base64-encoded") from None
    if not signature:
        raise SignatureError("img_signature is empty once decoded")
    method = image["img_signature_hash_method"]
    if method not in HASH_METHODS:
        raise SignatureError("img_signature_hash_method %s is not one Nova knows (%s)"
                             % (method, ", ".join(HASH_METHODS)))
    key_type = image["img_signature_key_type"]
    known = key_types()
    if key_type not in known:
        raise SignatureError("img_signature_key_type %s is not one Nova knows (%s)"
                             % (key_type, ", ".join(known)))
    uuid = str(image["img_signature_certificate_uuid"])
    if not is_key_manager_id(uuid):
        raise SignatureError("img_signature_certificate_uuid %s is not a key manager id (a UUID)"
                             % uuid)
    return SignatureSpec(signature, method, key_type, uuid)


def load_certificate(payload):
    """The X.509 certificate of a key manager payload, PEM as castellan reads it."""
    _require_cryptography()
    data = payload.encode("ascii", "replace") if isinstance(payload, str) else bytes(payload)
    try:
        return x509.load_pem_x509_certificate(data, default_backend())
    except (ValueError, TypeError, UnsupportedAlgorithm) as err:
        raise SignatureError("its payload is not a PEM X.509 certificate (%s)" % err) from None


def check_key_type(certificate, key_type):
    """SignatureError unless the certificate's key is of the class the key type needs."""
    if not isinstance(certificate.public_key(), key_types()[key_type]):
        raise SignatureError("the certificate's key is %s, but img_signature_key_type is %s"
                             % (_key_name(certificate.public_key()), key_type))


def validity_problem(certificate, now=None):
    """Why the certificate is not valid now ("expired on ..."), or None."""
    now = now or _utcnow()
    before, after = _not_valid_before(certificate), _not_valid_after(certificate)
    if now < before:
        return "it is not valid before %s" % before.isoformat()
    if now > after:
        return "it expired on %s" % after.isoformat()
    return None


def describe_certificate(certificate):
    """What an operator needs to tell a certificate apart; tenant-set text is left raw."""
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "not_valid_before": _not_valid_before(certificate).isoformat(),
        "not_valid_after": _not_valid_after(certificate).isoformat(),
        "key": _key_name(certificate.public_key()),
        "sha256_fingerprint": binascii.hexlify(
            certificate.fingerprint(hashes.SHA256())).decode("ascii"),
    }


class Verifier:
    """Checks one image's signature against the digest of its data."""

    def __init__(self, spec, certificate):
        check_key_type(certificate, spec.key_type)
        self.spec = spec
        # The trusted certificate its certificate chains up to, once validated.
        self.trusted_by = None
        self.hash_name = HASH_METHODS[spec.hash_method]
        self._key = certificate.public_key()

    def describe(self):
        """The record of a verified signature."""
        return {"verified": True, "key_type": self.spec.key_type,
                "hash_method": self.spec.hash_method,
                "certificate_uuid": self.spec.certificate_uuid, "trusted_by": self.trusted_by}

    def summary(self):
        """The message part of a verified signature."""
        return "signature verified (%s, %s, certificate %s%s)" % (
            self.spec.key_type, self.spec.hash_method, self.spec.certificate_uuid,
            ", trusted through %s" % self.trusted_by if self.trusted_by else "")

    def new_hash(self):
        return hashlib.new(self.hash_name)

    def verify(self, digest):
        """SignatureError unless the signature matches ``digest`` (of the image data)."""
        algorithm = getattr(hashes, self.hash_name.upper())()
        prehashed = utils.Prehashed(algorithm)
        try:
            if self.spec.key_type == RSA_PSS:
                self._key.verify(self.spec.signature, digest, padding.PSS(
                    mgf=padding.MGF1(algorithm), salt_length=padding.PSS.MAX_LENGTH), prehashed)
            elif self.spec.key_type == DSA:
                self._key.verify(self.spec.signature, digest, prehashed)
            else:
                self._key.verify(self.spec.signature, digest, ec.ECDSA(prehashed))
        except (InvalidSignature, ValueError):
            raise SignatureError("the signature does not match the data (%s %s, certificate %s)"
                                 % (self.spec.key_type, self.spec.hash_method,
                                    self.spec.certificate_uuid)) from None


def verify_chain(certificate, trusted, now=None):
    """The uuid of the trusted root that ``certificate`` chains up to; else SignatureError.

    ``trusted`` is a list of (uuid, certificate) pairs.

    cursive's CertificateVerificationContext with every check on (Nova's call): trusted
    certificates that are out of date or may not sign certificates are left out, the
    certificate must be in date, the chain must end in a self-signed trusted certificate, and
    path length constraints hold.
    """
    now = now or _utcnow()
    signers = [(uuid, cert) for uuid, cert in trusted
               if validity_problem(cert, now) is None and _can_sign_certificates(cert)]
    problem = validity_problem(certificate, now)
    if problem:
        raise SignatureError("the certificate is outside its valid date range: %s" % problem)
    chain = [("the signing certificate", certificate)]
    current = certificate
    while True:
        issuer = next((pair for pair in signers if _is_issuer(pair[1], current)), None)
        if issuer is None:
            raise SignatureError(
                "certificate chain building failed: no trusted certificate "
                "(default_trusted_certificate_ids) signed %s" % (
                    chain[0][0] if len(chain) == 1 else "certificate %s" % chain[0][0]))
        if issuer[1] == current:
            break
        if len(chain) > len(signers):
            raise SignatureError("certificate chain building failed: the trusted certificates "
                                 "sign each other in a loop")
        chain.insert(0, issuer)
        current = issuer[1]
    for index, (uuid, cert) in enumerate(chain[:-1]):
        try:
            constraints = cert.extensions.get_extension_for_oid(
                x509.oid.ExtensionOID.BASIC_CONSTRAINTS).value
        except x509.ExtensionNotFound:
            raise SignatureError("certificate validation failed: the trusted certificate %s has "
                                 "no basic constraints extension" % uuid) from None
        below = max(len(chain) - index - 2, 0)
        if constraints.path_length is not None and constraints.path_length < below:
            raise SignatureError("certificate validation failed: the trusted certificate %s "
                                 "allows chains of %d below it, this one has %d"
                                 % (uuid, constraints.path_length, below))
    # The certificate itself, when it is a trusted self-signed one.
    return chain[0][0] if len(chain) > 1 else None


def _is_issuer(issuer, certificate):
    if issuer.subject != certificate.issuer:
        return False
    key = issuer.public_key()
    try:
        algorithm = certificate.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(certificate.signature, certificate.tbs_certificate_bytes,
                       padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(certificate.signature, certificate.tbs_certificate_bytes,
                       ec.ECDSA(algorithm))
        else:
            key.verify(certificate.signature, certificate.tbs_certificate_bytes, algorithm)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _can_sign_certificates(certificate):
    try:
        ca = certificate.extensions.get_extension_for_oid(
            x509.oid.ExtensionOID.BASIC_CONSTRAINTS).value.ca
        key_cert_sign = certificate.extensions.get_extension_for_oid(
            x509.oid.ExtensionOID.KEY_USAGE).value.key_cert_sign
    except x509.ExtensionNotFound:
        return False
    return ca and key_cert_sign


def _key_name(key):
    if isinstance(key, rsa.RSAPublicKey):
        name = "RSA %d" % key.key_size
    elif isinstance(key, dsa.DSAPublicKey):
        name = "DSA %d" % key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        name = "EC %s" % key.curve.name
    else:
        name = type(key).__name__
    return name


def _not_valid_before(certificate):
    # cryptography 42 added the aware *_utc properties; older ones give naive UTC times.
    value = getattr(certificate, "not_valid_before_utc", None)
    return value or certificate.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def _not_valid_after(certificate):
    value = getattr(certificate, "not_valid_after_utc", None)
    return value or certificate.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def _require_cryptography():
    if not HAS_CRYPTOGRAPHY:
        raise SignatureError(CRYPTOGRAPHY_MISSING % CRYPTOGRAPHY_IMPORT_ERROR)
