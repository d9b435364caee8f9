# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""For the signature tests: certificates made with cryptography, and a key manager double."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


class Pki:
    """Keys, and certificates signed by a CA of our own (or by themselves)."""

    def __init__(self):
        self.keys = {}
        self.serial = 0
        self.ca_key = self.key("ca", "rsa")
        self.ca_name = self.name("precache test CA")

    def key(self, label, kind):
        if label not in self.keys:
            if kind == "rsa":
                self.keys[label] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            elif kind == "dsa":
                self.keys[label] = dsa.generate_private_key(key_size=2048)
            else:
                self.keys[label] = ec.generate_private_key(getattr(ec, kind.upper())())
        return self.keys[label]

    @staticmethod
    def name(common_name):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example")])

    def cert(self, common_name, kind="rsa", not_before=-DAY, not_after=30 * DAY,
             self_signed=False):
        key = self.key(common_name + kind, kind)
        self.serial += 1
        builder = x509.CertificateBuilder().subject_name(self.name(common_name)).issuer_name(
            self.name(common_name) if self_signed else self.ca_name).public_key(
            key.public_key()).serial_number(self.serial).not_valid_before(
            NOW + not_before).not_valid_after(NOW + not_after)
        return builder.sign(key if self_signed else self.ca_key, hashes.SHA256())


def pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM)


class Response:
    def __init__(self, status_code, body=None, content=b""):
        self.status_code = status_code
        self.body = body
        self.content = content

    def json(self):
        return self.body


class KeyManager:
    """openstacksdk's key-manager proxy as the check uses it: get(path, headers=...)."""

    def __init__(self):
        self.secrets = {}
        self.calls = []
        self.error = None

    def add(self, uuid, payload=None, secret_type="certificate", status=200,
            content_type="application/octet-stream"):
        metadata = dict(secret_type=secret_type, status="ACTIVE")
        if content_type:
            metadata["content_types"] = {"default": content_type}
        self.secrets[uuid] = (status, metadata, payload)
        return uuid

    def get(self, path, headers=None):
        self.calls.append((path, headers))
        if self.error:
            raise self.error
        parts = path.strip("/").split("/")
        assert parts[0] == "secrets"
        status, metadata, payload = self.secrets.get(parts[1], (404, {"code": 404}, None))
        if status != 200:
            return Response(status, {"code": status})
        if parts[2:] == ["payload"]:
            assert headers == {"Accept": metadata["content_types"]["default"]}
            return Response(200, content=payload)
        assert parts[2:] == []
        return Response(200, metadata)
