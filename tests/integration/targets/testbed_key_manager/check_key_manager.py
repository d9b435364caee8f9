"""Check a signed image of testbed_images.py with plain HTTP, as a compute host would see it."""
import base64
import json
import sys
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

PROPERTIES = ("img_signature", "img_signature_hash_method", "img_signature_key_type",
              "img_signature_certificate_uuid")


def http_get(url, token, accept="application/json"):
    request = urllib.request.Request(url, headers={"X-Auth-Token": token, "Accept": accept})
    with urllib.request.urlopen(request, timeout=60) as resp:
        body = resp.read()
    return json.loads(body) if accept == "application/json" else body


def certificate(published, name):
    """The PEM certificate `name` of the PKI, read as the demo user, as castellan reads it."""
    url = "%s/v1/secrets/%s" % (published["key_manager_endpoint"], published["pki"][name])
    meta = http_get(url, published["token"])
    assert meta["secret_type"] == "certificate", meta
    assert meta["content_types"] == {"default": "application/octet-stream"}, meta
    return x509.load_pem_x509_certificate(
        http_get(url + "/payload", published["token"], "application/octet-stream"))


def main(published_path):
    with open(published_path) as handle:
        published = json.load(handle)
    assert set(published["pki"]) == {"ca", "rsa", "ecc", "untrusted", "expired", "opaque"}
    assert not published["key_manager_endpoint"].endswith("/")
    planned = published["plan"]["signed"]

    # Top-level image properties, as Nova reads them (GET /v2/images/{id}).
    image = http_get("%s/v2/images/%s" % (published["image_endpoint"], planned["id"]),
                     published["token"])
    assert image["status"] == "active", image["status"]
    for name in PROPERTIES:
        assert image.get(name) == planned[name], (name, image.get(name), planned[name])
    assert image["img_signature_certificate_uuid"] == published["pki"]["rsa"]
    assert (image["img_signature_hash_method"], image["img_signature_key_type"]) == (
        "SHA-256", "RSA-PSS")

    cert, ca = certificate(published, "rsa"), certificate(published, "ca")
    cert.verify_directly_issued_by(ca)
    data = http_get(planned["url"], published["token"], "application/octet-stream")
    signature = base64.b64decode(image["img_signature"])
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
    cert.public_key().verify(signature, data, pss, hashes.SHA256())
    try:
        cert.public_key().verify(signature, data + b"\0", pss, hashes.SHA256())
    except InvalidSignature:
        pass
    else:
        raise AssertionError("the signature verifies other data too")

    # The demo user reads the PKI only through its ACLs: the admin's token reads it as owner.
    http_get("%s/v1/secrets/%s" % (published["key_manager_endpoint"], published["pki"]["opaque"]),
             published["admin_token"])
    try:
        http_get("%s/v1/secrets/%s" % (published["key_manager_endpoint"], published["pki"]["rsa"]),
                 "not-a-token")
    except urllib.error.HTTPError as err:
        assert err.code == 401, err.code
    else:
        raise AssertionError("Barbican answered a bad token")
    print("key manager: image %s signed by %s, verified with its certificate from Barbican"
          % (planned["id"], cert.subject.rfc4514_string()))


if __name__ == "__main__":
    main(sys.argv[1])
