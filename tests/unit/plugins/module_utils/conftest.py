# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Fixtures shared by the module_utils tests: qemu-img run as the modules run it, a Glance,
images to inspect, a virtual clock for downloads, an opened cache dir."""

import base64
import functools
import http.server
import json
import os
import subprocess
import threading

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import cache_dir as cache
from ansible_collections.openstack_ops.precache.plugins.module_utils.host import (
    download_rate as speed)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.qemu_img import QemuImg
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.image_signature import (
    load_certificate)

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.cache_dir_doubles import (
    settings_for)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.download_doubles import (
    _Clock)
from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.image_corpus import (
    convert, write_raw)


@pytest.fixture(scope="session")
def run_command():
    """The real AnsibleModule.run_command, which the modules give QemuImg."""
    with patch_module_args({"_ansible_no_log": True}):
        return basic.AnsibleModule(argument_spec={}).run_command


@pytest.fixture(scope="session")
def qemu(run_command):
    """QemuImg over that run_command, with no limits of its own."""
    return QemuImg(run_command)


@pytest.fixture
def glance(tmp_path):
    """A static HTTP server standing in for Glance's image data URLs: (its root dir, its URL)."""
    root = tmp_path / "glance"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield root, "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


LEAF_EXT = "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"


class Pki:
    """Keys and certificates made by openssl in a temporary directory."""

    # A CA's extensions; %s adds to basicConstraints (",pathlen:0").
    CA_EXT = "basicConstraints=critical,CA:TRUE%s\nkeyUsage=critical,keyCertSign,cRLSign\n"

    def __init__(self, folder):
        self.folder = folder
        self.serial = 0

    def path(self, name):
        return os.path.join(self.folder, name)

    def openssl(self, *args):
        subprocess.run(("openssl",) + args, check=True, cwd=self.folder, capture_output=True)

    def key(self, name, kind):
        if kind == "rsa":
            self.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                         "-out", name + ".key")
        elif kind == "dsa":
            self.openssl("genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt",
                         "dsa_paramgen_bits:2048", "-out", name + ".param")
            self.openssl("genpkey", "-paramfile", name + ".param", "-out", name + ".key")
        else:
            self.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + kind,
                         "-out", name + ".key")
        return name

    def cert(self, name, kind="rsa", issuer=None, ext=LEAF_EXT):
        """A certificate for a new key; self-signed without issuer."""
        self.key(name, kind)
        with open(self.path(name + ".ext"), "w") as handle:
            handle.write(ext)
        self.openssl("req", "-new", "-key", name + ".key", "-subj", "/CN=%s" % name,
                     "-out", name + ".csr")
        self.serial += 1
        signer = ["-CA", issuer + ".pem", "-CAkey", issuer + ".key"] if issuer else [
            "-signkey", name + ".key"]
        self.openssl("x509", "-req", "-in", name + ".csr", "-days", "30", "-sha256",
                     "-set_serial", str(self.serial), "-extfile", name + ".ext",
                     "-out", name + ".pem", *signer)
        return self.load(name)

    def load(self, name):
        return load_certificate(self.pem(name))

    def pem(self, name):
        with open(self.path(name + ".pem"), "rb") as handle:
            return handle.read()

    def sign(self, name, data, digest="sha256", pss=False):
        with open(self.path("data"), "wb") as handle:
            handle.write(data)
        options = ["-sigopt", "rsa_padding_mode:pss"] if pss else []
        self.openssl("dgst", "-" + digest, "-sign", name + ".key", *options, "-out", "sig",
                     "data")
        with open(self.path("sig"), "rb") as handle:
            return base64.b64encode(handle.read()).decode("ascii")


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A CA and certificates under it (rsa, ecc, dsa), and a rogue CA with its stranger."""
    made = Pki(str(tmp_path_factory.mktemp("pki")))
    made.cert("ca", ext=Pki.CA_EXT % "")
    made.cert("rsa", issuer="ca")
    made.cert("ecc", kind="secp384r1", issuer="ca")
    made.cert("dsa", kind="dsa", issuer="ca")
    made.cert("rogue", ext=Pki.CA_EXT % "")
    made.cert("stranger", issuer="rogue")
    return made


@pytest.fixture
def new_pki(tmp_path):
    """An empty Pki of the test's own."""
    (tmp_path / "pki").mkdir()
    return Pki(str(tmp_path / "pki"))


class _Barbican(http.server.BaseHTTPRequestHandler):
    """Barbican's secret metadata and payload GETs, for the secrets in server.secrets."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.requests.append((self.path, dict(self.headers)))
        parts = self.path.split("/")
        secret = self.server.secrets.get(parts[3] if len(parts) > 3 else None)
        if secret is None or parts[:3] != ["", "v1", "secrets"]:
            return self._answer(404, b'{"code": 404}', "application/json")
        if secret.get("status"):
            return self._answer(secret["status"], b"{}", "application/json")
        if parts[4:] == ["payload"]:
            return self._answer(200, secret["payload"], secret["content_type"])
        return self._answer(200, json.dumps({
            "secret_type": secret["secret_type"], "status": "ACTIVE",
            "content_types": {"default": secret["content_type"]}}).encode(), "application/json")

    def _answer(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def barbican():
    """A key manager serving `secrets` (uuid -> secret_type, content_type, payload; or status)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Barbican)
    server.secrets, server.requests = {}, []
    server.url = "http://127.0.0.1:%d" % server.server_address[1]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


# Images for the inspection tests (host/image_corpus.py).

@pytest.fixture
def raw(tmp_path):
    return write_raw(tmp_path / 'disk.raw')


@pytest.fixture
def qcow2(tmp_path, raw):
    return convert(tmp_path, raw, 'qcow2', 'disk.qcow2')


# The download tests' virtual time (host/download_doubles.py).

@pytest.fixture
def clock(monkeypatch):
    virtual = _Clock()
    monkeypatch.setattr(speed, "monotonic", virtual.monotonic)
    monkeypatch.setattr(speed, "sleep", virtual.sleep)
    return virtual


# A cache dir of an instances dir with _base and locks (host/cache_dir_doubles.py).

@pytest.fixture
def layout(tmp_path):
    """(settings, cache dir path, lock dir path) of an instances dir with _base and locks."""
    settings = settings_for(tmp_path)
    os.makedirs(os.path.join(settings.instances_path, "locks"))
    os.mkdir(settings.cache_dir)
    return settings, tmp_path / "instances" / "_base", tmp_path / "instances" / "locks"


@pytest.fixture
def cache_dir(layout):
    with cache.CacheDir(layout[0], os.getuid()) as opened:
        yield opened
