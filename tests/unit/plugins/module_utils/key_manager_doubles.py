# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Helpers for the conftest's `barbican` server, imported by full path as signing_doubles is."""


def store_certificate(server, uuid, pem):
    """Serve `pem` as the key manager's certificate secret `uuid`."""
    server.secrets[uuid] = {"secret_type": "certificate", "content_type": "application/octet-stream",
                            "payload": pem}
