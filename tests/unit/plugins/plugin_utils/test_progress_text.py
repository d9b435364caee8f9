# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The progress of a run as text for the terminal."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.plugin_utils import _progress_text


@pytest.mark.parametrize("index,total,elapsed,line", [
    (68, 95, 68 * 0.6, "host 68/95 compute68: 1 cached, 0 failed (72%, ETA 0:16)"),
    (1, 95, 60, "host 1/95 compute68: 1 cached, 0 failed (1%, ETA 1:34:00)"),
])
def test_progress_line(index, total, elapsed, line):
    assert _progress_text.progress_line(index, total, "compute68", 1, 0, elapsed) == line
