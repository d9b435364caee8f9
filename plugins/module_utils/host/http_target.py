# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Where a download goes: its URL checked, its TLS context, the connection and request to it.

Header values (the X-Auth-Token) and the URL's query string and user info never appear in an
error message: every error names the URL as _safe_url shows it.
"""

# Loaded now: socket looks host names up through this codec, and the download runs as Nova's
# user, who may not be able to read this interpreter's library (say, a venv in root's home).
import encodings.idna  # noqa: F401 pylint: disable=unused-import
import http.client
import re
import socket
import ssl
from urllib.parse import unquote, urlsplit

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.peer_tls import (
    PeerTlsError, check_pin, client_context)


USER_AGENT = "openstack_ops.precache"
_ERROR_PAGE_READ = 4096


class DownloadError(PrecacheError):
    """A download failed; ``retryable`` tells whether trying again could help."""

    def __init__(self, msg, retryable=False):
        super().__init__(msg)
        self.retryable = retryable


def ssl_context(url, validate_certs, ca_cert, client_cert, client_key, pin=None):
    """The TLS context for ``url`` (None for http://), with openstacksdk's meaning of the options;
    with `pin`, a site peer's fingerprint, the context that leaves the check to it."""
    if not url.lower().startswith("https:"):
        return None
    if pin:
        return client_context()
    try:
        if validate_certs:
            # ca_cert replaces the system's CAs, as openstacksdk's cacert does.
            context = ssl.create_default_context(cafile=ca_cert)
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if client_cert:
            context.load_cert_chain(client_cert, client_key)
    except (OSError, ValueError) as exc:
        raise DownloadError("cannot load the TLS files (ca_cert %r, client_cert %r, client_key "
                            "%r): %s" % (ca_cert, client_cert, client_key, exc)) from None
    return context


def request_headers(headers):
    """``headers`` as strings; DownloadError, naming only the header, for a line break or NUL.

    http.client would quote the bad value, a token say, in its exception.
    """
    checked = {}
    for name, value in (headers or {}).items():
        if any(c in str(name) + str(value) for c in "\r\n\0"):
            raise DownloadError("HTTP header %r has a line break or NUL in its name or value "
                                "(a token read from a file with its newline?)"
                                % str(name).strip())
        checked[str(name)] = str(value)
    return checked


class Target:
    """Where and how to ask: connection settings and the secrets kept out of every message.

    The secrets are the header values (the token), the URL's query string (a Swift temp URL's
    signature) and its user info, each also piece by piece, since an error text may quote
    them in parts or decoded.
    """

    def __init__(self, url, headers, timeout, context, pin=None):
        url = str(url)
        # A site peer's certificate fingerprint (peer_tls), checked instead of a CA's chain.
        self.pin = pin
        self.url = _safe_url(url)
        try:
            parts = urlsplit(url)
        except ValueError as err:
            raise DownloadError("cannot download %r: %s" % (self.url, err)) from None
        if parts.scheme.lower() not in ("http", "https"):
            raise DownloadError("cannot download %r: only http:// and https:// URLs are supported"
                                % self.url)
        self.host, self.port = _check_url(url, parts, self.url)
        self.path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        self.timeout = timeout
        self.context = context
        self.headers = {"User-Agent": USER_AGENT}
        self.headers.update(request_headers(headers))
        secrets = [v for v in self.headers.values() if v != USER_AGENT]
        userinfo = parts.netloc.rpartition("@")[0]
        for text in (parts.query, parts.fragment, userinfo):
            pieces = [text] + re.split(r"[&;:]", text)
            secrets += pieces + [p.partition("=")[2] for p in pieces]
        secrets += [unquote(s) for s in secrets]
        # Longest first, so that a whole query goes before its parts.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def connect(self, guard):
        """A connection with its socket open, which ``guard`` may shut to end a slow attempt."""
        sock = socket.create_connection((self.host, self.port), self.timeout)
        try:
            guard.watch(sock)
            if self.context is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            else:
                conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                                   context=self.context)
                sock = self.context.wrap_socket(sock, server_hostname=self.host)
                if self.pin:
                    try:
                        check_pin(sock, self.pin)
                    except PeerTlsError as err:
                        raise DownloadError(str(err)) from None
        except BaseException:
            sock.close()
            raise
        conn.sock = sock
        return conn

    def redact(self, text, cut=False):
        """``text`` without secrets; with ``cut``, also without a secret's start at its end."""
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        if cut:
            for secret in self.secrets:
                for length in range(min(len(secret), len(text)) - 1, 0, -1):
                    if text.endswith(secret[:length]):
                        text = text[:-length] + "<redacted>"
                        break
        return text


def _check_url(url, parts, safe):
    """The host and port to connect to; a clear error, never a retry, for a malformed URL."""
    bad = re.search(r"[^\x21-\x7e]", url)
    if bad:
        raise DownloadError(
            "cannot download %r: the URL has %s at position %d; percent-encode it (a space is "
            "%%20)" % (safe, "a space" if bad.group() == " " else "the character %r"
                       % bad.group(), bad.start()))
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise DownloadError("cannot download %r: the port is not a number from 1 to 65535"
                            % safe)
    host = parts.hostname
    try:
        # What socket.create_connection would do to it: no empty or over-long labels.
        valid = bool(host) and bool(host.encode("idna"))
    except UnicodeError:
        valid = False
    if not valid:
        raise DownloadError("cannot download %r: the URL has no valid host name" % safe)
    return host, port or (443 if parts.scheme.lower() == "https" else 80)


def _safe_url(url):
    """The URL without user info, query or fragment, fit for a message (even if malformed)."""
    scheme, sep, rest = re.split(r"[?#]", str(url), maxsplit=1)[0].partition("://")
    netloc, slash, path = rest.partition("/")
    return scheme + sep + netloc.rpartition("@")[2] + slash + path


def _body_excerpt(response, target, limit=300):
    """The start of an error page as one line of text (Glance explains its refusals there).

    Redacted before it is cut, so that no part of a secret the page echoes survives the cut.
    """
    try:
        body = response.read(_ERROR_PAGE_READ)
    except (OSError, http.client.HTTPException):
        return ""
    text = re.sub(r"<[^>]*>", " ", body.decode("utf-8", "replace"))
    text = target.redact(" ".join(text.split()), cut=len(body) == _ERROR_PAGE_READ)
    return text[:limit]
