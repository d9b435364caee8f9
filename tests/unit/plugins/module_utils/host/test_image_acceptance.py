# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Whether Nova would accept an image, and its conversion to raw, against a real qemu-img corpus.

Every image is built in the test's tmp_path, with qemu-img or by editing the header bytes the
format specifications describe (see image_corpus), and qemu-img runs through
AnsibleModule.run_command as in the module; a stand-in qemu-img is used only to see how it is
called. Each refusal asserts the reason, since the message goes to operators verbatim; the
reasons of the header check (format_checks) are tested here, through inspect_image.
"""
import json
import os
import shutil
import struct
import subprocess
import sys

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.image_acceptance import (
    DEFAULT_VMDK_ALLOWED_TYPES,
    _check_qemu_info,
    convert_to_raw,
    inspect_image,
)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.inspector import (
    ImageFormatError,
)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.qemu_img import QemuImg

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.image_corpus import (
    SIZE, convert, iso_volume, luks, mbr, partition, qemu_img, refused)


def patch(path, offset, data):
    with open(str(path), 'r+b') as image:
        image.seek(offset)
        image.write(data)


def read(path, offset, length):
    with open(str(path), 'rb') as image:
        image.seek(offset)
        return image.read(length)


@pytest.fixture
def sparse_vmdk(tmp_path, raw):
    return convert(tmp_path, raw, 'vmdk', 'disk.vmdk')


PROTECTIVE = partition(boot=0, chs=b'\x00\x02\x00', part_type=0xEE, start=1, sectors=0xFFFFFFFF)


def vmdk_descriptor_region(path):
    offset, size = struct.unpack_from('<QQ', read(path, 28, 16))
    return offset * 512, size * 512


def edit_vmdk_descriptor(path, edit):
    """Rewrite the descriptor embedded in a sparse VMDK, keeping its size."""
    offset, size = vmdk_descriptor_region(path)
    text = read(path, offset, size).split(b'\0', 1)[0].decode('ascii')
    new = edit(text).encode('ascii')
    assert len(new) <= size
    patch(path, offset, new.ljust(size, b'\0'))


def add_vmdk_footer(path):
    """Turn a streamOptimized VMDK into one whose grain directory is found from its footer."""
    header = read(path, 0, 512)
    patch(path, 56, struct.pack('<Q', 0xFFFFFFFFFFFFFFFF))
    footer_marker = struct.pack('<QII', 1, 0, 3).ljust(512, b'\0')
    with open(str(path), 'ab') as image:
        image.write(footer_marker + header + bytes(512))


def same_data(left, right):
    return subprocess.run(['qemu-img', 'compare', '-q', '-f', 'raw', '-F', 'raw', str(left),
                           str(right)], check=False).returncode == 0


# Images Nova accepts.

def test_good_qcow2(qcow2, qemu):
    result = inspect_image(str(qcow2), 'qcow2', qemu)
    assert result['format'] == 'qcow2'
    assert result['detected'] == 'qcow2'
    assert result['virtual_size'] == SIZE
    assert result['actual_size'] == os.stat(str(qcow2)).st_blocks * 512


@pytest.mark.parametrize('options', ['compat=0.10', 'compression_type=zstd', 'lazy_refcounts=on'])
def test_good_qcow2_variants(tmp_path, raw, options, qemu):
    path = convert(tmp_path, raw, 'qcow2', 'variant.qcow2', '-o', options)
    assert inspect_image(str(path), 'qcow2', qemu)['virtual_size'] == SIZE


@pytest.mark.parametrize('bits', [0x01, 0x02, 0x03])
def test_qcow2_dirty_and_corrupt_bits_are_allowed(qcow2, qemu, bits):
    # Nova's inspector knows these bits, and qemu-img reads such images read-only.
    patch(qcow2, 79, bytes([bits]))
    assert inspect_image(str(qcow2), 'qcow2', qemu)['format'] == 'qcow2'


def test_good_raw(raw, qemu):
    result = inspect_image(str(raw), 'raw', qemu)
    assert (result['format'], result['detected'], result['virtual_size']) == ('raw', 'raw', SIZE)


@pytest.mark.parametrize('first_sector', [mbr(partition()), mbr(PROTECTIVE)])
def test_raw_with_partition_table_is_raw(raw, first_sector, qemu):
    patch(raw, 0, first_sector)
    result = inspect_image(str(raw), 'raw', qemu)
    assert (result['format'], result['detected']) == ('raw', 'gpt')


@pytest.mark.parametrize('subformat', ['monolithicSparse', 'streamOptimized'])
def test_good_vmdk(tmp_path, raw, subformat, qemu):
    path = convert(tmp_path, raw, 'vmdk', 'good.vmdk', '-o', 'subformat=' + subformat)
    result = inspect_image(str(path), 'vmdk', qemu)
    assert (result['format'], result['virtual_size']) == ('vmdk', SIZE)


def test_good_stream_optimized_vmdk_with_footer(tmp_path, raw, qemu):
    path = convert(tmp_path, raw, 'vmdk', 'stream.vmdk', '-o', 'subformat=streamOptimized')
    add_vmdk_footer(path)
    assert inspect_image(str(path), 'vmdk', qemu)['virtual_size'] == SIZE


@pytest.mark.parametrize('fmt', ['vdi', 'vhdx'])
def test_good_vdi_and_vhdx(tmp_path, raw, fmt, qemu):
    path = convert(tmp_path, raw, fmt, 'disk.' + fmt)
    assert inspect_image(str(path), fmt, qemu)['format'] == fmt


def test_iso_is_read_as_raw(tmp_path, qemu):
    iso = tmp_path / 'cd.iso'
    iso.write_bytes(bytes(iso_volume()))
    result = inspect_image(str(iso), 'iso', qemu)
    assert (result['format'], result['detected']) == ('raw', 'iso')


def test_ami_formats_are_not_compared_but_must_be_raw(raw, qcow2, qemu):
    assert inspect_image(str(raw), 'ami', qemu)['format'] == 'raw'
    assert 'qemu-img finds a qcow2 image where raw was expected' in refused(qemu, qcow2, 'aki')


def test_cached_file_checked_against_itself(raw, qcow2, qemu):
    assert inspect_image(str(raw), None, qemu)['format'] == 'raw'
    assert inspect_image(str(qcow2), None, qemu)['format'] == 'qcow2'
    patch(raw, 0, mbr())
    assert 'no partitions' in refused(qemu, raw, None)


# qcow2 refusals.

def test_qcow2_backing_file(tmp_path, qcow2, qemu):
    overlay = tmp_path / 'overlay.qcow2'
    qemu_img('create', '-f', 'qcow2', '-b', str(qcow2), '-F', 'qcow2', str(overlay))
    assert 'has a backing file' in refused(qemu, overlay, 'qcow2')
    # The same image claimed raw: still refused, before qemu-img ever opens it.
    assert 'has a backing file' in refused(qemu, overlay, 'raw')


def test_qcow2_data_file(tmp_path, qemu):
    path = tmp_path / 'external.qcow2'
    qemu_img('create', '-f', 'qcow2', '-o', 'data_file=' + str(tmp_path / 'data.raw'),
             str(path), '1M')
    message = refused(qemu, path, 'qcow2')
    assert 'external data file' in message and 'CVE-2024-32498' in message


def test_qcow2_data_file_name_without_feature_bit(tmp_path, qemu):
    path = tmp_path / 'external.qcow2'
    data = tmp_path / 'data.raw'
    qemu_img('create', '-f', 'qcow2', '-o', 'data_file=' + str(data), str(path), '1M')
    patch(path, 79, b'\x00')
    assert "names an external data file (%r)" % str(data) in refused(qemu, path, 'qcow2')


@pytest.mark.parametrize('offset, byte', [(79, 0x20), (72, 0x80), (75, 0x01)])
def test_qcow2_unknown_incompatible_feature(qcow2, offset, byte, qemu):
    patch(qcow2, offset, bytes([byte]))
    assert 'incompatible feature bits Nova does not know' in refused(qemu, qcow2, 'qcow2')


def test_qcow2_extended_l2_is_refused_as_nova_does(tmp_path, raw, qemu):
    path = convert(tmp_path, raw, 'qcow2', 'l2.qcow2', '-o', 'extended_l2=on')
    assert 'extended L2 entries' in refused(qemu, path, 'qcow2')


@pytest.mark.parametrize('version', [1, 4, 0xFFFFFFFF])
def test_qcow2_unknown_version(qcow2, version, qemu):
    patch(qcow2, 4, struct.pack('>I', version))
    assert 'unsupported qcow2 version %d' % version in refused(qemu, qcow2, 'qcow2')


def test_qcow_version_1_made_by_qemu(tmp_path, qemu):
    path = tmp_path / 'old.qcow'
    qemu_img('create', '-f', 'qcow', str(path), '1M')
    assert 'unsupported qcow2 version 1' in refused(qemu, path, 'qcow2')


@pytest.mark.parametrize('length', [40, 100])
def test_qcow2_truncated_header(tmp_path, qcow2, length, qemu):
    path = tmp_path / 'short.qcow2'
    path.write_bytes(read(qcow2, 0, length))
    assert 'header is truncated' in refused(qemu, path, 'qcow2')


def test_qcow2_truncated_after_header(tmp_path, qcow2, qemu):
    # qemu-img reads past the end as zeros: it would take this file for an empty disk.
    path = tmp_path / 'short.qcow2'
    path.write_bytes(read(qcow2, 0, 4096))
    assert qemu.info(str(path), 'qcow2')['format'] == 'qcow2'
    assert 'the qcow2 file is truncated: its tables end at byte' in refused(qemu, path, 'qcow2')


@pytest.mark.parametrize('method', [1, 2])
def test_qcow2_encrypted(qcow2, method, qemu):
    # Set by hand (1: AES, 2: LUKS): qemu-img's key derivation benchmark is unreliable here.
    patch(qcow2, 32, struct.pack('>I', method))
    assert 'is encrypted' in refused(qemu, qcow2, 'qcow2')


def test_qcow2_invalid_cluster_size(qcow2, qemu):
    patch(qcow2, 20, struct.pack('>I', 30))
    assert 'cluster bits 30' in refused(qemu, qcow2, 'qcow2')


# Format mismatches.

def test_raw_that_is_really_qcow2(qcow2, qemu):
    message = refused(qemu, qcow2, 'raw')
    assert 'Glance says disk_format raw, but the header check finds a qcow2 image' in message
    assert 'CVE-2024-40767' in message


def test_raw_that_is_really_vmdk(sparse_vmdk, qemu):
    assert 'finds a vmdk image' in refused(qemu, sparse_vmdk, 'raw')


def test_qcow2_claimed_but_raw_data(raw, qemu):
    message = refused(qemu, raw, 'qcow2')
    assert 'disk_format qcow2, but the header check finds a raw image' in message


def test_iso_claimed_raw(tmp_path, qemu):
    iso = tmp_path / 'cd.iso'
    iso.write_bytes(bytes(iso_volume()))
    assert 'finds an iso image' in refused(qemu, iso, 'raw')


def test_vhd_is_refused_as_nova_does(tmp_path, raw, qemu):
    path = convert(tmp_path, raw, 'vpc', 'disk.vhd')
    assert 'which qemu-img names vpc: Nova compares the names' in refused(qemu, path, 'vhd')
    assert 'finds a vhd image' in refused(qemu, path, 'raw')


def test_luks_claimed_raw_and_luks_version(tmp_path, qemu):
    assert 'finds a luks image' in refused(qemu, luks(tmp_path / 'disk.luks'), 'raw')
    assert 'LUKS version 2 is refused' in refused(qemu, luks(tmp_path / 'disk.luks', 2), 'luks')


def test_unsupported_disk_format(raw, qemu):
    assert 'disk_format ploop is not one Nova can inspect' in refused(qemu, raw, 'ploop')


def test_qed_is_banned(tmp_path, qemu):
    path = tmp_path / 'disk.qed'
    qemu_img('create', '-f', 'qed', str(path), '1M')
    assert 'QED images are refused' in refused(qemu, path, 'qed')


def test_vhdx_without_region_table(tmp_path, raw, qemu):
    path = convert(tmp_path, raw, 'vhdx', 'disk.vhdx')
    patch(path, 192 * 1024, b'\0\0\0\0')
    assert 'region table is missing' in refused(qemu, path, 'vhdx')


# Partition table refusals (Nova checks the MBR of whole-disk raw images).

@pytest.mark.parametrize('first_sector, reason', [
    (mbr(partition(boot=0x12)), 'invalid boot flag (0x12)'),
    (mbr(), 'no partitions'),
    (mbr(PROTECTIVE, partition()), 'defines other partitions'),
    (mbr(partition(boot=0, chs=b'\x00\x02\x00', part_type=0xEE, start=2)),
     'does not start at sector 1'),
])
def test_bad_partition_tables(raw, first_sector, reason, qemu):
    patch(raw, 0, first_sector)
    assert reason in refused(qemu, raw, 'raw')


# VMDK refusals.

@pytest.mark.parametrize('subformat', ['monolithicFlat', 'twoGbMaxExtentFlat',
                                       'twoGbMaxExtentSparse'])
def test_vmdk_split_or_flat_subformats(tmp_path, subformat, qemu):
    path = tmp_path / 'flat.vmdk'
    qemu_img('create', '-f', 'vmdk', '-o', 'subformat=' + subformat, str(path), '1M')
    # Claimed raw, it is refused all the same: the safety checks of the detected format come
    # first, as in Nova.
    for disk_format in ('vmdk', 'raw'):
        assert 'VMDK subformat %s is refused' % subformat in refused(qemu, path, disk_format)


@pytest.mark.parametrize('create_type, extent, reason', [
    ('monolithicFlat', '"/etc/passwd"', 'VMDK subformat monolithicFlat is refused'),
    ('monolithicSparse', '"/etc/passwd"', 'names a file by path'),
    ('streamOptimized', '"other.vmdk"', 'extents are separate files'),
])
def test_hand_written_vmdk_descriptor(tmp_path, create_type, extent, reason, qemu):
    path = tmp_path / 'evil.vmdk'
    path.write_text('# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\n'
                    'createType="%s"\n\n# Extent description\nRW 2048 FLAT %s 0\n\n'
                    'ddb.adapterType = "ide"\n' % (create_type, extent))
    assert reason in refused(qemu, path, 'vmdk')
    assert reason in refused(qemu, path, 'raw')


@pytest.mark.parametrize('edit, reason', [
    (lambda text: text.replace('"disk.vmdk"', '"/etc/passwd"'), "names a file by path"),
    (lambda text: text.replace('RW ', 'WRITE '), 'a line Nova cannot parse'),
    (lambda text: '\n'.join(line for line in text.splitlines() if not line.startswith('RW ')),
     'defines no extents'),
    (lambda text: text.replace('monolithicSparse', 'vmfsSparse'), 'subformat vmfsSparse'),
    (lambda text: text.replace('createType="monolithicSparse"', ''), '(no createType)'),
])
def test_vmdk_embedded_descriptor(sparse_vmdk, edit, reason, qemu):
    edit_vmdk_descriptor(sparse_vmdk, edit)
    assert reason in refused(qemu, sparse_vmdk, 'vmdk')


def test_vmdk_descriptor_elsewhere_and_unknown_version(sparse_vmdk, qemu):
    patch(sparse_vmdk, 28, struct.pack('<Q', 2))
    assert 'not at sector 1' in refused(qemu, sparse_vmdk, 'vmdk')
    patch(sparse_vmdk, 28, struct.pack('<Q', 1))
    patch(sparse_vmdk, 4, struct.pack('<I', 7))
    assert 'unsupported VMDK version 7' in refused(qemu, sparse_vmdk, 'vmdk')


@pytest.mark.parametrize('offset_from_end, data, reason', [
    (1536 - 8, struct.pack('<I', 1), 'footer marker is invalid'),
    (512, b'\x01', 'end-of-stream marker is invalid'),
    (1024 - 28, struct.pack('<Q', 5), 'footer does not match its header'),
    (1024 - 56, struct.pack('<Q', 0xFFFFFFFFFFFFFFFF), 'footer does not match its header'),
])
def test_vmdk_bad_footer(tmp_path, raw, offset_from_end, data, reason, qemu):
    path = convert(tmp_path, raw, 'vmdk', 'stream.vmdk', '-o', 'subformat=streamOptimized')
    add_vmdk_footer(path)
    patch(path, os.path.getsize(str(path)) - offset_from_end, data)
    assert reason in refused(qemu, path, 'vmdk')


def test_vmdk_allowed_types(sparse_vmdk, qemu):
    message = refused(qemu, sparse_vmdk, 'vmdk', vmdk_allowed_types=['streamOptimized'])
    assert 'create-type monolithicSparse is not in [compute] vmdk_allowed_types' in message
    message = refused(qemu, sparse_vmdk, 'vmdk', vmdk_allowed_types=[])
    assert 'vmdk_allowed_types is empty' in message


# qemu-img's opinion, checked on its real output.

def test_qemu_info_backing_file_and_data_file(tmp_path, qcow2, qemu):
    overlay = tmp_path / 'overlay.qcow2'
    qemu_img('create', '-f', 'qcow2', '-b', str(qcow2), '-F', 'qcow2', str(overlay))
    external = tmp_path / 'external.qcow2'
    qemu_img('create', '-f', 'qcow2', '-o', 'data_file=' + str(tmp_path / 'data.raw'),
             str(external), '1M')
    for path, reason in ((overlay, 'qemu-img finds a backing file'),
                         (external, 'qemu-img finds an external data file')):
        info = qemu.info(str(path), 'qcow2')
        with pytest.raises(ImageFormatError, match=reason):
            _check_qemu_info(info, str(path), 'qcow2', 'qcow2', DEFAULT_VMDK_ALLOWED_TYPES)


def test_qemu_info_vmdk_extent_in_another_file(tmp_path, sparse_vmdk, qemu):
    other = tmp_path / 'other.vmdk'
    shutil.copy(str(sparse_vmdk), str(other))
    info = qemu.info(str(other), 'vmdk')
    with pytest.raises(ImageFormatError, match='VMDK extent in another file'):
        _check_qemu_info(info, str(sparse_vmdk), 'vmdk', 'vmdk', DEFAULT_VMDK_ALLOWED_TYPES)


# Conversion to raw.

@pytest.mark.parametrize('fmt, options', [
    ('qcow2', ()), ('vmdk', ('-o', 'subformat=streamOptimized')), ('vdi', ()), ('vhdx', ()),
])
def test_conversion_keeps_the_data(tmp_path, raw, fmt, options, qemu):
    source = convert(tmp_path, raw, fmt, 'source.' + fmt, *options)
    target = tmp_path / 'target.raw'
    inspected = inspect_image(str(source), fmt, qemu)
    result = convert_to_raw(str(source), str(target), inspected, qemu, 'writeback')
    assert (result['format'], result['detected'], result['virtual_size']) == ('raw', 'raw', SIZE)
    assert result['cache_mode'] in ('none', 'writeback')
    assert same_data(raw, target)
    assert subprocess.run(['qemu-img', 'compare', '-q', '-f', fmt, '-F', 'raw', str(source),
                           str(target)], check=False).returncode == 0


def test_conversion_result_must_be_raw(tmp_path, qcow2, qemu):
    # A qcow2 whose disk is itself a qcow2 file: once converted, qemu would read a qcow2.
    nested = convert(tmp_path, qcow2, 'qcow2', 'nested.qcow2')
    inspected = inspect_image(str(nested), 'qcow2', qemu)
    assert inspected['format'] == 'qcow2'
    with pytest.raises(ImageFormatError, match='Converted to raw, but format is now qcow2'):
        convert_to_raw(str(nested), str(tmp_path / 'target.raw'), inspected, qemu, 'writeback')


def test_conversion_result_must_pass_nova_checks(tmp_path, raw, qemu):
    patch(raw, 0, mbr(partition(boot=0x12)))
    source = convert(tmp_path, raw, 'qcow2', 'source.qcow2')
    with pytest.raises(ImageFormatError, match='invalid boot flag'):
        convert_to_raw(str(source), str(tmp_path / 'target.raw'),
                       inspect_image(str(source), 'qcow2', qemu), qemu, 'writeback')


def test_conversion_command_line(tmp_path, raw, run_command):
    # A qemu-img that records how it is called, always with the format given.
    record = tmp_path / 'args.json'
    binary = tmp_path / 'recording-qemu-img'
    binary.write_text(
        '#!%s\nimport json, shutil, sys\nif sys.argv[1] == "info":\n'
        '    print(json.dumps({"format": "raw", "virtual-size": %d}))\nelse:\n'
        '    open(%r, "w").write(json.dumps(sys.argv[1:]))\n'
        '    shutil.copy(sys.argv[-2], sys.argv[-1])\n' % (sys.executable, SIZE, str(record)))
    binary.chmod(0o755)
    target = tmp_path / 'target.raw'
    result = convert_to_raw(str(raw), str(target), {'format': 'qcow2', 'virtual_size': SIZE},
                            QemuImg(run_command, str(binary)), 'none')
    assert result['cache_mode'] == 'none'
    assert json.loads(record.read_text()) == ['convert', '-t', 'none', '-O', 'raw', '-f', 'qcow2',
                                              str(raw), str(target)]


def test_conversion_failure(tmp_path, qcow2, qemu):
    with pytest.raises(ImageFormatError, match='Unable to convert image to raw'):
        convert_to_raw(str(qcow2), str(tmp_path / 'target.raw'),
                       {'format': 'vmdk', 'virtual_size': SIZE}, qemu, 'writeback')
