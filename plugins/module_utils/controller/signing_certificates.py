# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The plan's signed images, checked on the controller against their certificates in Barbican.

A host that verifies signatures (`[glance] verify_glance_signatures`) fails the download of a
signed image whose properties are incomplete or whose certificate it cannot use, as Nova does
(cursive, with the certificate from the key manager through castellan). validate_images finds
those images before any host is touched: each certificate is fetched once per run, and every
signed image is checked against it. The rules themselves (properties, PEM, key class, dates,
summary) are common/image_signature.py's, shared with the hosts.

The key manager is reached through openstacksdk's key-manager proxy (`conn.key_manager`), by
its two requests, the secret's metadata and its `/payload`. Not through get_secret(): the SDK's
Secret.fetch() reads the metadata without looking at the status, so a missing secret and one
the caller may not read both come back as an empty Secret, and those are the two answers this
check has to tell apart (Barbican's 404 and 403).
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.common import (
    image_signature as _image_signature)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable

SERVICE_TYPE = "key-manager"


class SigningCertificates:
    """The signing certificates of a plan's images: fetched once each, and the images checked.

    `conn` is an openstacksdk connection; only its `endpoint_for()`, `key_manager` (when an
    image is signed) and `current_project_id` are used. With `verify` false nothing is fetched
    or checked, and only the key manager's endpoint is looked up, for the hosts.
    """

    def __init__(self, conn, verify=True, now=None):
        self.conn = conn
        self.verify = verify
        self.now = now
        self.warnings = []
        self.signed = False
        # The key manager's endpoint in the catalog, no trailing slash; None until an image of
        # the plan is signed, and when the catalog has none.
        self.endpoint = None
        self._loaded = {}
        self._users = {}

    def check(self, record):
        """Why the hosts that verify signatures cannot cache this image (a Glance record), as a
        list of reasons, escaped; [] when it is not signed or can be verified."""
        if not _image_signature.is_signed(record):
            return []
        if not self.signed:
            self.signed = True
            endpoint = self.conn.endpoint_for(SERVICE_TYPE)
            self.endpoint = endpoint.rstrip("/") if endpoint else None
        if not self.verify:
            return []
        if not _image_signature.HAS_CRYPTOGRAPHY:
            return ["it is signed, and checking its signature needs the Python library "
                    "cryptography on the controller (pip install cryptography); or set "
                    "check_signatures false when the hosts do not verify signatures"]
        try:
            spec = _image_signature.parse_properties(record)
        except _image_signature.SignatureError as err:
            # Nova refuses the image before it asks for the certificate; so does this check.
            return [printable(err)]
        uuid = spec.certificate_uuid
        users = self._users.setdefault(uuid, [])
        if record["id"] not in users:
            users.append(record["id"])
        if self.endpoint is None:
            return ["it is signed with certificate %s, but the cloud's catalog has no key-manager "
                    "endpoint (for this connection's interface and region) to fetch it from, "
                    "and hosts that verify signatures cannot cache it either; set "
                    "check_signatures false if they do not verify signatures" % printable(uuid)]
        certificate, problem = self._load(uuid)
        reasons = [problem] if problem else []
        if certificate is not None:
            reasons.extend(self._key_type_problems(certificate, spec.key_type, uuid, record))
        return reasons

    def _key_type_problems(self, certificate, key_type, uuid, record):
        try:
            _image_signature.check_key_type(certificate, key_type)
        except _image_signature.SignatureError as err:
            return ["certificate %s: %s" % (printable(uuid), printable(err))]
        # cursive checks the key's class only; a key on another curve fails the signature.
        key = _image_signature.describe_certificate(certificate)["key"]
        curve = key_type[len("ECC_"):].lower() if key_type.startswith("ECC_") else None
        if curve and key != "EC %s" % curve:
            self.warnings.append(
                "image %s (%s): img_signature_key_type %s names the curve %s, but the key of "
                "certificate %s is %s; the hosts check the key's class only, and the signature "
                "verifies only if it was made with that key" % (
                    printable(record["id"]), printable(record.get("name")), key_type, curve,
                    printable(uuid), printable(key)))
        return []

    def _load(self, uuid):
        """(certificate, None), (certificate, why it is not valid now) or (None, why it cannot
        be read), the key manager asked once per certificate."""
        if uuid not in self._loaded:
            try:
                certificate = _image_signature.load_certificate(self._payload(uuid))
            except _CertificateProblem as err:
                self._loaded[uuid] = (None, str(err))
            except _image_signature.SignatureError as err:
                self._loaded[uuid] = (None, "secret %s of the key manager: %s" % (
                    printable(uuid), printable(err)))
            else:
                problem = _image_signature.validity_problem(certificate, self.now)
                self._loaded[uuid] = (certificate, "certificate %s (%s): %s" % (
                    printable(uuid),
                    printable(_image_signature.describe_certificate(certificate)["subject"]),
                    problem) if problem else None)
        return self._loaded[uuid]

    def _get(self, path, uuid, **kwargs):
        label = printable(uuid)
        try:
            response = self.conn.key_manager.get(path, **kwargs)
        except Exception as err:  # keystoneauth's connection errors, and the SDK's
            raise _CertificateProblem("the key manager at %s did not answer for certificate "
                                      "%s: %s" % (self.endpoint, label, printable(err)))
        status = response.status_code
        if status == 404:
            raise _CertificateProblem(
                "certificate %s is not in the key manager (HTTP 404): the secret was deleted, "
                "or img_signature_certificate_uuid is wrong" % label)
        if status == 403:
            raise _CertificateProblem(
                "the key manager refuses certificate %s to %s (HTTP 403): the caller's "
                "project cannot read it, so neither can the hosts with its token; give it read "
                "access (an ACL) or sign the image with a certificate it can read" % (
                    label, "project %s" % printable(self.conn.current_project_id)
                    if self.conn.current_project_id else "the credentials' project"))
        if status >= 400:
            raise _CertificateProblem("the key manager answered HTTP %d for certificate %s" % (
                status, label))
        return response

    def _payload(self, uuid):
        """The secret's payload (bytes), as castellan reads it; _CertificateProblem when the
        secret is missing, unreadable or not a certificate. `uuid` is a UUID (parse_properties
        checked it), so no tenant's text becomes a path of the key manager's."""
        path = "/secrets/%s" % uuid
        metadata = self._get(path, uuid).json()
        secret_type = metadata.get("secret_type")
        if secret_type != "certificate":
            raise _CertificateProblem(
                "secret %s of the key manager is not a certificate: its secret_type is %s" % (
                    printable(uuid), printable(secret_type or "not set")))
        content_type = (metadata.get("content_types") or {}).get("default")
        if not content_type:
            raise _CertificateProblem("secret %s of the key manager holds no payload" %
                                      printable(uuid))
        return self._get(path + "/payload", uuid, headers={"Accept": content_type}).content

    def certificates(self):
        """One summary per certificate the plan's images use and that could be read, in the
        order first used: its `id`, escaped `subject` and `issuer`, validity, key, SHA-256
        fingerprint and the `images` signed with it."""
        summaries = []
        for uuid, images in self._users.items():
            certificate = self._loaded.get(uuid, (None, None))[0]
            if certificate is None:
                continue
            summary = _image_signature.describe_certificate(certificate)
            summary.update(id=uuid, subject=printable(summary["subject"]),
                           issuer=printable(summary["issuer"]), images=list(images))
            summaries.append(summary)
        return summaries


class _CertificateProblem(Exception):
    """A certificate that cannot be used; the message says why, escaped."""
