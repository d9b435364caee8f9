# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Fixtures shared by the module_utils tests: qemu-img run as the modules run it, a Glance."""

import functools
import http.server
import threading

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.openstack_ops.precache.plugins.module_utils._image_format import QemuImg


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
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()
