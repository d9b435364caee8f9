# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The safety checks of Nova's format inspector, format by format, on an image's headers.

check_header detects the format (inspector.py), applies that format's checks (qcow2 data files
and feature bits, VMDK descriptors and extents, partition tables, ...) and compares it with
Glance's disk_format, as nova/image/format_inspector.py does before qemu-img ever runs.
"""

import struct

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.inspector import (
    ImageFormatError, detect, Reader)

_MIB = 1024 * 1024
AMI_FORMATS = ('ami', 'aki', 'ari')


# qcow2 (docs/interop/qcow2.txt in qemu): incompatible feature bits.
_QCOW2_DIRTY = 1 << 0
_QCOW2_CORRUPT = 1 << 1
_QCOW2_DATA_FILE = 1 << 2
_QCOW2_COMPRESSION = 1 << 3
_QCOW2_EXTENDED_L2 = 1 << 4
# Nova's inspector knows bits 0 to 3 only, so it refuses extended L2 entries too.
_QCOW2_ALLOWED = _QCOW2_DIRTY | _QCOW2_CORRUPT | _QCOW2_COMPRESSION
_QCOW2_EXT_DATA_FILE = 0x44415441
# VMDK (VMware Virtual Disk Format 1.1, hosted sparse extent header).
_VMDK_GD_AT_END = 0xFFFFFFFFFFFFFFFF
_VMDK_MARKER_EOS = 0
_VMDK_MARKER_FOOTER = 3
# qemu reads at most 1 MiB of descriptor.
_VMDK_DESC_MAX = _MIB - 1
_VMDK_SUBFORMATS = ('monolithicsparse', 'streamoptimized')
_VMDK_EXTENT_ACCESS = ('rw', 'rdonly', 'noaccess')


def _check_qcow2(reader):
    head = reader.head
    if len(head) < 72:
        raise ImageFormatError(
            'the qcow2 header is truncated (the file has %d bytes): the image is damaged or '
            'incomplete; upload it again' % reader.size)
    version, backing_offset, backing_size, cluster_bits, _size, crypt = struct.unpack_from(
        '>IQIIQI', head, 4)
    if version not in (2, 3):
        raise ImageFormatError(
            'unsupported qcow2 version %d: Nova accepts versions 2 and 3 only; convert the image '
            'with a current qemu-img (qemu-img convert -O qcow2)' % version)
    if backing_offset or backing_size:
        raise ImageFormatError(
            'the qcow2 image has a backing file: Nova refuses images with a backing file; upload '
            'a flattened image (qemu-img convert -O qcow2 of the whole chain)')
    if not 9 <= cluster_bits <= 21:
        raise ImageFormatError('the qcow2 header is invalid (cluster bits %d): the image is '
                               'damaged; upload it again' % cluster_bits)
    if crypt:
        raise ImageFormatError(
            'the qcow2 image is encrypted: qemu-img cannot read it without its key, so Nova '
            'cannot use it as a base image; upload an unencrypted image')
    cluster_size = 1 << cluster_bits
    extensions = 72
    if version == 3:
        if len(head) < 104:
            raise ImageFormatError(
                'the qcow2 version 3 header is truncated (the file has %d bytes): the image is '
                'damaged or incomplete; upload it again' % reader.size)
        incompatible, = struct.unpack_from('>Q', head, 72)
        header_length, = struct.unpack_from('>I', head, 100)
        if incompatible & _QCOW2_DATA_FILE:
            raise ImageFormatError(
                'the qcow2 image uses an external data file: Nova refuses it, as it could read '
                'any file on the host (CVE-2024-32498); upload a self-contained image '
                '(qemu-img convert -O qcow2)')
        unknown = incompatible & ~_QCOW2_ALLOWED
        if unknown:
            raise ImageFormatError(
                'the qcow2 image sets incompatible feature bits Nova does not know (0x%x%s): '
                'Nova refuses it; convert it without them (qemu-img convert -O qcow2 -o '
                'compat=1.1,extended_l2=off)'
                % (unknown, ', extended L2 entries' if unknown & _QCOW2_EXTENDED_L2 else ''))
        if not 104 <= header_length <= cluster_size:
            raise ImageFormatError('the qcow2 header is invalid (header length %d): the image '
                                   'is damaged; upload it again' % header_length)
        extensions = header_length
    _check_qcow2_tables(reader, cluster_size)
    _check_qcow2_extensions(reader.read(0, cluster_size), extensions)


def _check_qcow2_tables(reader, cluster_size):
    """Refuse a qcow2 file that ends before its tables: qemu would read zeros instead."""
    l1_size, l1_offset, refcount_offset, refcount_clusters, snapshots, snapshots_offset = \
        struct.unpack_from('>IQQIIQ', reader.head, 36)
    ends = [refcount_offset + refcount_clusters * cluster_size]
    if l1_size:
        ends.append(l1_offset + l1_size * 8)
    if snapshots:
        ends.append(snapshots_offset + 1)
    if max(ends) > reader.size:
        raise ImageFormatError(
            'the qcow2 file is truncated: its tables end at byte %d, the file has %d bytes; the '
            'image is damaged or incomplete, upload it again' % (max(ends), reader.size))


def _check_qcow2_extensions(cluster, offset):
    """Refuse a data file named in a header extension, even without its feature bit."""
    # The extensions fill the rest of the first cluster; qemu stops at its end too.
    while offset + 8 <= len(cluster):
        ext_type, ext_length = struct.unpack_from('>II', cluster, offset)
        if ext_type == 0:
            return
        if ext_type == _QCOW2_EXT_DATA_FILE:
            name = cluster[offset + 8:offset + 8 + min(ext_length, 256)]
            raise ImageFormatError(
                'the qcow2 header names an external data file (%r): Nova refuses it, as it '
                'could read any file on the host (CVE-2024-32498); upload a self-contained '
                'image (qemu-img convert -O qcow2)' % name.decode('utf-8', 'replace'))
        offset += 8 + (ext_length + 7) // 8 * 8


def _check_vmdk_descriptor(data):
    """Parse a VMDK descriptor as cautiously as Nova: every line must be understood."""
    try:
        text = data.split(b'\0', 1)[0].decode('ascii')
    except UnicodeDecodeError:
        raise ImageFormatError('the VMDK descriptor is not ASCII text: Nova refuses it; '
                               'the image is damaged or not a VMDK') from None
    create_type = None
    extents = []
    for line in (raw.strip() for raw in text.splitlines()):
        key, equals, value = line.partition('=')
        if not line or line.startswith('#') or line.lower().startswith('ddb'):
            continue
        if equals and not any(char.isspace() for char in key):
            if key.lower() == 'createtype':
                create_type = value.strip('"')
        elif line.split()[0].lower() in _VMDK_EXTENT_ACCESS:
            extents.append(line)
        else:
            raise ImageFormatError(
                'the VMDK descriptor has a line Nova cannot parse (%r): Nova refuses it; '
                'convert the image (qemu-img convert -O vmdk -o subformat=streamOptimized)'
                % line[:80])
    if create_type is None or create_type.lower() not in _VMDK_SUBFORMATS:
        raise ImageFormatError(
            'VMDK subformat %s is refused: Nova accepts only monolithicSparse and '
            'streamOptimized, whose data is inside the file (CVE-2022-47951); convert the image '
            '(qemu-img convert -O vmdk -o subformat=streamOptimized)'
            % (create_type or '(no createType)'))
    for extent in extents:
        if '/' in extent:
            raise ImageFormatError(
                'a VMDK extent names a file by path (%r): Nova refuses it, as it could read any '
                'file on the host (CVE-2022-47951)' % extent[:80])
    if not extents:
        raise ImageFormatError('the VMDK descriptor defines no extents: Nova refuses it; the '
                               'image is damaged')


def _check_vmdk(reader):
    head = reader.head
    if head[:4] != b'KDMV':
        _check_vmdk_descriptor(reader.read(0, _VMDK_DESC_MAX))
        # Even a descriptor of an allowed type names its extents as separate files, which
        # qemu would open next to the image in the cache directory.
        raise ImageFormatError(
            'the image is a VMDK descriptor file whose extents are separate files: refused, as '
            'it would make qemu-img read other files on the host (CVE-2022-47951); upload a '
            'single-file VMDK (qemu-img convert -O vmdk -o subformat=streamOptimized)')
    if len(head) < 512:
        raise ImageFormatError('the VMDK header is truncated (the file has %d bytes): the image '
                               'is damaged or incomplete; upload it again' % reader.size)
    version, desc_offset, desc_size, gd_offset = _vmdk_header(head)
    if version not in (1, 2, 3):
        raise ImageFormatError('unsupported VMDK version %d: Nova refuses it; convert the image '
                               '(qemu-img convert -O vmdk)' % version)
    if desc_offset != 1:
        raise ImageFormatError(
            'the VMDK descriptor is not at sector 1 (it is at sector %d): Nova refuses it; '
            'convert the image (qemu-img convert -O vmdk)' % desc_offset)
    _check_vmdk_descriptor(reader.read(512, min(desc_size * 512, _VMDK_DESC_MAX)))
    if gd_offset == _VMDK_GD_AT_END:
        _check_vmdk_footer(reader, head)


def _vmdk_header(data):
    """(version, descriptor offset, descriptor size, grain directory offset) of a sparse header."""
    version, = struct.unpack_from('<I', data, 4)
    desc_offset, desc_size = struct.unpack_from('<QQ', data, 28)
    gd_offset, = struct.unpack_from('<Q', data, 56)
    return version, desc_offset, desc_size, gd_offset


def _vmdk_marker(data):
    """(value, size, type) of a stream marker, or None when its padding is not all zeros."""
    if data[16:] != bytes(len(data) - 16):
        return None
    return struct.unpack_from('<QII', data)


def _check_vmdk_footer(reader, head):
    """A stream-optimized VMDK with its grain directory at the end: check the trailing footer."""
    tail = reader.read(reader.size - 1536, 1536) if reader.size >= 2048 else b''
    if len(tail) != 1536:
        raise ImageFormatError('the VMDK footer is missing: the image is damaged or incomplete; '
                               'upload it again')
    marker, footer, eos = tail[:512], tail[512:1024], tail[1024:]
    marker_fields = _vmdk_marker(marker)
    if marker_fields is None or marker_fields[1:] != (0, _VMDK_MARKER_FOOTER):
        raise ImageFormatError('the VMDK footer marker is invalid: Nova refuses the image; it '
                               'is damaged or incomplete')
    header_fields = _vmdk_header(head)
    footer_fields = _vmdk_header(footer)
    if (footer[:4] != b'KDMV' or footer_fields[:3] != header_fields[:3]
            or footer_fields[3] == _VMDK_GD_AT_END):
        raise ImageFormatError('the VMDK footer does not match its header: Nova refuses the '
                               'image; it is damaged or crafted')
    if _vmdk_marker(eos) != (0, 0, _VMDK_MARKER_EOS):
        raise ImageFormatError('the VMDK end-of-stream marker is invalid: Nova refuses the '
                               'image; it is damaged or incomplete')


def _check_mbr(reader):
    """Nova's checks of the MBR (or GPT protective MBR) in front of a whole-disk image."""
    head = reader.head
    used = []
    protective = False
    for index in range(4):
        entry = head[446 + 16 * index:462 + 16 * index]
        boot, part_type, start_lba = entry[0], entry[4], struct.unpack_from('<I', entry, 8)[0]
        if boot not in (0x00, 0x80):
            raise ImageFormatError(
                'partition table entry %d has an invalid boot flag (0x%02x): Nova refuses the '
                'image; fix its partition table' % (index + 1, boot))
        if part_type:
            used.append(index)
        if part_type == 0xEE:
            protective = True
            if entry[1:4] != b'\x00\x02\x00' or start_lba != 1:
                raise ImageFormatError(
                    'the GPT protective MBR does not start at sector 1: Nova refuses the image; '
                    'fix its partition table')
    if protective and used != [0]:
        raise ImageFormatError('the GPT protective MBR defines other partitions: Nova refuses '
                               'the image; fix its partition table')
    if not used:
        raise ImageFormatError('the MBR defines no partitions: Nova refuses the image; fix its '
                               'partition table')


def _check_qed(_reader):
    raise ImageFormatError('QED images are refused: Nova bans the QED format; convert the image '
                           'to qcow2 (qemu-img convert -O qcow2)')


def _check_vhdx(reader):
    if reader.read(192 * 1024, 4) != b'regi':
        raise ImageFormatError('the VHDX region table is missing: the image is damaged or '
                               'incomplete; upload it again')


def _check_luks(reader):
    version, = struct.unpack_from('>H', reader.head.ljust(8, b'\0'), 6)
    if version != 1:
        raise ImageFormatError('LUKS version %d is refused: Nova accepts LUKS version 1 only'
                               % version)


_SAFETY_CHECKS = {
    'qcow2': _check_qcow2,
    'vmdk': _check_vmdk,
    'gpt': _check_mbr,
    'qed': _check_qed,
    'vhdx': _check_vhdx,
    'luks': _check_luks,
}


def _mismatch(claimed, found, by):
    """The error for content ``found`` by ``by`` that is not the format ``claimed``."""
    article = 'an' if found[0] in 'aeiou' else 'a'
    advisory = ''
    if claimed == 'raw':
        advisory = ', as qemu would read it as %s (CVE-2024-40767)' % found
    return ImageFormatError(
        'Glance says disk_format %s, but %s finds %s %s image: Nova refuses it ("Image content '
        'does not match disk_format")%s; correct the disk_format in Glance or upload the right '
        'data' % (claimed, by, article, found, advisory))


def check_header(path, disk_format=None):
    """Detect the format and apply the safety checks of Nova's format inspector.

    ``disk_format`` is Glance's claim: the detected format must equal it, except that raw may
    hold a partition table (detected as gpt) and that the AMI formats are not compared.
    None compares nothing (a file already in the cache). Returns the detected format.
    """
    try:
        with open(path, 'rb') as image:
            reader = Reader(image)
            detected = detect(reader)
            if detected in _SAFETY_CHECKS:
                _SAFETY_CHECKS[detected](reader)
    except OSError as exc:
        raise ImageFormatError('cannot read the image file: %s' % exc) from None
    if disk_format is None or disk_format in AMI_FORMATS:
        return detected
    if detected != disk_format and not (disk_format == 'raw' and detected == 'gpt'):
        raise _mismatch(disk_format, detected, 'the header check')
    return detected
