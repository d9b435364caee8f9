# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The buffers between a download's reader, hasher and writer: a bounded pool."""
import hashlib
import threading

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import (
    download_pipeline as buffers)

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.download_doubles import (
    BODY, _FailingFile)


class _BlockedFile(_FailingFile):
    def __init__(self):
        super().__init__(len(BODY))
        self.release = threading.Event()

    def write(self, data):
        self.release.wait(10)
        return super().write(data)


def test_a_slow_disk_stops_the_reader_at_the_pool_size():
    target = _BlockedFile()
    pipeline = buffers.Pipeline(target, [hashlib.sha512()], 65536, depth=3)
    try:
        for dummy in range(3):
            pipeline.submit(pipeline.buffer(), 65536)
        waiter = threading.Thread(target=pipeline.buffer, daemon=True)
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive()  # all three buffers wait for the disk: no fourth one
        target.release.set()
        waiter.join(10)
        assert not waiter.is_alive()
    finally:
        target.release.set()
        pipeline.close()


def test_buffer_pool_size():
    pool = buffers.Pipeline(_FailingFile(0), [], 1024 * 1024)
    try:
        assert pool._free.qsize() * 1024 * 1024 == buffers._BUFFER_MEMORY
    finally:
        pool.close()
    pool = buffers.Pipeline(_FailingFile(0), [], buffers._BUFFER_MEMORY)
    try:
        assert pool._free.qsize() == 3  # even big chunks get a pipeline
    finally:
        pool.close()
