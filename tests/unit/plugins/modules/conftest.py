# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Every module test ends the module through patch_exits (utils.py) instead of sys.exit."""

import pytest

from ansible_collections.openstack_ops.precache.tests.unit.plugins.modules.utils import (
    patch_exits)


@pytest.fixture(autouse=True)
def exits(monkeypatch):
    patch_exits(monkeypatch)
