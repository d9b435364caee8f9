"""The host's signature policy and its key manager reads, against a Barbican stand-in."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.image_signature import (
    SignatureError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.key_manager import (
    KeyManager)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.settings import (
    load_settings)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.signature_check import (
    SignatureCheck)

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.key_manager_doubles import (
    store_certificate)

CERT = "11111111-2222-4333-8444-555555555555"
OTHER = "66666666-7777-4888-9999-000000000000"
CA_MISSING = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def settings(tmp_path, glance=""):
    conf = tmp_path / "nova.conf"
    conf.write_text("[DEFAULT]\nstate_path = %s\n%s" % (tmp_path, glance))
    return load_settings(str(conf))


@pytest.mark.parametrize("glance, verifies, trusted", [
    ("", False, []),
    ("[glance]\nverify_glance_signatures = true\n", True, []),
    # Nova defaults the trusted certificates, and so verifies, even without the verify flag.
    ("[glance]\nenable_certificate_validation = true\ndefault_trusted_certificate_ids = a, b\n",
     True, ["a", "b"]),
    ("[glance]\ndefault_trusted_certificate_ids = a\n", False, []),
])
def test_what_nova_conf_asks_for(tmp_path, glance, verifies, trusted):
    found = settings(tmp_path, glance)
    assert found.verifies_signatures is verifies
    assert found.trusted_certificate_ids == trusted
    assert found.as_dict()["verify_glance_signatures"] is ("verify_glance" in glance)


def test_a_certificate_is_read_once_per_run(barbican, pki):
    store_certificate(barbican, CERT, pki.pem("rsa"))
    manager = KeyManager(barbican.url + "/", "token")
    assert manager.certificate(CERT) is manager.certificate(CERT)
    assert [path for path, _headers in barbican.requests] == [
        "/v1/secrets/%s" % CERT, "/v1/secrets/%s/payload" % CERT]
    assert barbican.requests[1][1]["Accept"] == "application/octet-stream"


@pytest.mark.parametrize("secret, reason", [
    (None, "it is not in the key manager (GET http://127.0.0.1:%d/v1/secrets/%s returned 404)"),
    ({"status": 403}, "the token's project may not read it"),
    ({"status": 401}, "the key manager rejected the token"),
    ({"secret_type": "opaque", "content_type": "application/octet-stream", "payload": b"x"},
     "not a certificate (its secret_type is opaque)"),
    ({"secret_type": "certificate", "content_type": "application/octet-stream",
      "payload": b"\x30\x82\x01"}, "its payload is not a PEM X.509 certificate"),
    ({"secret_type": "certificate", "content_type": "text/plain", "payload": b"x" * 300000},
     "larger than 262144 bytes"),
])
def test_what_cannot_be_a_certificate(barbican, secret, reason):
    if secret:
        barbican.secrets[CERT] = secret
    if "%d" in reason:
        reason = reason % (barbican.server_address[1], CERT)
    with pytest.raises(SignatureError) as caught:
        KeyManager(barbican.url, "token-abcdef").certificate(CERT)
    assert reason in str(caught.value) and "token-abcdef" not in str(caught.value)


def test_a_token_with_a_line_break_is_refused_without_showing_it():
    with pytest.raises(SignatureError) as caught:
        KeyManager("http://127.0.0.1:9", "token-abcdef\n")
    assert "line break or NUL" in str(caught.value) and "token-abcdef" not in str(caught.value)


def test_an_unreachable_key_manager():
    with pytest.raises(SignatureError, match="cannot read it from the key manager at "
                                             "http://127.0.0.1:9/v1"):
        KeyManager("http://127.0.0.1:9", "token", timeout=5).certificate(CERT)


def image(pki, uuid=CERT):
    return {"id": "i", "img_signature": pki.sign("rsa", b"data", pss=True),
            "img_signature_hash_method": "SHA-256", "img_signature_key_type": "RSA-PSS",
            "img_signature_certificate_uuid": uuid}


def test_the_host_key_manager_comes_first_and_unreadable_trusted_ones_are_skipped(
        tmp_path, barbican, pki):
    store_certificate(barbican, CERT, pki.pem("rsa"))
    store_certificate(barbican, OTHER, pki.pem("ca"))
    conf = ("[glance]\nverify_glance_signatures = true\nenable_certificate_validation = true\n"
            "default_trusted_certificate_ids = not-an-id, %s, %s\n[barbican]\n"
            "barbican_endpoint = %s\n" % (CA_MISSING, OTHER, barbican.url))
    check = SignatureCheck(settings(tmp_path, conf), "http://127.0.0.1:9", "token")
    verifier = check.verifier(image(pki))
    assert verifier.trusted_by == OTHER
    assert check.notes[0] == ("skipped the trusted certificate not-an-id, as Nova does: not a "
                              "key manager id")
    assert check.notes[1].startswith("skipped the trusted certificate %s, as Nova does: "
                                     "trusted certificate %s: it is not in the key manager"
                                     % (CA_MISSING, CA_MISSING))


def test_no_key_manager_anywhere(tmp_path, pki):
    check = SignatureCheck(settings(tmp_path, "[glance]\nverify_glance_signatures = true\n"))
    with pytest.raises(SignatureError, match="no key manager to read the signing certificate %s "
                                             "from: give key_manager_endpoint" % CERT):
        check.verifier(image(pki))


def test_nothing_is_checked_where_nova_does_not_verify(tmp_path):
    check = SignatureCheck(settings(tmp_path))
    assert not check.required
    assert check.verifier({"id": "i", "img_signature": "garbage"}) is None
