# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What a compute host's Nova demands of an image's signature before it caches the image.

Nova's ``_get_verifier`` (nova/image/glance.py) on that host: with ``[glance]
verify_glance_signatures``, or certificate validation with default trusted certificates, every
image needs complete signature properties and a signing certificate of the claimed key type;
with certificate validation, the certificate must chain up to a trusted one. Nova checks all
of that before the download starts, so do we.
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.image_signature import (
    SignatureError, Verifier, is_key_manager_id, parse_properties, verify_chain)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.key_manager import (
    KeyManager)


class SignatureCheck:
    """The verifiers of one module run; each certificate is read from the key manager once."""

    def __init__(self, settings, key_manager_endpoint=None, token=None, tls_options=None):
        self.settings = settings
        # The key manager nova-compute itself uses on this host comes first.
        self.endpoint = settings.barbican_endpoint or key_manager_endpoint
        self._token = token
        self._tls = tls_options or {}
        self._key_manager = None
        self.notes = []

    @property
    def required(self):
        return self.settings.verifies_signatures

    def verifier(self, image):
        """The image's Verifier where Nova verifies, else None; SignatureError when Nova refuses."""
        if not self.required:
            return None
        spec = parse_properties(image)
        certificate = self._certificate(spec.certificate_uuid, "signing certificate")
        verifier = Verifier(spec, certificate)
        trusted_ids = self.settings.trusted_certificate_ids
        if trusted_ids:
            verifier.trusted_by = (verify_chain(certificate, self._trusted(trusted_ids))
                                   or spec.certificate_uuid)
        elif self.settings.enable_certificate_validation:
            raise SignatureError("image signature certificate validation is enabled, but no "
                                 "trusted certificate IDs were provided ([glance] "
                                 "default_trusted_certificate_ids is empty), so Nova refuses "
                                 "the image")
        return verifier

    def _certificate(self, uuid, what):
        if self._key_manager is None:
            if not self.endpoint:
                raise SignatureError(
                    "no key manager to read the %s %s from: give key_manager_endpoint (the "
                    "role passes validate_images' key_manager_endpoint) or set [barbican] "
                    "barbican_endpoint in nova.conf" % (what, uuid))
            self._key_manager = KeyManager(self.endpoint, self._token, **self._tls)
        try:
            return self._key_manager.certificate(uuid)
        except SignatureError as err:
            raise SignatureError("%s %s: %s" % (what, uuid, err)) from None

    def _trusted(self, ids):
        """The trusted certificates that can be read; cursive skips the others with a warning."""
        trusted = []
        for uuid in ids:
            try:
                if not is_key_manager_id(uuid):
                    raise SignatureError("not a key manager id")
                trusted.append((uuid, self._certificate(uuid, "trusted certificate")))
            except SignatureError as err:
                note = "skipped the trusted certificate %s, as Nova does: %s" % (uuid, err)
                if note not in self.notes:
                    self.notes.append(note)
        return trusted
