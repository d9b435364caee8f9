"""Nova's signature rules against keys, certificates and signatures made with the openssl CLI."""
import base64
import datetime
import hashlib
import os

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.common import (
    image_signature as sig)


def image(signature, method="SHA-256", key_type="RSA-PSS",
          uuid="0b1c7b4e-6a56-4f0e-9d6d-1f2a3b4c5d6e"):
    return {"id": "i", "img_signature": signature, "img_signature_hash_method": method,
            "img_signature_key_type": key_type, "img_signature_certificate_uuid": uuid}


def verify(pki, name, props, data):
    verifier = sig.Verifier(sig.parse_properties(props), pki.load(name))
    hasher = verifier.new_hash()
    for start in range(0, len(data), 4096):
        hasher.update(data[start:start + 4096])
    verifier.verify(hasher.digest())


DATA = os.urandom(100000)


@pytest.mark.parametrize("name, digest, method, key_type, pss", [
    ("rsa", "sha256", "SHA-256", "RSA-PSS", True),
    ("rsa", "sha512", "SHA-512", "RSA-PSS", True),
    ("ecc", "sha384", "SHA-384", "ECC_SECP384R1", False),
    ("ecc", "sha224", "SHA-224", "ECC_SECP384R1", False),
    ("dsa", "sha256", "SHA-256", "DSA", False),
])
def test_openssl_signatures_verify_and_altered_data_does_not(pki, name, digest, method,
                                                             key_type, pss):
    props = image(pki.sign(name, DATA, digest, pss), method, key_type)
    verify(pki, name, props, DATA)
    with pytest.raises(sig.SignatureError, match="does not match the data"):
        verify(pki, name, props, DATA[:-1] + bytes([DATA[-1] ^ 1]))


def test_rsa_without_pss_padding_is_refused_as_nova_uses_pss(pki):
    with pytest.raises(sig.SignatureError, match="does not match"):
        verify(pki, "rsa", image(pki.sign("rsa", DATA, pss=False)), DATA)


def test_a_signature_by_another_key_is_refused(pki):
    with pytest.raises(sig.SignatureError, match="does not match"):
        verify(pki, "rsa", image(pki.sign("rogue", DATA, pss=True)), DATA)


@pytest.mark.parametrize("name, key_type, held", [
    ("ecc", "RSA-PSS", "EC secp384r1"), ("rsa", "ECC_SECP384R1", "RSA 2048"),
    ("rsa", "DSA", "RSA 2048")])
def test_the_key_must_be_of_the_claimed_type(pki, name, key_type, held):
    with pytest.raises(sig.SignatureError, match="key is %s, but img_signature_key_type is %s"
                       % (held, key_type)):
        sig.Verifier(sig.parse_properties(image("c2ln", key_type=key_type)), pki.load(name))


@pytest.mark.parametrize("change, reason", [
    ({"img_signature": None}, r"incomplete \(no img_signature\)"),
    ({"img_signature_certificate_uuid": "", "img_signature_key_type": None},
     r"no img_signature_key_type, img_signature_certificate_uuid"),
    ({"img_signature": "abc"}, "not properly base64"),
    ({"img_signature": "===="}, "empty once decoded"),
    ({"img_signature_hash_method": "MD5"}, "hash_method MD5 is not one Nova knows"),
    ({"img_signature_key_type": "ECC_SECP256R1"}, "key_type ECC_SECP256R1 is not one Nova"),
    ({"img_signature_certificate_uuid": "../../v1/orders"}, "is not a key manager id"),
])
def test_properties_nova_refuses(change, reason):
    props = image("c2lnbmF0dXJl")
    props.update(change)
    with pytest.raises(sig.SignatureError, match=reason):
        sig.parse_properties(props)


def test_signature_properties_and_the_spec():
    assert sig.signature_properties({"id": "x", "img_signature": "", "name": "n"}) == {}
    assert not sig.is_signed({"id": "x"})
    spec = sig.parse_properties(image("c2ln\nbmF0dXJl"))
    assert spec.signature == b"signature" and spec.hash_method == "SHA-256"
    assert sig.key_types()["ECC_SECP521R1"] is sig.ec.EllipticCurvePublicKey


def test_a_payload_that_is_no_pem_certificate():
    with pytest.raises(sig.SignatureError, match="not a PEM X.509 certificate"):
        sig.load_certificate(b"\x30\x82 DER is not what castellan reads")


def test_validity_and_description(pki):
    cert = pki.load("rsa")
    assert sig.validity_problem(cert) is None
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=31)
    assert sig.validity_problem(cert, later).startswith("it expired on ")
    earlier = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    assert sig.validity_problem(cert, earlier).startswith("it is not valid before ")
    described = sig.describe_certificate(cert)
    assert described["subject"] == "CN=rsa" and described["issuer"] == "CN=ca"
    assert described["key"] == "RSA 2048"
    with open(pki.path("rsa.pem"), "rb") as handle:
        der = base64.b64decode(b"".join(handle.read().splitlines()[1:-1]))
    assert described["sha256_fingerprint"] == hashlib.sha256(der).hexdigest()


def test_chains_to_a_trusted_ca(pki):
    trusted = [("ca-id", pki.load("ca"))]
    for name in ("rsa", "ecc", "dsa"):
        sig.verify_chain(pki.load(name), trusted)
    # A trusted self-signed CA validates itself.
    sig.verify_chain(pki.load("ca"), trusted)


def test_untrusted_chains_are_refused(pki):
    with pytest.raises(sig.SignatureError, match="no trusted certificate"):
        sig.verify_chain(pki.load("stranger"), [("ca-id", pki.load("ca"))])
    with pytest.raises(sig.SignatureError, match="no trusted certificate"):
        sig.verify_chain(pki.load("rsa"), [])
    # A leaf cannot act as a CA, even when it is trusted itself.
    with pytest.raises(sig.SignatureError, match="no trusted certificate"):
        sig.verify_chain(pki.load("rsa"), [("rsa-id", pki.load("rsa"))])
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=31)
    with pytest.raises(sig.SignatureError, match="outside its valid date range"):
        sig.verify_chain(pki.load("rsa"), [("ca-id", pki.load("ca"))], now=later)


def test_intermediates_and_path_length(new_pki):
    made = new_pki
    made.cert("root", ext=made.CA_EXT % ",pathlen:0")
    made.cert("inter", issuer="root", ext=made.CA_EXT % "")
    made.cert("leaf", issuer="inter")
    trusted = [("root-id", made.load("root")), ("inter-id", made.load("inter"))]
    with pytest.raises(sig.SignatureError,
                       match="root-id allows chains of 0 below it, this one has 1"):
        sig.verify_chain(made.load("leaf"), trusted)
    # The intermediate alone is not enough: the chain must end in a self-signed trusted one.
    with pytest.raises(sig.SignatureError, match="signed certificate inter-id"):
        sig.verify_chain(made.load("leaf"), trusted[1:])
