# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The seed's image server, in-process on 127.0.0.1, and its daemon as a real double fork."""

import http.client
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import peer_server
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.peer_http import (
    byte_range)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.site_staging import (
    STAGING_DIR_NAME, Staging)

RUN = "0123456789abcdef0123456789abcdef"
TOKEN = "s3cret-token-of-the-run-0123456789"
IMAGE = "a26887c6-c47b-4654-abb5-dfadf7d3f803"
UNSTAGED = "9b8a7c6d-5e4f-4321-8fed-cba987654321"
DATA = bytes(range(256)) * 4096 + b"tail"
# Kolla's nova uid: no passwd entry on the host.
KOLLA_UID = 42436


def stage(instances, files, uid=None):
    """A run's staging folder holding `files` ({image id: bytes}), as the seed leaves it."""
    with Staging(str(instances), os.getuid(), RUN) as staging:
        for image_id, data in files.items():
            (instances / STAGING_DIR_NAME / RUN / image_id).write_bytes(data)
        path = staging.path
    if uid is not None:
        for root, _dirs, names in os.walk(str(instances)):
            for name in [root] + [os.path.join(root, n) for n in names]:
                os.chown(name, uid, uid)
    return path


class Running:
    """A PeerServer serving in a thread; `result` is what serve() returned once it stopped."""

    def __init__(self, instances, max_peers=4, deadline=60.0):
        staging = Staging(str(instances), os.getuid(), RUN, create=False)
        self.server = peer_server.bind("127.0.0.1", [0], staging, TOKEN, max_peers)
        self.port = self.server.server_port
        self.result = None
        self.thread = threading.Thread(target=self._serve, args=(time.time() + deadline,))
        self.thread.start()

    def _serve(self, deadline):
        self.result = peer_server.serve(self.server, deadline)

    def request(self, method, path, token=TOKEN, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = dict(headers or {})
        if token is not None:
            headers["X-Precache-Token"] = token
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response, body

    def stop(self):
        if self.thread.is_alive():
            self.server.stop_requested.set()
        self.thread.join(10)


@pytest.fixture
def instances(tmp_path):
    path = tmp_path / "instances"
    path.mkdir()
    stage(path, {IMAGE: DATA})
    return path


@pytest.fixture
def running(instances):
    server = Running(instances)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def serving(tmp_path_factory):
    """One server for the tests that only read (each stop takes a poll interval)."""
    path = tmp_path_factory.mktemp("serving") / "instances"
    path.mkdir()
    stage(path, {IMAGE: DATA})
    server = Running(path, deadline=600)
    yield server
    server.stop()


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return False
    return True


def test_the_staged_image_with_the_token(serving):
    response, body = serving.request("GET", "/images/" + IMAGE)
    assert response.status == 200 and body == DATA
    assert response.getheader("Content-Length") == str(len(DATA))
    assert response.getheader("Content-Type") == "application/octet-stream"
    assert response.getheader("Server") == "precache"


@pytest.mark.parametrize("token", [None, "", TOKEN[:-1], TOKEN + "x", TOKEN.upper()])
@pytest.mark.parametrize("method, path", [
    ("GET", "/images/" + IMAGE), ("GET", "/images/" + UNSTAGED), ("GET", "/nope"),
    ("GET", "/"), ("PUT", "/images/" + IMAGE), ("DELETE", "/images/" + IMAGE),
    ("HEAD", "/images/" + IMAGE), ("POST", "/shutdown"), ("BREW", "/")])
def test_without_the_token_everything_is_403_with_no_detail(serving, token, method, path):
    response, body = serving.request(method, path, token=token)
    assert response.status == 403 and body == b""
    assert serving.thread.is_alive()


@pytest.mark.parametrize("method, path", [
    ("GET", "/images/" + UNSTAGED), ("GET", "/"), ("GET", "/images"), ("GET", "/images/"),
    ("GET", "/images/../../etc/passwd"), ("GET", "/images/%2e%2e/%2e%2e/etc/passwd"),
    ("GET", "/images/%2e%2e"), ("GET", "/images/" + IMAGE + "/"),
    ("GET", "/images/" + IMAGE.upper()), ("GET", "/images/" + IMAGE + "?x=1"),
    ("GET", "/images//" + IMAGE), ("GET", "/images/" + RUN), ("GET", "/shutdown"),
    ("GET", "http://127.0.0.1/images/" + IMAGE), ("HEAD", "/images/" + IMAGE),
    ("PUT", "/images/" + IMAGE), ("DELETE", "/images/" + IMAGE), ("BREW", "/")])
def test_with_the_token_anything_but_a_staged_image_is_404(serving, method, path):
    response, body = serving.request(method, path)
    assert response.status == 404 and body == b""


def test_a_link_in_the_staging_is_not_followed(running, instances, tmp_path):
    (tmp_path / "secret").write_bytes(b"host file")
    os.symlink(str(tmp_path / "secret"), str(instances / STAGING_DIR_NAME / RUN / UNSTAGED))
    assert running.request("GET", "/images/" + UNSTAGED)[0].status == 404


@pytest.mark.parametrize("header, status, content_range, data", [
    ("bytes=10-", 206, "bytes 10-%d/%d" % (len(DATA) - 1, len(DATA)), DATA[10:]),
    ("bytes=5-9", 206, "bytes 5-9/%d" % len(DATA), DATA[5:10]),
    ("bytes=%d-" % (len(DATA) - 1), 206, None, DATA[-1:]),
    ("bytes=0-99999999", 206, "bytes 0-%d/%d" % (len(DATA) - 1, len(DATA)), DATA),
    ("bytes=%d-" % len(DATA), 416, "bytes */%d" % len(DATA), b""),
    ("bytes=9-5", 416, "bytes */%d" % len(DATA), b""),
    ("bytes=-5", 200, None, DATA),
    ("bytes=0-1,5-6", 200, None, DATA),
    ("pages=1-", 200, None, DATA),
])
def test_ranges(serving, header, status, content_range, data):
    response, body = serving.request("GET", "/images/" + IMAGE, headers={"Range": header})
    assert (response.status, body) == (status, data)
    if content_range:
        assert response.getheader("Content-Range") == content_range
    assert response.getheader("Content-Length") == str(len(data))


def test_byte_range_of_an_empty_file_is_unsatisfiable():
    with pytest.raises(ValueError):
        byte_range("bytes=0-", 0)
    assert byte_range(None, 0) is None


def test_one_transfer_over_max_peers_is_503_until_a_slot_frees(tmp_path):
    instances = tmp_path / "instances"
    instances.mkdir()
    stage(instances, {IMAGE: b""})
    # Big enough (sparse) that its transfer blocks on a reader that reads nothing.
    with open(str(instances / STAGING_DIR_NAME / RUN / IMAGE), "r+b") as image:
        image.truncate(256 * 1024 * 1024)
    server = Running(instances, max_peers=1)
    try:
        held = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        held.sendall(("GET /images/%s HTTP/1.1\r\nHost: x\r\nX-Precache-Token: %s\r\n\r\n"
                      % (IMAGE, TOKEN)).encode())
        assert held.recv(12) == b"HTTP/1.1 200"
        response, body = server.request("GET", "/images/" + IMAGE)
        assert (response.status, body) == (503, b"")
        assert response.getheader("Retry-After") == "5"
        held.close()
        for _attempt in range(50):
            response, _body = server.request("GET", "/images/" + IMAGE, headers={
                "Range": "bytes=0-99"})
            if response.status != 503:
                break
            time.sleep(0.1)
        assert response.status == 206
    finally:
        server.stop()


def test_shutdown_answers_what_was_served_then_stops_and_removes_the_staging(running, instances):
    running.request("GET", "/images/" + IMAGE)
    running.request("GET", "/images/" + IMAGE, headers={"Range": "bytes=0-9"})
    running.request("GET", "/images/" + UNSTAGED)
    stats = peer_server.request_shutdown("http://127.0.0.1:%d" % running.port, TOKEN)
    assert stats == {"requests": 2, "bytes_served": len(DATA) + 10,
                     "images": {IMAGE: len(DATA) + 10}}
    # Answered once the listener and the staging were gone.
    assert not listening(running.port)
    assert not (instances / STAGING_DIR_NAME / RUN).exists()
    running.thread.join(10)
    assert running.result == stats
    assert peer_server.request_shutdown("http://127.0.0.1:%d" % running.port, TOKEN) is None


def test_shutdown_with_another_runs_token_is_refused(running):
    with pytest.raises(peer_server.PeerServerError, match="refused the token"):
        peer_server.request_shutdown("http://127.0.0.1:%d" % running.port, "another-run-token-0123")
    assert running.thread.is_alive()


def test_the_deadline_stops_it_and_removes_the_staging(instances):
    server = Running(instances, deadline=0.5)
    server.thread.join(10)
    assert not server.thread.is_alive()
    assert server.result == {"requests": 0, "bytes_served": 0, "images": {}}
    assert not listening(server.port)
    assert not (instances / STAGING_DIR_NAME / RUN).exists()


@pytest.mark.parametrize("token", ["short", "with space in the token", "line\nbreak-0123456789", TOKEN + "\n",
                                   "n\u00f6n-ascii-0123456789", None])
def test_tokens_that_cannot_be_a_header_are_refused_without_being_quoted(token):
    with pytest.raises(ValueError) as refused:
        peer_server.check_token(token)
    assert str(token) not in str(refused.value)


@pytest.mark.parametrize("text, ports", [("47400-47402", [47400, 47401, 47402]),
                                         ("47400", [47400])])
def test_port_ranges(text, ports):
    assert peer_server.parse_port_range(text) == ports


@pytest.mark.parametrize("text", ["80-90", "47499-47400", "x-y", "47400-", "47400-70000"])
def test_bad_port_ranges(text):
    with pytest.raises(ValueError):
        peer_server.parse_port_range(text)


def test_a_busy_port_is_skipped(instances):
    first = Running(instances)
    try:
        staging = Staging(str(instances), os.getuid(), RUN, create=False)
        second = peer_server.bind("127.0.0.1", [first.port, 0], staging, TOKEN, 1)
        assert second.server_port not in (first.port, 0)
        second.server_close()
        with pytest.raises(peer_server.PeerServerError, match="no free port"):
            peer_server.bind("127.0.0.1", [first.port], staging, TOKEN, 1)
        staging.close()
    finally:
        first.stop()


# The daemon, started from a fresh interpreter as the module would start it; an audit hook
# records every import after the start, which the daemon, as Nova's user, may be unable to do.
DAEMON = r"""
import json, os, sys, time
from ansible_collections.openstack_ops.precache.plugins.module_utils.host import peer_server
instances, uid, imports = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def hook(event, args):
    if event == "import":
        fd = os.open(imports, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        os.write(fd, ("%s\n" % args[0]).encode())
        os.close(fd)
sys.addaudithook(hook)
try:
    reply = peer_server.start_daemon(instances, uid, uid if uid else os.getegid(), sys.argv[4],
                                     sys.argv[5], "127.0.0.1", [0], time.time() + 60, 2)
except peer_server.PeerServerError as err:
    reply = {"error": str(err)}
print(json.dumps(reply))
"""


def start_daemon(instances, uid, imports):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", DAEMON, str(instances), str(uid), str(imports),
                          RUN, TOKEN], env=env, check=True, capture_output=True, timeout=30)
    return json.loads(out.stdout)


def daemon_ids(port):
    """The uids and groups of the process listening on `port`."""
    inode = next(line.split()[9] for line in open("/proc/net/tcp").read().splitlines()[1:]
                 if line.split()[1].endswith(":%04X" % port) and line.split()[3] == "0A")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = [os.readlink("/proc/%s/fd/%s" % (pid, fd))
                   for fd in os.listdir("/proc/%s/fd" % pid)]
        except OSError:
            continue
        if "socket:[%s]" % inode in fds:
            status = dict(line.split(":", 1) for line in open("/proc/%s/status" % pid))
            return (status["Uid"].split(), status["Groups"].split(), sorted(fds),
                    status["NoNewPrivs"].strip())
    return None


@pytest.mark.parametrize("as_nova", [False, pytest.param(True, marks=pytest.mark.skipif(
    os.geteuid() != 0, reason="dropping to Nova's user needs root"))])
def test_the_daemon_serves_detached_and_imports_nothing_after_the_fork(as_nova):
    # Under /tmp, not pytest's private tmp dir: Nova's user must reach the instances dir.
    top = pathlib.Path(tempfile.mkdtemp(prefix="precache-serve-", dir="/tmp"))
    try:
        top.chmod(0o755)
        instances = top / "instances"
        instances.mkdir()
        uid = KOLLA_UID if as_nova else os.geteuid()
        stage(instances, {IMAGE: DATA}, uid=uid if as_nova else None)
        imports = top / "imports"
        reply = start_daemon(instances, uid, imports)
        assert set(reply) == {"port", "images"}, reply
        assert reply["images"] == [IMAGE]
        uids, groups, fds, no_new_privs = daemon_ids(reply["port"])
        assert uids == [str(uid)] * 4
        if as_nova:
            assert (groups, no_new_privs) == ([str(KOLLA_UID)], "1")
        # 0, 1, 2 (/dev/null), the listening socket, the staging: nothing of the module's.
        staged = str(instances / STAGING_DIR_NAME)
        assert [f for f in fds if not f.startswith("socket:")] == sorted(
            ["/dev/null"] * 3 + [staged, staged + "/" + RUN])
        assert len(fds) == 6
        connection = http.client.HTTPConnection("127.0.0.1", reply["port"], timeout=10)
        connection.request("GET", "/images/" + IMAGE, headers={"X-Precache-Token": TOKEN,
                                                               "Range": "bytes=1-"})
        response = connection.getresponse()
        assert (response.status, response.read()) == (206, DATA[1:])
        connection.close()
        stats = peer_server.request_shutdown("http://127.0.0.1:%d" % reply["port"], TOKEN)
        assert stats["bytes_served"] == len(DATA) - 1
        assert not (instances / STAGING_DIR_NAME / RUN).exists()
        assert not imports.exists() or imports.read_text() == ""
    finally:
        shutil.rmtree(str(top), ignore_errors=True)


def test_the_daemon_refuses_to_start_with_nothing_staged(tmp_path):
    instances = tmp_path / "instances"
    instances.mkdir()
    reply = start_daemon(instances, os.geteuid(), tmp_path / "imports")
    assert "nothing is staged for run %s" % RUN in reply["error"]
