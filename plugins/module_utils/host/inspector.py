# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Which format an image file's headers show, read from the format specifications.

Nova refuses an image whose content is not what Glance says, or that holds the headers of
several formats (nova/image/format_inspector.py); the checks of each format's header are
format_checks.py's. Only headers are read (a few MiB at most), never a whole image.
"""

import os
import re
import struct

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)


# Enough for every fixed header below, including the ISO 9660 volume descriptor at 32 KiB.
_HEAD_SIZE = 64 * 1024


class ImageFormatError(PrecacheError):
    """An image Nova would refuse, or qemu-img failing on it; the message says why."""


class Reader:
    """Reads byte ranges of an open image file; ``head`` holds its first 64 KiB."""

    def __init__(self, fileobj):
        self._file = fileobj
        self.size = os.fstat(fileobj.fileno()).st_size
        self.head = self.read(0, _HEAD_SIZE)

    def read(self, offset, length):
        if offset < 0 or offset >= self.size or length <= 0:
            return b''
        self._file.seek(offset)
        return self._file.read(min(length, self.size - offset))


def _looks_like_vmdk_descriptor(head):
    """A text VMDK descriptor file, by the rules of oslo's format inspector and of qemu's probe.

    oslo finds `createType="` in the first 4 KiB. qemu (block/vmdk.c vmdk_probe, over its 2 KiB
    probe buffer) skips `#` comment lines, whatever bytes they hold, and lines of spaces, and
    then wants `version=1`, `2` or `3` alone on the first other line.
    """
    if b'createType="' in head[:4096]:
        return True
    data = head[:2048]
    pos = 0
    while pos < len(data):
        if data[pos:pos + 1] == b'#':
            end = data.find(b'\n', pos)
            if end < 0:
                return False
            pos = end + 1
            continue
        if data[pos:pos + 1] == b' ':
            line = data[pos:].split(b'\n', 1)
            if len(line) < 2 or not re.match(br' +\r?$', line[0]):
                return False
            pos += len(line[0]) + 1
            continue
        return re.match(br'version=[123]\r?\n', data[pos:pos + 11]) is not None
    return False


def _is_mbr(head):
    if len(head) < 512 or head[510:512] != b'\x55\xaa':
        return False
    # A FAT boot sector carries the same signature: two FATs on a fixed disk means FAT.
    return not (head[0x10] == 2 and head[0x15] == 0xF8)


_PROBES = (
    ('qcow2', lambda head: head[:4] == b'QFI\xfb'),
    ('qed', lambda head: head[:4] == b'QED\0'),
    ('vhd', lambda head: head[:8] == b'conectix'),
    ('vhdx', lambda head: head[:8] == b'vhdxfile'),
    ('vdi', lambda head: head[0x40:0x44] == struct.pack('<I', 0xBEDA107F)),
    ('luks', lambda head: head[:6] == b'LUKS\xba\xbe'),
    ('vmdk', lambda head: head[:4] == b'KDMV' or _looks_like_vmdk_descriptor(head)),
    ('iso', lambda head: head[0x8001:0x8006] in (b'CD001', b'NSR02', b'NSR03')),
    # Known to qemu, not to Nova's inspector: found here because qemu-img is never let probe.
    ('parallels', lambda head: head[:16] in (b'WithoutFreeSpace', b'WithouFreSpacExt')),
    ('gpt', _is_mbr),
)


def detect(reader):
    """The one format the headers in `reader` show (`raw` when none); see detect_format."""
    found = [name for name, probe in _PROBES if probe(reader.head)]
    if sorted(found) == ['gpt', 'iso']:
        # A bootable ISO carries a partition table in front: Nova counts it as an ISO.
        return 'iso'
    if len(found) > 1:
        raise ImageFormatError(
            'the image has the headers of several formats (%s): Nova refuses such an image, as a '
            'header hidden in another is a known attack; upload an image in one clear format'
            % ', '.join(found))
    return found[0] if found else 'raw'


def detect_format(path):
    """The one format the headers of the file at ``path`` show ('raw' when none).

    Detects qcow2, qed, vhd, vhdx, vdi, luks, vmdk (sparse or descriptor file), iso and gpt
    (any MBR, as Nova names it). Raises ImageFormatError when several match, except an ISO
    with a partition table, which is an ISO.
    """
    try:
        with open(path, 'rb') as image:
            return detect(Reader(image))
    except OSError as exc:
        raise ImageFormatError('cannot read the image file: %s' % exc) from None


def qcow2_backing_file(path):
    """The backing file name a qcow2 header records (qemu's qcow2.txt), or None.

    Read from the header itself, so that an instance disk never reaches qemu-img at all.
    """
    try:
        with open(path, 'rb') as image:
            head = image.read(32)
            if len(head) < 20 or head[:4] != b'QFI\xfb':
                raise ImageFormatError('not a qcow2 image')
            version, offset, size = struct.unpack_from('>IQI', head, 4)
            if version not in (2, 3):
                raise ImageFormatError('unsupported qcow2 version %d: qemu cannot read it'
                                       % version)
            if not offset or not size:
                return None
            if size > 1023:
                raise ImageFormatError('the qcow2 backing file name is %d bytes long, more than '
                                       'qemu allows (1023)' % size)
            image.seek(offset)
            name = image.read(size)
    except OSError as exc:
        raise ImageFormatError('cannot read the image file: %s' % exc) from None
    if len(name) != size:
        raise ImageFormatError('the qcow2 backing file name is cut short: the disk is damaged')
    return name.decode('utf-8', 'replace')
