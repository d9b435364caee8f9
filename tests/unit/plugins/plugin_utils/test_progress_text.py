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


def test_the_summary_ends_with_a_line_per_site_and_per_glance_store():
    summary = {"hosts_completed": 1, "errors": 0, "elapsed": 3, "bytes_downloaded": 0,
               "failing_hosts": {}, "image_failures": {}, "hosts_not_attempted": [],
               "sites": {"edge-1": {"hosts": 3, "bytes_from_glance": 10, "bytes_from_peers": 20}},
               "stores": {"site-b": {"images": {"timed_out": ["i1"], "copied": ["i2", "i3"]},
                                     "problems": ["image i1: not in store\x1b[2J site-b"]},
                          "site-a": {"images": {}, "problems": ["no store"]}}}
    assert _progress_text.summary_lines(summary)[1:] == [
        "Site edge-1: 3 hosts, 10 bytes from Glance, 20 bytes over its LAN",
        "Glance store site-a: no copy", "  no store",
        "Glance store site-b: 2 copied, 1 timed out", "  image i1: not in store\\x1b[2J site-b"]
