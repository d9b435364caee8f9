# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Test doubles of the download tests: the image body, a file that fills up, a virtual clock.

Shared by test_download, test_download_pipeline and test_download_rate, which import it by full
path; the conftest's `clock` fixture installs the _Clock.
"""
import os

# Not a multiple of the chunk size, so the last read is a short one.
BODY = os.urandom(3 * 1024 * 1024 + 12345)


class _FailingFile:
    """A file whose disk fills up after `room` bytes."""

    def __init__(self, room):
        self.room = room
        self.data = bytearray()

    def write(self, data):
        if len(self.data) + len(data) > self.room:
            raise OSError(28, "No space left on device")
        self.data += data
        return len(data)

    def seek(self, offset, whence=0):
        return len(self.data) if whence == 2 else offset

    def truncate(self):
        del self.data[:]

    def flush(self):
        pass


class _Clock:
    """Virtual time: it moves only when the code under test sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
