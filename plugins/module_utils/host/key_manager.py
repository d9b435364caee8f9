# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Signing certificates from the key manager (Barbican's API), read as castellan reads them.

castellan, Nova's key manager library, asks for a secret's metadata, takes only a secret of
type ``certificate`` as an X.509 certificate, then fetches its payload in the secret's own
content type and reads it as PEM. The token goes only into the X-Auth-Token header and never
into a message; redirects are not followed; a payload is read up to a small limit.
"""

import http.client
import json
import socket
import ssl
from urllib.parse import urlsplit

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.http_target import (
    USER_AGENT, DownloadError, request_headers, ssl_context)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.image_signature import (
    SignatureError, load_certificate)

# Barbican refuses secrets over 10,000 bytes by default; a certificate is a few KiB.
_READ_LIMIT = 256 * 1024


class KeyManager:
    """Reads certificates from one key manager endpoint with a token, each once per run."""

    def __init__(self, endpoint, token, timeout=60, validate_certs=True, ca_cert=None,
                 client_cert=None, client_key=None):
        endpoint = str(endpoint).rstrip("/")
        # castellan's default API version, unless the endpoint names it already.
        self.base = endpoint if endpoint.endswith("/v1") else endpoint + "/v1"
        parts = urlsplit(self.base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SignatureError("key manager endpoint %s is not an http(s) URL" % self.base)
        self._parts = parts
        self._timeout = timeout
        try:
            self._headers = {"User-Agent": USER_AGENT}
            self._headers.update(request_headers({"X-Auth-Token": token or ""}))
            self._context = ssl_context(self.base, validate_certs, ca_cert, client_cert,
                                        client_key)
        except DownloadError as err:
            raise SignatureError(str(err)) from None
        self._certificates = {}

    def certificate(self, uuid):
        """The X.509 certificate stored as secret ``uuid``; SignatureError saying why not.

        The messages are about that secret and do not repeat its id.
        """
        if uuid not in self._certificates:
            try:
                self._certificates[uuid] = self._fetch(uuid)
            except SignatureError as err:
                self._certificates[uuid] = err
        found = self._certificates[uuid]
        if isinstance(found, SignatureError):
            raise found
        return found

    def _fetch(self, uuid):
        metadata = self._get("/secrets/%s" % uuid, "application/json")
        try:
            metadata = json.loads(metadata.decode("utf-8"))
        except ValueError:
            raise SignatureError("the key manager's answer about it is not JSON") from None
        secret_type = metadata.get("secret_type") if isinstance(metadata, dict) else None
        if secret_type != "certificate":
            raise SignatureError("the key manager secret is not a certificate (its secret_type "
                                 "is %s)" % secret_type)
        content_type = (metadata.get("content_types") or {}).get("default")
        if not content_type:
            raise SignatureError("the key manager secret has no payload")
        return load_certificate(self._get("/secrets/%s/payload" % uuid, str(content_type)))

    def _get(self, path, accept):
        url = self.base + path
        port = self._parts.port or (443 if self._context else 80)
        try:
            if self._context is None:
                conn = http.client.HTTPConnection(self._parts.hostname, port,
                                                  timeout=self._timeout)
            else:
                conn = http.client.HTTPSConnection(self._parts.hostname, port,
                                                   timeout=self._timeout, context=self._context)
            try:
                conn.request("GET", self._parts.path + path,
                             headers=dict(self._headers, Accept=accept))
                response = conn.getresponse()
                body = response.read(_READ_LIMIT + 1)
            finally:
                conn.close()
        except (OSError, http.client.HTTPException, ssl.SSLError, socket.timeout) as err:
            raise SignatureError("cannot read it from the key manager at %s: %s"
                                 % (self.base, err)) from None
        status = response.status
        if status == 200 and len(body) <= _READ_LIMIT:
            return body
        where = "GET %s returned %d" % (url, status)
        if status == 200:
            reason = "its payload is larger than %d bytes, far more than a certificate" % (
                _READ_LIMIT)
        elif status == 404:
            reason = "it is not in the key manager (%s)" % where
        elif status == 401:
            reason = "the key manager rejected the token (%s)" % where
        elif status == 403:
            reason = "the token's project may not read it (%s)" % where
        else:
            reason = where
        raise SignatureError(reason)
