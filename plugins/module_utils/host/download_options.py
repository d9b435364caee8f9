# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The argument spec of the download options, which doc fragment `download` documents.

A module that downloads images composes it into its own spec, with the fragment in its
extends_documentation_fragment; tests check that the two name the same options.
"""

DOWNLOAD_ARGUMENT_SPEC = dict(
    rate_limit=dict(type="str"),
    timeout=dict(type="int", default=60),
    retries=dict(type="int", default=3),
    min_rate=dict(type="str", default="64K"),
    min_rate_time=dict(type="int", default=30),
    validate_certs=dict(type="bool", default=True),
    ca_cert=dict(type="path"),
    client_cert=dict(type="path"),
    client_key=dict(type="path", no_log=False),
)
DOWNLOAD_REQUIRED_TOGETHER = [("client_cert", "client_key")]
# The options download() and ssl_context() take as they are.
TLS_OPTIONS = ("timeout", "validate_certs", "ca_cert", "client_cert", "client_key")
TRANSFER_OPTIONS = ("retries", "min_rate", "min_rate_time")


def tls_options(params):
    """The TLS connection options of the module's params, as download() and KeyManager take them."""
    return {name: params[name] for name in TLS_OPTIONS}
