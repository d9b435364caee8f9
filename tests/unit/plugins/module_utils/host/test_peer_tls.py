# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""TLS on a site's LAN: a run certificate per server, pinned by the peers, against a real
PeerServer on 127.0.0.1 and the real download."""

import hashlib
import io
import os
import socket
import subprocess
import threading
import time

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import peer_server
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.download import download
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.http_target import (
    DownloadError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.peer_tls import (
    PeerTlsError, check_fingerprint, server_context)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.site_staging import (
    STAGING_DIR_NAME, Staging)

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.test_peer_server import (
    DATA, IMAGE, RUN, TOKEN, stage)


def run_command(argv):
    """AnsibleModule.run_command's shape, for the certificate's openssl."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def run_certificate():
    return server_context(RUN, run_command)


@pytest.fixture
def tls_server(tmp_path, run_certificate):
    instances = tmp_path / "instances"
    instances.mkdir()
    stage(instances, {IMAGE: DATA})
    context, fingerprint = run_certificate
    staging = Staging(str(instances), os.getuid(), RUN, create=False)
    server = peer_server.bind("127.0.0.1", [0], staging, TOKEN, 4, context)
    thread = threading.Thread(target=peer_server.serve, args=(server, time.time() + 60))
    thread.start()
    yield server, fingerprint, instances
    server.stop_requested.set()
    thread.join(10)


def fetch(server, pin, token=TOKEN):
    out = io.BytesIO()
    result = download("https://127.0.0.1:%d/images/%s" % (server.server_port, IMAGE), out,
                      headers={"X-Precache-Token": token}, size=len(DATA), hash_algo="sha512",
                      hash_value=hashlib.sha512(DATA).hexdigest(), retries=0, timeout=10,
                      tls_pin=pin)
    return out.getvalue(), result


def test_the_run_certificate_is_fresh_and_its_fingerprint_well_formed(run_certificate):
    _context, fingerprint = run_certificate
    assert check_fingerprint(fingerprint) == fingerprint
    assert server_context(RUN, run_command)[1] != fingerprint, "each server has a key of its own"
    colons = ":".join(fingerprint[i:i + 2] for i in range(0, 64, 2)).upper()
    assert check_fingerprint(colons) == fingerprint
    with pytest.raises(PeerTlsError):
        check_fingerprint("abc")


def test_a_peer_downloads_over_tls_from_the_pinned_server(tls_server):
    server, fingerprint, _instances = tls_server
    data, result = fetch(server, fingerprint)
    assert data == DATA and result["verified"] == "hash"


def test_a_server_with_another_certificate_is_refused(tls_server):
    server, _fingerprint, _instances = tls_server
    with pytest.raises(DownloadError, match="fingerprint mismatch"):
        fetch(server, "0" * 64)


def test_a_silent_connection_holds_no_other_peer_up(tls_server):
    server, fingerprint, _instances = tls_server
    silent = socket.create_connection(("127.0.0.1", server.server_port))
    try:
        started = time.monotonic()
        data, _result = fetch(server, fingerprint)
        assert data == DATA and time.monotonic() - started < 10
    finally:
        silent.close()


def test_the_stop_pins_the_certificate_too(tls_server):
    server, fingerprint, instances = tls_server
    url = "https://127.0.0.1:%d" % server.server_port
    with pytest.raises(PeerTlsError, match="fingerprint mismatch"):
        peer_server.request_shutdown(url, TOKEN, "f" * 64)
    assert not server.stop_requested.is_set()
    stats = peer_server.request_shutdown(url, TOKEN, fingerprint)
    assert stats == {"requests": 0, "bytes_served": 0, "images": {}}
    assert not (instances / STAGING_DIR_NAME / RUN).exists()
