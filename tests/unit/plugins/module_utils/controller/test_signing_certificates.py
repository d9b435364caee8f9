# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Signed images checked against certificates made here, in a key manager double."""

import base64

import pytest

from cryptography.hazmat.primitives import hashes, serialization

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import signing_certificates
from ansible_collections.openstack_ops.precache.plugins.module_utils.common import (
    image_signature as _image_signature)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.signing_certificates import (
    SigningCertificates)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.controller.signing_doubles import (
    DAY, KeyManager, Pki, pem)

ENDPOINT = "https://barbican.example.com:9311/"


@pytest.fixture(scope="module")
def pki():
    return Pki()


class Conn:
    """The connection as SigningCertificates uses it; the key manager only when allowed."""

    def __init__(self, key_manager, endpoint=ENDPOINT):
        self._key_manager = key_manager
        self.endpoint = endpoint
        self.current_project_id = "p-admin"
        self.asked = []

    def endpoint_for(self, service_type):
        self.asked.append(service_type)
        return self.endpoint

    @property
    def key_manager(self):
        if self._key_manager is None:
            raise AssertionError("the key manager was used")
        return self._key_manager


def uuid(number):
    return "%08d-1111-4111-8111-111111111111" % number


def signed(number, certificate_uuid, key_type="RSA-PSS", name=None, **fields):
    record = dict(id="%08d-0000-4000-8000-000000000000" % number, name=name or "image-%d" % number,
                  img_signature=base64.b64encode(b"signature %d" % number).decode(),
                  img_signature_hash_method="SHA-256", img_signature_key_type=key_type,
                  img_signature_certificate_uuid=certificate_uuid)
    record.update(fields)
    return {key: value for key, value in record.items() if value is not None}


def checker(key_manager, **kwargs):
    return SigningCertificates(Conn(key_manager, **kwargs.pop("conn", {})), **kwargs)


def test_a_good_signed_image_passes_and_its_certificate_is_described(pki):
    certificate = pki.cert("image signing")
    keys = KeyManager()
    keys.add(uuid(1), pem(certificate))
    check = checker(keys)
    assert check.check(signed(1, uuid(1))) == []
    assert check.check(signed(2, uuid(1))) == []
    assert check.endpoint == ENDPOINT.rstrip("/")
    assert check.certificates() == [dict(
        id=uuid(1), subject=certificate.subject.rfc4514_string(),
        issuer=pki.ca_name.rfc4514_string(),
        not_valid_before=certificate.not_valid_before_utc.isoformat(),
        not_valid_after=certificate.not_valid_after_utc.isoformat(), key="RSA 2048",
        sha256_fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        images=[signed(1, uuid(1))["id"], signed(2, uuid(1))["id"]])]
    assert check.warnings == []


def test_each_certificate_is_fetched_once(pki):
    keys = KeyManager()
    keys.add(uuid(1), pem(pki.cert("one")))
    keys.add(uuid(2), pem(pki.cert("two")))
    check = checker(keys)
    for number, cert in [(1, 1), (2, 2), (3, 1), (4, 2), (3, 1)]:
        assert check.check(signed(number, uuid(cert))) == []
    assert keys.calls == [
        ("/secrets/%s" % uuid(1), None),
        ("/secrets/%s/payload" % uuid(1), {"Accept": "application/octet-stream"}),
        ("/secrets/%s" % uuid(2), None),
        ("/secrets/%s/payload" % uuid(2), {"Accept": "application/octet-stream"})]
    assert [(entry["id"], len(entry["images"])) for entry in check.certificates()] == [
        (uuid(1), 2), (uuid(2), 2)]


def test_unsigned_images_never_reach_the_key_manager():
    conn = Conn(None)
    check = SigningCertificates(conn)
    assert check.check(dict(id="i-1", name="plain", img_signature="")) == []
    assert check.check(dict(id="i-2", name="plain")) == []
    assert (check.endpoint, check.certificates(), conn.asked) == (None, [], [])


@pytest.mark.parametrize("kind, key_type, key", [
    ("rsa", "RSA-PSS", "RSA 2048"),
    ("secp384r1", "ECC_SECP384R1", "EC secp384r1"),
    ("secp521r1", "ECC_SECP521R1", "EC secp521r1"),
    ("dsa", "DSA", "DSA 2048"),
])
def test_each_key_class_passes_with_its_key_type(pki, kind, key_type, key):
    keys = KeyManager()
    keys.add(uuid(1), pem(pki.cert("signer", kind)))
    check = checker(keys)
    assert check.check(signed(1, uuid(1), key_type)) == []
    assert check.certificates()[0]["key"] == key
    assert check.warnings == []


@pytest.mark.parametrize("kind, key_type", [
    ("secp384r1", "RSA-PSS"), ("rsa", "ECC_SECP384R1"), ("rsa", "DSA"), ("dsa", "RSA-PSS"),
])
def test_a_key_of_another_class_than_claimed_fails(pki, kind, key_type):
    certificate = pki.cert("signer", kind)
    keys = KeyManager()
    keys.add(uuid(1), pem(certificate))
    check = checker(keys)
    [reason] = check.check(signed(1, uuid(1), key_type))
    assert reason.startswith("certificate %s: " % uuid(1))
    assert key_type in reason
    described = _image_signature.describe_certificate(certificate)["key"]
    assert described in reason


def test_another_curve_is_a_warning_only_as_cursive_checks_the_class(pki):
    keys = KeyManager()
    keys.add(uuid(1), pem(pki.cert("signer", "secp384r1")))
    check = checker(keys)
    assert check.check(signed(1, uuid(1), "ECC_SECP521R1", name="web\x1b[2J")) == []
    [warning] = check.warnings
    assert "names the curve secp521r1" in warning and "EC secp384r1" in warning
    assert "web\\x1b[2J" in warning and "\x1b" not in warning


def test_expired_and_not_yet_valid_certificates_name_their_dates(pki):
    expired = pki.cert("expired", not_before=-30 * DAY, not_after=-DAY)
    early = pki.cert("early", not_before=DAY, not_after=30 * DAY)
    keys = KeyManager()
    keys.add(uuid(1), pem(expired))
    keys.add(uuid(2), pem(early))
    check = checker(keys)
    [old] = check.check(signed(1, uuid(1)))
    [new] = check.check(signed(2, uuid(2)))
    assert old.startswith("certificate %s (%s): " % (uuid(1), expired.subject.rfc4514_string()))
    assert "expired on %s" % expired.not_valid_after_utc.isoformat() in old
    assert "not valid before %s" % early.not_valid_before_utc.isoformat() in new
    # Readable, so still described, with the dates that make them fail.
    assert [entry["id"] for entry in check.certificates()] == [uuid(1), uuid(2)]


def test_the_key_type_is_still_checked_on_an_expired_certificate(pki):
    keys = KeyManager()
    keys.add(uuid(1), pem(pki.cert("expired", "secp384r1", not_before=-3 * DAY,
                                   not_after=-DAY)))
    reasons = checker(keys).check(signed(1, uuid(1), "RSA-PSS"))
    assert len(reasons) == 2 and "expired on" in reasons[0] and "RSA-PSS" in reasons[1]


def test_missing_forbidden_and_other_http_answers(pki):
    keys = KeyManager()
    keys.add(uuid(2), status=403)
    keys.add(uuid(3), status=503)
    check = checker(keys)
    [missing] = check.check(signed(1, uuid(1)))
    [forbidden] = check.check(signed(2, uuid(2)))
    [broken] = check.check(signed(3, uuid(3)))
    assert missing.startswith("certificate %s is not in the key manager (HTTP 404)" % uuid(1))
    assert forbidden.startswith("the key manager refuses certificate %s to project p-admin "
                                "(HTTP 403): the caller's project cannot read it" % uuid(2))
    assert broken == "the key manager answered HTTP 503 for certificate %s" % uuid(3)
    assert check.certificates() == []


def test_secrets_that_are_not_certificates(pki):
    keys = KeyManager()
    keys.add(uuid(1), b"opaque bytes", secret_type="opaque")
    keys.add(uuid(2), None, content_type=None)
    keys.add(uuid(3), b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    keys.add(uuid(4), pki.cert("der").public_bytes(serialization.Encoding.DER))
    check = checker(keys)
    reasons = [check.check(signed(number, uuid(number))) for number in (1, 2, 3, 4)]
    assert reasons[0] == ["secret %s of the key manager is not a certificate: its secret_type "
                          "is opaque" % uuid(1)]
    assert reasons[1] == ["secret %s of the key manager holds no payload" % uuid(2)]
    for number, [reason] in ((3, reasons[2]), (4, reasons[3])):
        assert reason.startswith("secret %s of the key manager: its payload is not a PEM "
                                 "X.509 certificate" % uuid(number))
    # The metadata said opaque: its payload was not asked for.
    assert ("/secrets/%s/payload" % uuid(1), {"Accept": "application/octet-stream"}) \
        not in keys.calls


@pytest.mark.parametrize("fields, words", [
    (dict(img_signature_hash_method=None), "missing or incomplete (no img_signature_hash_method)"),
    (dict(img_signature=None, img_signature_key_type=""),
     "(no img_signature, img_signature_key_type)"),
    (dict(img_signature_hash_method="SHA-1"), "img_signature_hash_method SHA-1 is not one Nova"),
    (dict(img_signature_key_type="RSA"), "img_signature_key_type RSA is not one Nova knows"),
    (dict(img_signature="not base64!"), "img_signature is not properly base64-encoded"),
    (dict(img_signature_certificate_uuid="../orders"), "is not a key manager id"),
])
def test_bad_signature_properties_fail_before_the_key_manager_is_asked(fields, words):
    keys = KeyManager()
    check = checker(keys)
    [reason] = check.check(signed(1, uuid(1), **fields))
    assert words in reason
    assert keys.calls == [] and check.certificates() == []


def test_properties_a_tenant_set_are_shown_escaped():
    [reason] = checker(KeyManager()).check(signed(1, uuid(1), img_signature_hash_method="SHA\x1b]0"))
    assert "SHA\\x1b]0" in reason and "\x1b" not in reason


def test_a_subject_a_tenant_set_is_escaped(pki):
    certificate = pki.cert("evil\x1b]0;owned\x07", not_before=-3 * DAY, not_after=-DAY)
    keys = KeyManager()
    keys.add(uuid(1), pem(certificate))
    check = checker(keys)
    [reason] = check.check(signed(1, uuid(1)))
    [summary] = check.certificates()
    for text in (reason, summary["subject"]):
        assert "\\x1b]0" in text and "\\x07" in text
        assert "\x1b" not in text and "\x07" not in text


def test_no_key_manager_in_the_catalog_fails_each_signed_image_clearly():
    conn = Conn(None, endpoint=None)
    check = SigningCertificates(conn)
    [reason] = check.check(signed(1, uuid(1)))
    assert "the cloud's catalog has no key-manager endpoint" in reason
    assert "check_signatures false" in reason
    assert check.endpoint is None and conn.asked == ["key-manager"]


def test_an_unreachable_key_manager_is_a_problem_of_the_certificate():
    keys = KeyManager()
    keys.error = ConnectionError("Connection refused")
    [reason] = checker(keys).check(signed(1, uuid(1)))
    assert reason == "the key manager at %s did not answer for certificate %s: Connection " \
        "refused" % (ENDPOINT.rstrip("/"), uuid(1))


def test_verify_off_fetches_nothing_but_reports_the_endpoint():
    conn = Conn(None)
    check = SigningCertificates(conn, verify=False)
    assert check.check(signed(1, "no uuid at all", img_signature_hash_method=None)) == []
    assert check.endpoint == ENDPOINT.rstrip("/") and check.certificates() == []


def test_without_cryptography_a_signed_image_says_what_to_install(monkeypatch):
    monkeypatch.setattr(_image_signature, "HAS_CRYPTOGRAPHY", False)
    [reason] = checker(None).check(signed(1, uuid(1)))
    assert "needs the Python library cryptography on the controller" in reason
    assert signing_certificates.SERVICE_TYPE == "key-manager"
