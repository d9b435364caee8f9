# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The buffers of a download between its reader, hasher and writer threads.

The body is read in fixed-size chunks from a small pool of buffers, so memory stays bounded
whatever the image size and however slow the disk; hashlib and file I/O release the GIL on
large buffers, so verifying Glance's sha512 on the fly costs little throughput.
"""

import queue
import threading

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.http_target import (
    DownloadError)


# Memory for the buffers in flight between reader, hasher and writer, whatever the image size.
_BUFFER_MEMORY = 16 * 1024 * 1024
_MIN_BUFFERS = 3


class Pipeline:
    """Hash and write chunks in threads behind the reader, over a fixed pool of buffers.

    The reader takes a free buffer, fills it and submits it; each hasher, in its own thread,
    passes it to the next, and the last to the writer, which returns it to the pool. The
    pool's size bounds memory: when the disk is slow the reader waits for a buffer instead of
    piling up data. A failed worker records its error and keeps passing buffers on, so the
    reader can never wait forever.
    """

    def __init__(self, fileobj, hashers, chunk_size, depth=None):
        self.fileobj = fileobj
        self.hashers = list(hashers)
        self._empty_hashers = [hasher.copy() for hasher in self.hashers]
        self._depth = depth or max(_MIN_BUFFERS, _BUFFER_MEMORY // chunk_size)
        self._free = queue.Queue()
        for dummy in range(self._depth):
            self._free.put(bytearray(chunk_size))
        # The queue in front of each hasher, then the writer's.
        self._queues = [queue.Queue() for dummy in range(len(self.hashers) + 1)]
        self._error = None
        self._threads = [threading.Thread(target=self._hash_loop, args=(index,),
                                          name="download-hash-%d" % index)
                         for index in range(len(self.hashers))]
        self._threads.append(threading.Thread(target=self._write_loop, name="download-write"))
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    def buffer(self):
        buf = self._free.get()
        if self._error is not None:
            self._free.put(buf)
            self._raise()
        return buf

    def submit(self, buf, count):
        self._queues[0].put((buf, count))

    def release(self, buf):
        self._free.put(buf)

    def drain(self):
        """Wait until every submitted chunk is hashed and written."""
        bufs = [self._free.get() for dummy in range(self._depth)]
        for buf in bufs:
            self._free.put(buf)
        if self._error is not None:
            self._raise()

    def restart(self):
        """Forget everything: empty the file and start the hashes again."""
        self.drain()
        try:
            self.fileobj.seek(0)
            self.fileobj.truncate()
        except OSError as exc:
            # Not a network error: a retry would not help.
            raise DownloadError("emptying the download file to start again failed: %s"
                                % exc) from None
        self.hashers = [empty.copy() for empty in self._empty_hashers]

    def close(self):
        self._queues[0].put(None)
        for thread in self._threads:
            thread.join()

    def _raise(self):
        raise DownloadError("writing the download failed: %s" % self._error)

    def _hash_loop(self, index):
        source, sink = self._queues[index], self._queues[index + 1]
        while True:
            item = source.get()
            if item is not None and self._error is None:
                try:
                    self.hashers[index].update(memoryview(item[0])[:item[1]])
                except Exception as exc:
                    self._error = exc
            sink.put(item)
            if item is None:
                return

    def _write_loop(self):
        while True:
            item = self._queues[-1].get()
            if item is None:
                return
            buf, count = item
            if self._error is None:
                try:
                    _write_all(self.fileobj, memoryview(buf)[:count])
                except Exception as exc:
                    self._error = exc
            self._free.put(buf)


def _write_all(fileobj, data):
    # A raw (unbuffered) file may write less than asked.
    while data:
        written = fileobj.write(data)
        data = data[written:]
