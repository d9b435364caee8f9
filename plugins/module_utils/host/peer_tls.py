# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""TLS on a site's LAN: each server's own certificate, made for the run, pinned by its peers.

When image_serve starts a server with TLS, the host's openssl makes a key and a self-signed
certificate valid for a day, in a folder only root can read; they are loaded into the server's
context and deleted before the daemon starts, so the key lives in that process's memory only.
Only the certificate's SHA-256 fingerprint leaves the host, in image_serve's result; the role
gives it to the peers with the server's URL. A peer checks the fingerprint of the certificate
it is shown, not a CA or a host name: nothing but that server's key passes.
"""

import hashlib
import hmac
import os
import re
import shutil
import ssl
import tempfile

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)

_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


class PeerTlsError(PrecacheError):
    """A run certificate cannot be made, or a peer showed another one."""


def check_fingerprint(fingerprint):
    """A SHA-256 fingerprint as 64 lowercase hex digits (colons and case allowed in)."""
    value = str(fingerprint or "").replace(":", "").lower()
    if not _FINGERPRINT.fullmatch(value):
        raise PeerTlsError("%r is not a SHA-256 certificate fingerprint (64 hex digits)"
                           % (fingerprint,))
    return value


def server_context(run_id, run_command):
    """(an ssl.SSLContext for the server, its certificate's fingerprint), made now with
    `run_command` (AnsibleModule.run_command)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise PeerTlsError("TLS on the site's LAN needs the openssl command on this host "
                           "(package openssl)")
    folder = tempfile.mkdtemp(prefix="precache-tls-")
    try:
        key, cert = os.path.join(folder, "key.pem"), os.path.join(folder, "cert.pem")
        status, _out, err = run_command(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", cert, "-days", "1",
             "-subj", "/CN=openstack_ops.precache site run %s" % run_id])
        if status != 0:
            raise PeerTlsError("openssl could not make the run's certificate: %s"
                               % " ".join(str(err).split())[:300])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)
        with open(cert) as handle:
            der = ssl.PEM_cert_to_DER_cert(handle.read())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return context, hashlib.sha256(der).hexdigest()


def client_context():
    """The context a peer connects with: no CA, no host name; check_pin() does the checking."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def check_pin(sock, fingerprint):
    """PeerTlsError unless the certificate `sock` (an SSLSocket, handshake done) was shown is
    the one whose fingerprint the run gave."""
    der = sock.getpeercert(binary_form=True) or b""
    if not hmac.compare_digest(hashlib.sha256(der).hexdigest(), check_fingerprint(fingerprint)):
        raise PeerTlsError("the peer showed a certificate that is not its run certificate "
                           "(fingerprint mismatch): refused")
