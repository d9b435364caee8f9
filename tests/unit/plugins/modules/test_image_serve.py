# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The image_serve module's own layer: its options, check mode, stopping, and the token kept out.

The daemon itself is peer_server's (tests/unit/plugins/module_utils/host/test_peer_server.py);
here its start is recorded instead of forking the test process.
"""

import json
import os
import ssl
import socket
import threading
import time

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import peer_server
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.site_staging import (
    STAGING_DIR_NAME, Staging)
from ansible_collections.openstack_ops.precache.plugins.modules import image_serve
from ansible_collections.openstack_ops.precache.tests.unit.plugins.modules.utils import (
    run_module)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.test_peer_server import (
    IMAGE, RUN, TOKEN, stage)


@pytest.fixture
def host(tmp_path):
    """nova.conf (my_ip 127.0.0.1) and one image staged for RUN; the module's base arguments."""
    instances = tmp_path / "instances"
    instances.mkdir()
    conf = tmp_path / "nova.conf"
    conf.write_text("[DEFAULT]\nstate_path = %s\nmy_ip = 127.0.0.1\n" % tmp_path)
    stage(instances, {IMAGE: b"glance's bytes"})
    return instances, {"nova_conf": [str(conf)], "run_id": RUN, "token": TOKEN,
                       "owner": str(os.getuid()), "group": str(os.getgid())}


@pytest.fixture
def unused_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.fixture
def started(monkeypatch):
    """start_daemon's arguments, recorded; it answers port 47401."""
    calls = []

    def start_daemon(*args):
        calls.append(args)
        return {"port": 47401, "images": [IMAGE]}
    monkeypatch.setattr(image_serve, "start_daemon", start_daemon)
    return calls


def test_with_tls_the_server_gets_a_run_certificate_and_the_peers_its_fingerprint(host, started):
    instances, args = host
    outcome = run_module(image_serve.main, dict(args, tls=True))
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["url"] == "https://127.0.0.1:47401"
    context, fingerprint = started[0][-1], outcome.result["fingerprint"]
    assert isinstance(context, ssl.SSLContext) and len(fingerprint) == 64
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_started_returns_where_the_peers_fetch(host, started):
    instances, args = host
    outcome = run_module(image_serve.main, dict(args, port_range="47400-47402", max_peers=2))
    assert not outcome.failed, outcome.result["msg"]
    result = outcome.result
    assert (result["url"], result["address"], result["port"]) == (
        "http://127.0.0.1:47401", "127.0.0.1", 47401)
    assert result["images"] == [IMAGE] and result["changed"]
    assert result["deadline"] == pytest.approx(time.time() + 3600, abs=60)
    (instances_path, uid, gid, run_id, token, address, ports, deadline, max_peers,
     context), = started
    assert context is None and result["fingerprint"] is None
    assert (instances_path, uid, gid, run_id, token, address) == (
        str(instances), os.getuid(), os.getgid(), RUN, TOKEN, "127.0.0.1")
    assert (ports, deadline, max_peers) == ([47400, 47401, 47402], result["deadline"], 2)
    assert TOKEN not in json.dumps(result)


def test_check_mode_starts_nothing_and_lists_the_staged_images(host, started):
    outcome = run_module(image_serve.main, dict(host[1], address="192.0.2.7"), check_mode=True)
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["images"] == [IMAGE] and outcome.result["url"] is None
    assert outcome.result["msg"].startswith("check mode: would serve 1 staged images on 192.0.2.7")
    assert started == []


def test_nothing_staged_is_refused_in_check_mode_too(host, started):
    outcome = run_module(image_serve.main, dict(host[1], run_id="fedcba9876543210"),
                         check_mode=True)
    assert outcome.failed and "nothing is staged for run fedcba9876543210" in outcome.result["msg"]


@pytest.mark.parametrize("change, message", [
    ({"token": "short"}, "the token must be 16 or more"),
    ({"token": TOKEN + "\n"}, "the token must be 16 or more"),
    ({"run_id": "../../etc"}, "16 to 64 lowercase hex digits"),
    ({"port_range": "80-90"}, "unprivileged ports"),
    ({"max_peers": 0}, "must be 1 or more"),
    ({"state": "stopped", "url": "ftp://127.0.0.1:47400"}, "is not the http(s)://ADDRESS:PORT"),
])
def test_bad_options_fail_clearly_without_the_token(host, started, change, message):
    outcome = run_module(image_serve.main, dict(host[1], **change))
    assert outcome.failed and message in outcome.result["msg"]
    assert TOKEN not in outcome.result["msg"] and started == []


def test_stopped_with_nothing_listening_removes_the_staging(host, unused_port):
    instances, args = host
    url = "http://127.0.0.1:%d" % unused_port
    outcome = run_module(image_serve.main, dict(args, state="stopped", url=url), check_mode=True)
    assert (outcome.result["changed"], outcome.result["staging_removed"]) == (True, True)
    assert (instances / STAGING_DIR_NAME / RUN).exists()
    outcome = run_module(image_serve.main, dict(args, state="stopped", url=url))
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["served"] is None and outcome.result["staging_removed"]
    assert outcome.result["changed"]
    assert not (instances / STAGING_DIR_NAME / RUN).exists()
    outcome = run_module(image_serve.main, dict(args, state="stopped", url=url))
    assert not outcome.result["changed"]


def test_stopped_without_a_url_only_removes_the_staging(host):
    instances, args = host
    outcome = run_module(image_serve.main, dict(args, state="stopped"))
    assert not outcome.failed, outcome.result["msg"]
    assert (outcome.result["changed"], outcome.result["served"]) == (True, None)
    assert outcome.result["msg"] == "no server to stop; removed the run's staging"
    assert not (instances / STAGING_DIR_NAME / RUN).exists()


def test_stopped_stops_the_server_and_returns_what_it_served(host):
    instances, args = host
    staging = Staging(str(instances), os.getuid(), RUN, create=False)
    server = peer_server.bind("127.0.0.1", [0], staging, TOKEN, 2)
    serving = threading.Thread(target=peer_server.serve, args=(server, time.time() + 60))
    serving.start()
    try:
        outcome = run_module(image_serve.main, dict(
            args, state="stopped", url="http://127.0.0.1:%d" % server.server_port))
    finally:
        server.stop_requested.set()
        serving.join(10)
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["served"] == {"requests": 0, "bytes_served": 0, "images": {}}
    assert outcome.result["changed"] and not outcome.result["staging_removed"]
    assert not (instances / STAGING_DIR_NAME / RUN).exists()
