"""Where everything of the test bed lives: addresses, ports and paths, in one place.

Every server binds to a 127.x address. TCP ports are in 25000-25999 (SSH hosts use 2222 on
their own addresses). State lives under one work dir, venvs in a cache shared between clones.
"""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
WORK = Path(os.environ.get("PRECACHE_TESTBED_DIR", REPO / ".testbed")).resolve()
VENVS = Path(os.environ.get(
    "PRECACHE_VENV_DIR", Path.home() / ".cache" / "openstack_ops.precache" / "venvs")).resolve()

HOST = "127.0.0.1"
PORTS = {
    "keystone": 25000,
    "barbican": 25311,
    "glance": 25292,
    "placement": 25778,
    "nova": 25774,
    "neutron": 25696,
    "rabbitmq": 25672,
    "rabbitmq_dist": 25673,
    "epmd": 25369,
}

COMPUTE_COUNT = int(os.environ.get("PRECACHE_TESTBED_COMPUTES", "3"))
SSH_PORT = 2222

# Admin and demo credentials of the test bed's Keystone: test-only secrets on loopback.
ADMIN_PASSWORD = "testbed-admin-secret"
DEMO_PASSWORD = "testbed-demo-secret"
SERVICE_PASSWORD = "testbed-service-secret"
REGION = "RegionOne"


def url(service, path=""):
    """The base URL of a test bed HTTP service."""
    return "http://%s:%d%s" % (HOST, PORTS[service], path)


def venv_python(name):
    """The interpreter of one of the test bed's venvs (see install.sh)."""
    return VENVS / name / "bin" / "python"


def venv_bin(name, program):
    return VENVS / name / "bin" / program


def service_dir(name):
    """The state folder of one service: config, data, logs, pid files."""
    path = WORK / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def service_paths(name):
    """The dirs and files of a service run by common.start_wsgi_service: base, etc, data, log, pid."""
    base = service_dir(name)
    return {"base": base, "etc": base / "etc", "data": base / "data",
            "log": base / (name + ".log"), "pid": base / (name + ".pid")}


def compute_name(index):
    """Nova's host name of compute `index` (1-based), as `openstack compute service list` shows."""
    return "compute%d" % index


def compute_address(index):
    """The loopback address of compute `index`: its sshd listens here, and Nova's my_ip/host_ip."""
    return "127.0.0.%d" % (10 + index)
