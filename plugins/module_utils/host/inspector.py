# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Image format inspection and conversion to raw, refusing what Nova refuses.

An image goes into Nova's cache only after the checks of Nova's own download path
(nova/virt/images.py ``fetch_to_raw``): a header check of our own, written from the format
specifications, that detects the format and applies the rules of Nova's format inspector;
``qemu-img info`` run under Nova's resource limits as a second opinion; then, when Nova
would, ``qemu-img convert`` to raw and the same checks on the result. Only headers are read
(a few MiB at most), never a whole image.
"""

import json
import os
import re
import shutil
import struct
import subprocess
import sys

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)

GIB = 1024 ** 3
# Nova's defaults for [libvirt] images_cpu_time_limit (s) and images_address_space_limit (GiB).
QEMU_IMG_CPU_TIME = 30
QEMU_IMG_ADDRESS_SPACE = 2 * GIB
# Nova's default for [compute] vmdk_allowed_types.
DEFAULT_VMDK_ALLOWED_TYPES = ('streamOptimized', 'monolithicSparse')

# The disk formats Nova can inspect (it refuses any other), and the AMI family, whose content
# Nova checks for safety but does not compare with disk_format.
_INSPECTED_FORMATS = ('raw', 'qcow2', 'vhd', 'vhdx', 'vmdk', 'vdi', 'qed', 'iso', 'gpt', 'luks')
_AMI_FORMATS = ('ami', 'aki', 'ari')
# Formats qemu-img reads as plain raw data.
_RAW_LIKE = ('raw', 'gpt', 'iso')

# Enough for every fixed header below, including the ISO 9660 volume descriptor at 32 KiB.
_HEAD_SIZE = 64 * 1024
_MIB = 1024 * 1024

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

# Where util-linux's prlimit is missing: run by the Python running this module, set the limits,
# then become qemu-img. A fresh process rather than a preexec_fn, which is unsafe while other
# threads run; oslo.concurrency's prlimit works this way too.
_LIMITED_EXEC = """
import os, resource, sys
for res, value in ((resource.RLIMIT_CPU, int(sys.argv[1])), (resource.RLIMIT_AS, int(sys.argv[2]))):
    hard = resource.getrlimit(res)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(res, (value, value))
os.execv(sys.argv[3], sys.argv[3:])
"""


class ImageFormatError(PrecacheError):
    """An image Nova would refuse, or qemu-img failing on it; the message says why."""


class _Reader:
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


def _is_text(data):
    return all(32 <= byte < 127 or byte in b'\t\n\v\f\r' for byte in data)


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


def _detect(reader):
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


def detect_format(path):
    """The one format the headers of the file at ``path`` show ('raw' when none).

    Detects qcow2, qed, vhd, vhdx, vdi, luks, vmdk (sparse or descriptor file), iso and gpt
    (any MBR, as Nova names it). Raises ImageFormatError when several match, except an ISO
    with a partition table, which is an ISO.
    """
    try:
        with open(path, 'rb') as image:
            return _detect(_Reader(image))
    except OSError as exc:
        raise ImageFormatError('cannot read the image file: %s' % exc) from None


def check_header(path, disk_format=None):
    """Detect the format and apply the safety checks of Nova's format inspector.

    ``disk_format`` is Glance's claim: the detected format must equal it, except that raw may
    hold a partition table (detected as gpt) and that the AMI formats are not compared.
    None compares nothing (a file already in the cache). Returns the detected format.
    """
    try:
        with open(path, 'rb') as image:
            reader = _Reader(image)
            detected = _detect(reader)
            if detected in _SAFETY_CHECKS:
                _SAFETY_CHECKS[detected](reader)
    except OSError as exc:
        raise ImageFormatError('cannot read the image file: %s' % exc) from None
    if disk_format is None or disk_format in _AMI_FORMATS:
        return detected
    if detected != disk_format and not (disk_format == 'raw' and detected == 'gpt'):
        raise _mismatch(disk_format, detected, 'the header check')
    return detected


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


def _qemu_format(disk_format, detected):
    """The format qemu-img must report for an image Glance calls ``disk_format``."""
    if disk_format is None:
        return 'raw' if detected in _RAW_LIKE else detected
    if disk_format in ('raw', 'iso') + _AMI_FORMATS:
        return 'raw'
    return disk_format


_C_LOCALE = {'LC_ALL': 'C', 'LANG': 'C'}
_MAP_LINE = re.compile(br'"length": (\d+)')


def _tail(text, limit=500):
    text = text.strip()
    return text if len(text) <= limit else '...' + text[-limit:]


def _passed_fds(paths):
    """The descriptors behind /proc/self/fd/N paths, which qemu-img must inherit."""
    prefix = '/proc/self/fd/'
    return [int(path[len(prefix):]) for path in paths if path.startswith(prefix)]


class QemuImg:
    """qemu-img as Nova runs it: C locale, always told the format, ``info`` under limits.

    ``run_command`` runs the commands: ``AnsibleModule.run_command``, or a function taking
    the same arguments and returning ``(rc, stdout, stderr)``. ``cpu_time`` (seconds) and
    ``address_space`` (bytes) default to Nova's ``[libvirt] images_cpu_time_limit`` and
    ``images_address_space_limit``. Paths may be ``/proc/self/fd/N``: qemu-img then inherits
    descriptor N and reads exactly the file that was checked, whatever its name meanwhile.
    qemu-img is never left to probe a format, which would let the data choose what it opens.
    """

    def __init__(self, run_command, binary='qemu-img', cpu_time=QEMU_IMG_CPU_TIME,
                 address_space=QEMU_IMG_ADDRESS_SPACE):
        self._run_command = run_command
        self.binary = binary
        self.cpu_time = cpu_time
        self.address_space = address_space

    def available(self):
        """Whether the qemu-img binary can be found."""
        return shutil.which(self.binary) is not None

    def require(self):
        """The qemu-img binary's path; fails with what to install when there is none."""
        path = shutil.which(self.binary)
        if path is None:
            raise ImageFormatError(
                '%s not found: it inspects and converts images as Nova does; install qemu-utils '
                '(Debian, Ubuntu) or qemu-img (RHEL, CentOS), which libvirt compute hosts '
                'normally have' % self.binary)
        return path

    def _limited_command(self, *args):
        """qemu-img with ``args`` under Nova's CPU time and address space limits.

        util-linux's prlimit sets them; without it, the Python running this module does (which
        Nova's user may not be allowed to run from, say, a venv in root's home).
        """
        prlimit = shutil.which('prlimit')
        if prlimit:
            return [prlimit, '--cpu=%d' % self.cpu_time, '--as=%d' % self.address_space,
                    self.require()] + list(args)
        return [sys.executable, '-I', '-S', '-c', _LIMITED_EXEC, str(self.cpu_time),
                str(self.address_space), self.require()] + list(args)

    def _limited(self, what, fmt, path):
        """``qemu-img <what> -f fmt --output=json path`` under Nova's limits, parsed."""
        try:
            rc, out, err = self._run_command(
                self._limited_command(what, '-f', fmt, '--output=json', *(
                    ['--force-share', path] if what == 'info' else [path])),
                environ_update=_C_LOCALE, expand_user_and_vars=False,
                errors='surrogate_then_replace', pass_fds=_passed_fds([path]),
                handle_exceptions=False)
        except OSError as exc:
            raise ImageFormatError('cannot run qemu-img %s: %s' % (what, exc)) from None
        limits = '%d s CPU time, %d MiB address space' % (self.cpu_time,
                                                          self.address_space // _MIB)
        if rc < 0:
            raise ImageFormatError(
                'qemu-img %s was killed by signal %d within its limits (%s): the image is '
                'malformed or hostile, or the limits ([libvirt] images_cpu_time_limit, '
                'images_address_space_limit) are too low' % (what, -rc, limits))
        if rc:
            raise ImageFormatError('qemu-img %s failed (exit status %d; limits: %s): %s'
                                   % (what, rc, limits, _tail(err)))
        try:
            data = json.loads(out)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ImageFormatError("qemu-img %s printed no JSON object ('qemu-img %s' "
                                   "parsing failed): %s" % (what, what, _tail(out)))
        return data

    def info(self, path, fmt):
        """``qemu-img info -f fmt --output=json --force-share`` of ``path``, parsed."""
        return self._limited('info', fmt, path)

    def data_size(self, path, fmt):
        """Bytes of data (not zeros, not holes) a raw conversion of ``path`` writes.

        Summed from ``qemu-img map`` line by line as it prints, under Nova's limits, so that
        an image of a million extents costs no memory.
        """
        # run_command can neither stream a command's output nor watch it while it runs.
        process = subprocess.Popen(  # pylint: disable=consider-using-with,ansible-bad-function
            self._limited_command('map', '-f', fmt, '--output=json', path), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(os.environ, **_C_LOCALE), pass_fds=_passed_fds([path]))
        total = 0
        with process:
            for line in process.stdout:
                match = _MAP_LINE.search(line)
                if match and b'"data": true' in line:
                    total += int(match.group(1))
            err = process.stderr.read(4096)
        if process.returncode:
            raise ImageFormatError('qemu-img map failed (exit status %d): %s'
                                   % (process.returncode, _tail(err.decode('utf-8', 'replace'))))
        return total

    def convert(self, src, dst, src_format, cache_mode, watch=None, interval=0.2):
        """``qemu-img convert -t cache_mode -O raw -f src_format src dst``, as Nova runs it.

        ``watch``, called every ``interval`` seconds while it runs, may raise to stop it: the
        conversion is then killed and the exception passes on.
        """
        # run_command can neither stream a command's output nor watch it while it runs.
        process = subprocess.Popen(  # pylint: disable=consider-using-with,ansible-bad-function
            [self.require(), 'convert', '-t', cache_mode, '-O', 'raw', '-f', src_format, src,
             dst], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=dict(os.environ, **_C_LOCALE), pass_fds=_passed_fds([src, dst]))
        try:
            while True:
                try:
                    _out, err = process.communicate(timeout=interval)
                    break
                except subprocess.TimeoutExpired:
                    if watch is not None:
                        watch()
        except BaseException:
            process.kill()
            process.communicate()
            raise
        if process.returncode:
            raise ImageFormatError('Unable to convert image to raw: qemu-img convert failed '
                                   '(exit status %d): %s'
                                   % (process.returncode,
                                      _tail(err.decode('utf-8', 'replace'))))


def _format_specific(info):
    specific = info.get('format-specific')
    data = specific.get('data') if isinstance(specific, dict) else None
    return data if isinstance(data, dict) else {}


def _check_qemu_info(info, path, disk_format, detected, vmdk_allowed_types):
    """Nova's checks of ``qemu-img info`` output."""
    fmt = info.get('format')
    if not fmt:
        raise ImageFormatError("qemu-img info reported no format: 'qemu-img info' parsing failed")
    expected = _qemu_format(disk_format, detected)
    if fmt != expected:
        raise ImageFormatError(
            'qemu-img finds a %s image where %s was expected (%s, the header check finds %s): '
            'Nova refuses it ("Image content does not match disk_format")%s; correct the '
            'disk_format in Glance or upload the right data'
            % (fmt, expected,
               'Glance says disk_format %s' % disk_format if disk_format else 'a cached file',
               detected,
               ', as qemu would read it as %s (CVE-2024-40767)' % fmt if expected == 'raw'
               else ''))
    backing = info.get('backing-filename') or info.get('full-backing-filename')
    if backing:
        raise ImageFormatError(
            'qemu-img finds a backing file (%s): Nova refuses images with a backing file; '
            'upload a flattened image (qemu-img convert -O %s of the whole chain)'
            % (backing, fmt))
    specific = _format_specific(info)
    if specific.get('data-file') is not None:
        raise ImageFormatError(
            'qemu-img finds an external data file (%s): Nova refuses it, as it could read any '
            'file on the host (CVE-2024-32498); upload a self-contained image'
            % specific['data-file'])
    if fmt == 'vmdk':
        _check_vmdk_info(specific, path, vmdk_allowed_types)


def _check_vmdk_info(specific, path, vmdk_allowed_types):
    allowed = ', '.join(vmdk_allowed_types)
    if not vmdk_allowed_types:
        raise ImageFormatError('VMDK images are refused: [compute] vmdk_allowed_types is empty '
                               'on this host (Nova: "Invalid VMDK create-type specified")')
    create_type = specific.get('create-type')
    if create_type is None:
        raise ImageFormatError('qemu-img does not report the VMDK create-type: Nova refuses the '
                               'image ("Unable to determine VMDK create-type")')
    if create_type not in vmdk_allowed_types:
        raise ImageFormatError(
            'VMDK create-type %s is not in [compute] vmdk_allowed_types (%s): Nova refuses it '
            '("Invalid VMDK create-type specified"); convert the image to an allowed subformat'
            % (create_type, allowed))
    for extent in specific.get('extents') or ():
        name = extent.get('filename') if isinstance(extent, dict) else None
        if name != os.path.abspath(path):
            raise ImageFormatError(
                'qemu-img finds a VMDK extent in another file (%s): refused, as it would read '
                'other files on the host (CVE-2022-47951)' % name)


def inspect_image(path, disk_format, qemu_img, vmdk_allowed_types=DEFAULT_VMDK_ALLOWED_TYPES):
    """Check an image as Nova's ``fetch_to_raw`` does before it caches one.

    ``disk_format`` is Glance's; None checks a file already in the cache against itself.
    ``qemu_img`` is a QemuImg, run with the format our header check found (never probing);
    ``vmdk_allowed_types`` the host's ``[compute] vmdk_allowed_types``. Returns ``format``
    (qemu-img's name, what ``convert_to_raw`` takes), ``detected`` (our header check's name),
    ``virtual_size`` and ``actual_size``; raises ImageFormatError with the reason Nova would give.
    """
    if disk_format is not None and disk_format not in _INSPECTED_FORMATS + _AMI_FORMATS:
        raise ImageFormatError(
            'disk_format %s is not one Nova can inspect ("Image not in a supported format"): '
            'Nova refuses to download it; convert the image to qcow2 or raw in Glance'
            % disk_format)
    detected = check_header(path, disk_format)
    if 'vhd' in (disk_format, detected):
        # qemu names VHD "vpc" and Nova compares the names literally.
        raise ImageFormatError(
            'the image is VHD, which qemu-img names vpc: Nova compares the names and refuses '
            'every VHD image ("Image content does not match disk_format"), so it would not '
            'cache this one either; convert the image to qcow2 or raw in Glance')
    # qemu-img reads what our header check found: for the AMI formats, which are not compared
    # with their content, qemu then tells a disk that must be raw and is not.
    info = qemu_img.info(path, _qemu_format(None, detected))
    _check_qemu_info(info, path, disk_format, detected, vmdk_allowed_types)
    return {
        'format': info['format'],
        'detected': detected,
        'virtual_size': info.get('virtual-size'),
        'actual_size': info.get('actual-size'),
    }


def convert_to_raw(src, dst, source, qemu_img, cache_mode, watch=None):
    """Convert ``src`` (``source``: what ``inspect_image`` found) into the raw file ``dst``.

    ``cache_mode`` is Nova's: ``none`` where the cache dir takes O_DIRECT, else ``writeback``;
    both leave the data on disk when qemu-img exits. ``watch`` is QemuImg.convert's. The result
    must be raw to both our header check and qemu-img, pass Nova's safety checks, and have the
    source's virtual size. Returns what ``inspect_image`` returns for ``dst`` plus
    ``cache_mode``. On failure ``dst`` is left for the caller to remove.
    """
    qemu_img.convert(src, dst, source['format'], cache_mode, watch)
    result = inspect_image(dst, None, qemu_img)
    if result['format'] != 'raw':
        raise ImageFormatError(
            'Converted to raw, but format is now %s: the disk inside the image starts with a %s '
            'header, which Nova refuses; the image is crafted or nested, upload the disk itself'
            % (result['format'], result['format']))
    if result['virtual_size'] != source['virtual_size']:
        raise ImageFormatError(
            'the raw conversion has %s bytes of virtual size, the source %s: qemu-img convert '
            'went wrong; the result is refused' % (result['virtual_size'],
                                                   source['virtual_size']))
    result['cache_mode'] = cache_mode
    return result
