# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The live status of a cache_image run, for cache_progress to read while it runs as an async job.

`<instances_path>/.precache-progress/<run id>.json` is the status, rewritten atomically by a
thread of the run at most once a second, and at least every few seconds so that its mtime shows
the writer is alive; `<run id>.seen` is the controller's heartbeat, touched by every read. Once
a read has touched it, a run with a heartbeat timeout stops when no read comes for that long: a
controller that died or gave up must not leave a host downloading for hours.

The folder belongs to Nova's user, like the cache dir, so everything in it may have been planted:
it is opened by descriptor (cache_dir.open_dir), and nothing is followed through a link or blocks
on a FIFO. progress_read reads a status back, checked field by field before it leaves the host.
"""

import collections
import json
import os
import secrets
import threading
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_dir import (
    open_instances_dir)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    FILE_FLAGS, CacheError, describe_error)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.site_staging import (
    check_run_id)

PROGRESS_DIR_NAME = ".precache-progress"
VERSION = 1
PHASES = ("starting", "lock", "download", "inspect", "convert", "install", "refresh", "done")
_RATE_WINDOW = 5.0
INTS = ("pid", "image_index", "images", "bytes", "total", "bytes_glance", "bytes_peers", "rate")


class Cancelled(CacheError):
    """The controller stopped following the run (no heartbeat for heartbeat_timeout seconds)."""


def status_name(run_id):
    return run_id + ".json"


def seen_name(run_id):
    return run_id + ".seen"


class NullProgress:
    """The writer's hooks, doing nothing: what the cacher reports to when nobody follows it."""

    def begin(self, index, image_id):
        pass

    def phase(self, name):
        pass

    def source(self, label):
        pass

    def on_progress(self, offset):
        pass

    def check(self):
        pass

    def finish(self):
        pass


NULL_PROGRESS = NullProgress()


class StatusWriter(NullProgress):
    """One run's status file and heartbeat; a context manager, entered as Nova's user.

    `expected` holds, per image of the plan in order, the bytes to fetch for it: Glance's size
    for the images missing from the cache at the start, 0 for the others. The hooks (begin,
    phase, source, on_progress, check) only set attributes: the thread does every write.
    """

    def __init__(self, instances_path, uid, run_id, expected, heartbeat_timeout=0,
                 clock=time.time, monotonic=time.monotonic, interval=1.0, keepalive=5.0):
        self.run_id = check_run_id(run_id, "progress.run_id")
        self.path = os.path.join(instances_path, PROGRESS_DIR_NAME)
        self.expected = [int(size or 0) for size in expected]
        self.heartbeat_timeout = heartbeat_timeout
        self.clock = clock
        self.monotonic = monotonic
        self.interval = interval
        self.keepalive = keepalive
        self.started = clock()
        self.cancelled = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self._phase, self._image, self._index, self._source = "starting", None, 0, None
        self._offset = 0
        # Bytes of the images already finished: all, and those from Glance and from peers.
        self._done = self._done_glance = self._done_peers = 0
        self._samples = collections.deque()
        self._written = None
        self._last_write = None
        self._seen_fd = self._seen_mtime = None
        self._armed = False
        self.fd = open_instances_dir(instances_path, PROGRESS_DIR_NAME, uid, True)

    # The hooks, called by the cacher's thread.

    def begin(self, index, image_id):
        with self._lock:
            self._finish_image()
            self._index, self._image, self._phase = index, image_id, "starting"

    def phase(self, name):
        self._phase = name

    def source(self, label):
        with self._lock:
            self._source, self._offset = label, 0

    def on_progress(self, offset):
        self._offset = offset
        if self.cancelled is not None:
            raise Cancelled(self.cancelled)

    def check(self):
        if self.cancelled is not None:
            raise Cancelled(self.cancelled)

    def finish(self):
        with self._lock:
            self._finish_image()
            self._phase = "done"

    def _finish_image(self):
        # Under the lock: the current image's bytes become the finished ones'.
        if self._source == "glance":
            self._done_glance += self._offset
        elif self._source is not None:
            self._done_peers += self._offset
        self._done += self._offset
        self._offset, self._source = 0, None

    # The status, built and written by the thread.

    def snapshot(self):
        """The status without its time stamps and rate (what tells whether it changed)."""
        with self._lock:
            offset, source, index = self._offset, self._source, self._index
            done, glance, peers = self._done, self._done_glance, self._done_peers
            image, phase = self._image, self._phase
        current = self.expected[index - 1] if 0 < index <= len(self.expected) else 0
        finished = phase == "done"
        remaining = sum(self.expected[index:]) if not finished else 0
        return {
            "version": VERSION, "pid": os.getpid(), "phase": phase, "image": image,
            "image_index": index, "images": len(self.expected),
            "bytes": done + offset,
            "total": done + (max(current, offset) if not finished else 0) + remaining,
            "bytes_glance": glance + (offset if source == "glance" else 0),
            "bytes_peers": peers + (offset if source not in (None, "glance") else 0),
            "source": source,
        }

    def _rate(self, received):
        now = self.monotonic()
        samples = self._samples
        samples.append((now, received))
        while len(samples) > 1 and samples[1][0] <= now - _RATE_WINDOW:
            samples.popleft()
        since, count = samples[0]
        if now <= since:
            return 0
        return max(0, int((received - count) / (now - since)))

    def tick(self):
        """One round of the thread: heartbeat, then a write when one is due."""
        now = self.clock()
        self._check_heartbeat(now)
        status = self.snapshot()
        status["rate"] = self._rate(status["bytes"])
        if self._last_write is not None:
            since = now - self._last_write
            if since < self.interval or (status == self._written and since < self.keepalive):
                return False
        self._write(dict(status, started=self.started, updated=now))
        self._written, self._last_write = status, now
        return True

    def _write(self, status):
        temp = "%s.%s.tmp" % (self.run_id, secrets.token_hex(4))
        data = json.dumps(status, sort_keys=True).encode("ascii")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | FILE_FLAGS, 0o600,
                     dir_fd=self.fd)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            # No fsync: a live status that a crash loses is worth nothing anyway.
            os.rename(temp, status_name(self.run_id), src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            unlink_entry(temp, self.fd)
            raise

    def _check_heartbeat(self, now):
        info = os.fstat(self._seen_fd)
        if not self._armed:
            # Armed by the first read that touched it: a run nobody follows is never stopped.
            self._armed = info.st_mtime_ns != self._seen_mtime
            return
        mtime = info.st_mtime
        if self.heartbeat_timeout and now - mtime >= self.heartbeat_timeout and \
                self.cancelled is None:
            self.cancelled = (
                "the controller stopped following this run: no poll for %d s "
                "(progress.heartbeat_timeout); stopped, nothing of this image kept"
                % (now - mtime))

    def _run(self):
        while not self._stop.wait(self.interval / 4):
            try:
                self.tick()
            except OSError:
                # The status is for the operator's eyes only: a planted entry must not stop
                # the cache work.
                pass

    def __enter__(self):
        self.open()
        self._thread = threading.Thread(target=self._run, name="precache-progress", daemon=True)
        self._thread.start()
        return self

    def open(self):
        """Make the heartbeat file and write the first status (the thread writes the others)."""
        seen = seen_name(self.run_id)
        try:
            unlink_entry(seen, self.fd)
            self._seen_fd = os.open(seen, os.O_WRONLY | os.O_CREAT | os.O_EXCL | FILE_FLAGS,
                                    0o600, dir_fd=self.fd)
        except OSError as err:
            self.close()
            raise CacheError("cannot create the heartbeat file %s: %s"
                             % (os.path.join(self.path, seen), describe_error(err))) from None
        self._seen_mtime = os.fstat(self._seen_fd).st_mtime_ns
        try:
            self.tick()
        except OSError:
            pass  # as in _run: the thread tries again

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Stop the thread and remove the run's files."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        if self.fd is None:
            return
        for name in (status_name(self.run_id), seen_name(self.run_id)):
            try:
                unlink_entry(name, self.fd)
            except OSError:
                pass  # a folder planted in its place is left, as anything not ours
        for fd in (self._seen_fd, self.fd):
            if fd is not None:
                os.close(fd)
        self._seen_fd = self.fd = None


def unlink_entry(name, dir_fd):
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
