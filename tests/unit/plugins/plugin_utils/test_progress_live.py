# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The live line of a batch: when a round's line comes, and its arithmetic."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_live import (
    Batch, batch_sizes, short_bytes)

GIB = 1024 ** 3
MIB = 1024 ** 2
IMG = "3f052202-598d-40d9-b5c7-68410a51fd66"


def sample(phase="download", done=0, total=GIB, rate=0, **extra):
    status = dict(version=1, phase=phase, image=IMG, image_index=1, images=1, bytes=done,
                  total=total, bytes_glance=done, bytes_peers=0, rate=rate, source="glance")
    status.update(extra)
    return status


@pytest.mark.parametrize("serial, hosts, sizes", [
    (None, 7, [7]),
    ([], 7, [7]),
    ([0], 7, [7]),
    ([3], 7, [3, 3, 1]),
    ([1, 2], 6, [1, 2, 2, 1]),
    (["50%"], 5, [2, 2, 1]),
    (["10%"], 5, [1, 1, 1, 1, 1]),
    ([2, "100%"], 5, [2, 3]),
    ([4], 0, []),
])
def test_batch_sizes_cut_as_ansible_does(serial, hosts, sizes):
    assert batch_sizes(serial, hosts) == sizes


def test_short_bytes():
    assert [short_bytes(n) for n in (17, 2048, int(4.1 * GIB), 3 * 1024 * GIB)] == [
        "17 bytes", "2.0 KiB", "4.1 GiB", "3.0 TiB"]


def test_a_round_makes_one_line_once_every_working_host_reported():
    batch = Batch(1, 3, ["compute1", "compute2", "compute3"], 10, now=0)
    assert batch.sample("compute1", sample(done=GIB // 4, rate=20 * MIB), 10.1) is None
    assert batch.sample("compute2", sample(done=GIB // 2, rate=40 * MIB), 10.2) is None
    line, data = batch.sample("compute3", sample("lock", 0, GIB), 10.3)
    # compute3 waits for Nova's lock with the whole image left and no rate: no ETA yet.
    assert line == ("batch 1/3: 3/3 hosts working, 768.0 MiB of 3.0 GiB (25%), 60.0 MiB/s, "
                    "ETA unknown; slowest compute3 (waiting for Nova's lock)")
    assert data["working"] == ["compute1", "compute2", "compute3"]
    assert data["eta"] is None and data["stalled"] == []
    # The next round waits for all three again.
    assert batch.sample("compute1", sample(done=GIB // 2, rate=20 * MIB), 20.1) is None


def test_finished_hosts_count_their_bytes_and_the_eta_is_the_slowest_hosts():
    batch = Batch(2, 2, ["compute1", "compute2"], 10, now=0)
    batch.finish("compute1", {"bytes_from_glance": GIB, "bytes_from_peers": 0})
    line, data = batch.sample("compute2", sample(done=GIB // 2, rate=32 * MIB), 10)
    # 512 MiB left at 32 MiB/s: 16 s.
    assert line == ("batch 2/2: 1/2 hosts working, 1.5 GiB of 2.0 GiB (75%), 32.0 MiB/s, "
                    "ETA 0:16; slowest compute2 (downloading)")
    assert data["eta"] == 16.0
    # A finished host's later samples (none should come) change nothing.
    assert batch.sample("compute1", sample(done=0), 11) is None


def test_a_host_whose_bytes_did_not_move_for_an_interval_is_stalled():
    batch = Batch(1, 1, ["compute1", "compute2"], 10, now=0)
    batch.sample("compute1", sample(done=100 * MIB, rate=10 * MIB), 10)
    batch.sample("compute2", sample(done=200 * MIB, rate=10 * MIB), 10)
    batch.sample("compute1", sample(done=100 * MIB, rate=0), 20)
    line, data = batch.sample("compute2", sample(done=300 * MIB, rate=10 * MIB), 20)
    assert data["stalled"] == ["compute1"]
    assert line.endswith("; stalled: compute1")
    # Waiting for Nova's lock is never stalled, however long.
    batch.sample("compute1", sample("lock", 100 * MIB), 30)
    line, data = batch.sample("compute2", sample(done=400 * MIB, rate=10 * MIB), 30)
    assert data["stalled"] == [] and "waiting for Nova's lock" in line


def test_hosts_not_polled_yet_do_not_hold_the_line_past_an_interval_and_a_half():
    # Two forks for three hosts: compute3 is polled only once a fork frees up.
    batch = Batch(1, 1, ["compute1", "compute2", "compute3"], 10, now=0)
    assert batch.sample("compute1", sample(done=MIB, rate=MIB), 10) is None
    assert batch.sample("compute2", sample(done=MIB, rate=MIB), 10) is None
    line, data = batch.sample("compute1", sample(done=2 * MIB, rate=MIB), 20)
    assert data["states"]["compute3"] == "not polled yet"
    assert "3/3 hosts working" in line


def test_site_runs_show_glance_and_lan_bytes_apart_and_the_peer():
    batch = Batch(1, 1, ["compute1", "compute2"], 10, now=0)
    batch.finish("compute1", {"bytes_from_glance": GIB, "bytes_from_peers": 0})
    peer = sample(done=GIB // 2, rate=100 * MIB, source="peer compute1")
    peer.update(bytes_glance=0, bytes_peers=GIB // 2)
    line, data = batch.sample("compute2", peer, 10)
    assert "(75%; 1.0 GiB from Glance, 512.0 MiB on the LAN)" in line
    assert line.endswith("slowest compute2 (downloading from peer compute1)")
    assert (data["bytes_glance"], data["bytes_peers"]) == (GIB, GIB // 2)


def test_a_hosts_status_is_data_escaped_and_bad_values_count_as_nothing():
    name = "compute1\x1b[2J"
    batch = Batch(1, 1, [name], 10, now=0)
    hostile = sample(done="lots", total=-5, rate=True, source="peer x\ny",
                     image_index=2, images=3)
    line, data = batch.sample(name, hostile, 10)
    assert "\x1b" not in line and "\n" not in line
    assert "compute1\\x1b[2J" in line and "from peer x\\x0ay" in line
    assert (data["bytes"], data["total"], data["rate"]) == (0, 0, 0)
    assert "downloading image 2/3" in line
