# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A run's live status file and heartbeat: the writer's policy on a virtual clock, the reader
against files Nova's user planted, and the clean-up of killed runs' files."""

import json
import os
import threading
import time

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import (
    progress_read as reader, progress_status as progress)

RUN_ID = "0123456789abcdef0123456789abcdef"
IMAGE_1 = "6f0b3e26-1d4f-4a38-9d43-0ad4f36c1c11"
IMAGE_2 = "a26887c6-c47b-4654-abb5-dfadf7d3f803"
KEYS = {"version", "pid", "started", "updated", "phase", "image", "image_index", "images",
        "bytes", "total", "bytes_glance", "bytes_peers", "rate", "source"}


class Clock:
    """Virtual wall and monotonic time, moved by the test."""

    def __init__(self, now=None):
        self.now = time.time() if now is None else now

    def __call__(self):
        return self.now


@pytest.fixture
def instances(tmp_path):
    path = tmp_path / "instances"
    path.mkdir()
    return path


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def live(instances, clock):
    """A writer on the virtual clock, opened, its thread not started: the test ticks it."""
    made = writer(instances, clock)
    yield made
    made.close()


def folder(instances):
    return instances / progress.PROGRESS_DIR_NAME


def writer(instances, clock, expected=(100, 0, 50), **kwargs):
    made = progress.StatusWriter(str(instances), os.getuid(), RUN_ID, list(expected),
                                 clock=clock, monotonic=clock, **kwargs)
    made.open()
    return made


def status_file(instances):
    return folder(instances) / (RUN_ID + ".json")


def load(instances):
    return json.loads(status_file(instances).read_text())


def valid_status(**changes):
    status = {"version": 1, "pid": 42, "started": 1000.0, "updated": time.time(),
              "phase": "download", "image": IMAGE_1, "image_index": 1, "images": 2,
              "bytes": 10, "total": 100, "bytes_glance": 10, "bytes_peers": 0, "rate": 5,
              "source": "glance"}
    status.update(changes)
    return status


def plant(instances, content):
    folder(instances).mkdir(mode=0o700, exist_ok=True)
    status_file(instances).write_text(content if isinstance(content, str) else json.dumps(content))


def read(instances, **kwargs):
    return reader.read_status(str(instances), os.getuid(), RUN_ID, **kwargs)


# ---- the writer

def test_the_status_is_written_whole_and_removed_at_the_end(instances):
    with progress.StatusWriter(str(instances), os.getuid(), RUN_ID, [100]) as live:
        status = load(instances)
        assert set(status) == KEYS
        assert (status["version"], status["pid"], status["phase"], status["image"]) == (
            1, os.getpid(), "starting", None)
        assert (status["image_index"], status["images"], status["total"]) == (0, 1, 100)
        info = os.stat(folder(instances))
        assert info.st_mode & 0o777 == 0o700 and info.st_uid == os.getuid()
        assert sorted(os.listdir(folder(instances))) == [RUN_ID + ".json", RUN_ID + ".seen"]
        assert live.cancelled is None
    assert os.listdir(folder(instances)) == []


def test_each_write_is_a_new_file_renamed_over_the_old(instances, clock, live):
    first = os.stat(status_file(instances)).st_ino
    live.begin(1, IMAGE_1)
    clock.now += 1
    assert live.tick()
    assert os.stat(status_file(instances)).st_ino != first
    assert load(instances)["image"] == IMAGE_1
    assert not [e for e in os.listdir(folder(instances)) if e.endswith(".tmp")]


def test_a_planted_status_link_is_replaced_not_followed(instances, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("root's")
    folder(instances).mkdir(mode=0o700)
    os.symlink(victim, status_file(instances))
    live = writer(instances, Clock())
    try:
        assert not status_file(instances).is_symlink() and load(instances)["version"] == 1
        assert victim.read_text() == "root's"
    finally:
        live.close()


def test_at_most_one_write_a_second_and_one_every_5_s_when_nothing_changes(instances, clock, live):
    live.begin(1, IMAGE_1)
    live.source("glance")
    writes = []
    for step in range(1, 13):
        clock.now += 0.25
        live.on_progress(step * 10)
        writes.append(live.tick())
    # Changing every quarter of a second: written at 1, 2 and 3 s only.
    assert [i for i, wrote in enumerate(writes, 1) if wrote] == [4, 8, 12]
    writes = []
    # The rate falls to 0 over the next 5 s, after which nothing changes any more.
    for _step in range(80):
        clock.now += 0.25
        writes.append(live.tick())
    times = [i * 0.25 for i, wrote in enumerate(writes, 1) if wrote]
    assert all(b - a >= 1 for a, b in zip(times, times[1:]))
    quiet = [t for t in times if t > 6]
    assert quiet and all(b - a == 5 for a, b in zip(quiet, quiet[1:]))
    assert load(instances)["updated"] == pytest.approx(clock.now - (20 - quiet[-1]))


def test_the_counts_follow_the_images_their_sources_and_restarts(instances, clock, live):
    live.begin(1, IMAGE_1)
    live.source("glance")
    live.on_progress(60)
    assert (live.snapshot()["bytes"], live.snapshot()["total"]) == (60, 150)
    live.on_progress(0)  # the transfer started again from 0
    assert live.snapshot()["bytes"] == 0
    live.on_progress(120)  # more than Glance said
    assert live.snapshot()["total"] == 170
    live.on_progress(100)
    live.begin(2, IMAGE_2)
    live.phase("refresh")
    snap = live.snapshot()
    assert (snap["bytes"], snap["total"], snap["image_index"], snap["phase"]) == (
        100, 150, 2, "refresh")
    assert snap["source"] is None
    live.begin(3, IMAGE_1)
    live.source("peer edge-1")
    live.on_progress(30)
    assert live.snapshot()["bytes_peers"] == 30
    # That peer failed; the next source starts from 0.
    live.source("peer edge-2")
    assert (live.snapshot()["bytes"], live.snapshot()["bytes_peers"]) == (100, 0)
    live.on_progress(20)
    snap = live.snapshot()
    assert (snap["bytes_glance"], snap["bytes_peers"], snap["source"]) == (
        100, 20, "peer edge-2")
    live.finish()
    snap = live.snapshot()
    assert (snap["phase"], snap["bytes"], snap["total"], snap["bytes_peers"]) == (
        "done", 120, 120, 20)


def test_the_rate_is_over_the_last_5_seconds(instances, clock, live):
    live.begin(1, IMAGE_1)
    live.source("glance")
    for step in range(1, 11):
        clock.now += 1
        live.on_progress(step * 1000 if step <= 5 else 5000 + (step - 5) * 100)
        live.tick()
    assert load(instances)["rate"] == 100


def test_the_thread_writes_while_the_caller_only_sets_attributes(instances):
    with progress.StatusWriter(str(instances), os.getuid(), RUN_ID, [10],
                               interval=0.05, keepalive=0.2) as live:
        live.begin(1, IMAGE_1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and load(instances)["image"] != IMAGE_1:
            time.sleep(0.02)
        assert load(instances)["image"] == IMAGE_1
        assert any(t.name == "precache-progress" for t in threading.enumerate())
    assert not any(t.name == "precache-progress" for t in threading.enumerate())


# ---- the heartbeat

def test_the_heartbeat_arms_on_the_first_poll_then_cancels_when_polls_stop(instances):
    clock = Clock()
    live = writer(instances, clock, heartbeat_timeout=10)
    try:
        clock.now += 3600
        live.tick()
        assert live.cancelled is None, "cancelled a run that nobody ever polled"
        time.sleep(0.05)
        assert read(instances) is not None
        seen = os.stat(folder(instances) / (RUN_ID + ".seen")).st_mtime
        clock.now = seen + 1
        live.tick()
        clock.now = seen + 9
        live.tick()
        live.check()
        clock.now = seen + 11
        live.tick()
        with pytest.raises(progress.Cancelled, match="stopped following this run: no poll for "
                                                     "11 s.*nothing of this image kept"):
            live.check()
        with pytest.raises(progress.Cancelled):
            live.on_progress(5)
    finally:
        live.close()


@pytest.mark.parametrize("timeout, last_poll, now", [(10, 20, 25), (0, 0, 10 ** 6)],
                         ids=["polled", "never"])
def test_an_armed_run_goes_on_while_polled_or_without_timeout(instances, timeout, last_poll, now):
    clock = Clock()
    live = writer(instances, clock, heartbeat_timeout=timeout)
    try:
        time.sleep(0.05)
        read(instances)
        live.tick()
        start = clock.now
        os.utime(folder(instances) / (RUN_ID + ".seen"), (start + last_poll,) * 2)
        clock.now = start + now
        live.tick()
        live.check()
        assert live.cancelled is None
    finally:
        live.close()


def test_a_check_mode_read_does_not_beat_the_heartbeat(instances, live):
    seen = folder(instances) / (RUN_ID + ".seen")
    before = os.stat(seen).st_mtime_ns
    time.sleep(0.05)
    assert read(instances, touch=False) is not None
    assert os.stat(seen).st_mtime_ns == before
    read(instances)
    assert os.stat(seen).st_mtime_ns != before


# ---- the reader, against planted files

def test_a_valid_status_comes_back_with_its_age(instances):
    plant(instances, valid_status(updated=1000.0, source="peer edge-2"))
    status = read(instances, now=1012.34)
    assert status == dict(valid_status(updated=1000.0, source="peer edge-2"), age=12.3)


def test_no_folder_or_no_status_is_none(instances):
    assert read(instances) is None
    folder(instances).mkdir()
    assert read(instances) is None


@pytest.mark.parametrize("changes", [
    {"version": 2}, {"version": True}, {"pid": -1}, {"bytes": "10"}, {"bytes": 1.5},
    {"total": True}, {"rate": 2 ** 70}, {"updated": "now"}, {"started": float("nan")},
    {"phase": "exfiltrate"}, {"image": "../../etc/passwd"}, {"image": 5},
    {"source": "evil"}, {"source": "peer " + "x" * 300}, {"source": 5}, {"extra": 1},
])
def test_a_status_with_a_wrong_field_is_refused(instances, changes):
    plant(instances, valid_status(**changes))
    assert read(instances) is None


def test_a_status_missing_a_field_is_refused(instances):
    status = valid_status()
    del status["rate"]
    plant(instances, status)
    assert read(instances) is None


@pytest.mark.parametrize("content", ["[1, 2]", "{not json", "", '"text"'])
def test_a_status_that_is_no_object_is_refused(instances, content):
    plant(instances, content)
    assert read(instances) is None


def test_control_characters_of_a_source_are_escaped(instances):
    plant(instances, valid_status(source="peer a\x1b]0;owned\x07\r\nOK"))
    assert read(instances)["source"] == "peer a\\x1b]0;owned\\x07\\x0d\\x0aOK"


def test_a_huge_status_is_refused(instances):
    plant(instances, json.dumps(valid_status()) + " " * reader.MAX_STATUS_SIZE)
    assert read(instances) is None


def test_a_status_just_under_the_bound_is_read(instances):
    text = json.dumps(valid_status())
    plant(instances, text + " " * (reader.MAX_STATUS_SIZE - len(text)))
    assert read(instances) is not None


def test_a_status_link_is_not_followed(instances, tmp_path):
    (tmp_path / "elsewhere.json").write_text(json.dumps(valid_status()))
    folder(instances).mkdir()
    os.symlink(tmp_path / "elsewhere.json", status_file(instances))
    assert read(instances) is None


def test_a_status_fifo_does_not_block(instances):
    folder(instances).mkdir()
    os.mkfifo(status_file(instances))
    assert read(instances) is None


def test_a_heartbeat_link_or_fifo_is_neither_followed_nor_blocks(instances, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("x")
    os.utime(victim, (1, 1))
    plant(instances, valid_status())
    os.symlink(victim, folder(instances) / (RUN_ID + ".seen"))
    assert read(instances) is not None
    assert os.stat(victim).st_mtime == 1
    os.unlink(folder(instances) / (RUN_ID + ".seen"))
    os.mkfifo(folder(instances) / (RUN_ID + ".seen"))
    assert read(instances) is not None


def test_a_planted_progress_folder_link_is_refused(instances, tmp_path):
    (tmp_path / "other").mkdir()
    os.symlink(tmp_path / "other", folder(instances))
    with pytest.raises(progress.CacheError, match="symbolic link"):
        read(instances)


def test_a_bad_run_id_is_refused(instances):
    with pytest.raises(progress.CacheError, match="run_id must be 16 to 64 lowercase hex"):
        reader.read_status(str(instances), os.getuid(), "../" + RUN_ID)


# ---- stale files

def test_killed_runs_files_and_old_temporaries_are_removed(instances):
    base = folder(instances)
    base.mkdir()
    now = time.time()
    old, fresh = "1" * 16, "2" * 16
    files = {old + ".json": 400, old + ".seen": 1, fresh + ".json": 1, fresh + ".seen": 400,
             "3" * 16 + ".seen": 400, "4" * 16 + ".seen": 10, "5" * 16 + ".0badcafe.tmp": 400,
             "6" * 16 + ".0badcafe.tmp": 10, "notes.txt": 400}
    for name, age in files.items():
        (base / name).write_text("x")
        os.utime(base / name, (now - age, now - age))
    os.symlink("/etc/passwd", base / ("7" * 16 + ".json"))
    removed = reader.clean_stale_progress(str(instances), os.getuid(), now=now)
    assert removed == sorted([old + ".json", old + ".seen", "3" * 16 + ".seen",
                              "5" * 16 + ".0badcafe.tmp"])
    assert sorted(os.listdir(base)) == sorted(
        set(files) - set(removed) | {"7" * 16 + ".json"})


def test_no_progress_folder_nothing_to_clean(instances):
    assert reader.clean_stale_progress(str(instances), os.getuid()) == []
