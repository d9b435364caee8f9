# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Which format an image's headers show, against a corpus made with the real qemu-img.

Every image is built in the test's tmp_path, with qemu-img or by editing the header bytes the
format specifications describe (see image_corpus); qemu-img runs through
AnsibleModule.run_command as in the module.
"""
import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.image_acceptance import (
    inspect_image,
)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.inspector import (
    ImageFormatError,
    detect_format,
    qcow2_backing_file,
)

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.image_corpus import (
    SIZE, iso_volume, luks, mbr, partition, qemu_img, refused)


# Detection.

@pytest.mark.parametrize('qemu_format, detected', [
    ('qcow2', 'qcow2'), ('qed', 'qed'), ('vpc', 'vhd'), ('vhdx', 'vhdx'), ('vdi', 'vdi'),
    ('vmdk', 'vmdk'), ('raw', 'raw'),
])
def test_detects_what_qemu_img_creates(tmp_path, qemu_format, detected):
    path = tmp_path / ('image.' + qemu_format)
    qemu_img('create', '-f', qemu_format, str(path), '1M')
    assert detect_format(str(path)) == detected


def test_detects_luks(tmp_path):
    assert detect_format(str(luks(tmp_path / 'image.luks'))) == 'luks'


def test_detects_partition_tables_iso_and_vmdk_descriptors(tmp_path):
    disk = tmp_path / 'disk.img'
    disk.write_bytes(mbr(partition()) + bytes(SIZE - 512))
    iso = tmp_path / 'cd.iso'
    iso.write_bytes(bytes(iso_volume()))
    descriptor = tmp_path / 'desc.vmdk'
    descriptor.write_text('# Disk DescriptorFile\nversion=1\ncreateType="monolithicFlat"\n')
    assert detect_format(str(disk)) == 'gpt'
    assert detect_format(str(iso)) == 'iso'
    assert detect_format(str(descriptor)) == 'vmdk'


def test_bootable_iso_with_partition_table_is_iso(tmp_path, qemu):
    data = iso_volume()
    data[:512] = mbr(partition())
    iso = tmp_path / 'hybrid.iso'
    iso.write_bytes(bytes(data))
    assert detect_format(str(iso)) == 'iso'
    assert inspect_image(str(iso), 'iso', qemu)['format'] == 'raw'


def test_fat_boot_sector_is_not_a_partition_table(tmp_path):
    sector = bytearray(mbr())
    sector[0x10] = 2
    sector[0x15] = 0xF8
    path = tmp_path / 'fat.img'
    path.write_bytes(bytes(sector) + bytes(SIZE - 512))
    assert detect_format(str(path)) == 'raw'


def test_several_formats_are_refused(qemu, tmp_path, qcow2):
    data = bytearray(qcow2.read_bytes())
    data[0x8000:0x8007] = b'\x01CD001\x01'
    path = tmp_path / 'both.qcow2'
    path.write_bytes(bytes(data))
    with pytest.raises(ImageFormatError, match='several formats'):
        detect_format(str(path))
    assert 'several formats (qcow2, iso)' in refused(qemu, path, 'qcow2')


def test_format_only_qemu_knows(tmp_path, qemu):
    path = tmp_path / 'disk.parallels'
    qemu_img('create', '-f', 'parallels', str(path), '1M')
    assert detect_format(str(path)) == 'parallels'
    assert 'the header check finds a parallels image' in refused(qemu, path, 'raw')


# qcow2 backing files, read from the header.

def test_qcow2_backing_file_is_read_from_the_header(tmp_path, qcow2):
    overlay = tmp_path / 'overlay.qcow2'
    qemu_img('create', '-f', 'qcow2', '-b', str(qcow2), '-F', 'qcow2', str(overlay))
    assert qcow2_backing_file(str(overlay)) == str(qcow2)
    assert qcow2_backing_file(str(qcow2)) is None
    with pytest.raises(ImageFormatError, match='not a qcow2 image'):
        qcow2_backing_file(__file__)


# VMDK descriptors as qemu's probe and oslo's inspector find them; a FIFO as the extent would
# block a probing qemu-img for ever.
@pytest.mark.parametrize('head', [
    b'#' + bytes(range(1, 10)) + b'\xff\xfe binary comment\nversion=1\n'
    b'createType="monolithicFlat"\nRW 1 FLAT "/run/fifo" 0\n',
    b'# Disk DescriptorFile\n   \nversion=2\r\n',
    bytes(1024) + b'createType="vmfs"\n',
])
def test_vmdk_descriptors_are_found_as_qemu_and_oslo_find_them(tmp_path, head, qemu):
    path = tmp_path / 'image.raw'
    path.write_bytes(head + bytes(SIZE))
    assert detect_format(str(path)) == 'vmdk'
    assert 'VMDK' in refused(qemu, path, 'raw')


@pytest.mark.parametrize('head', [
    b'some notes\nversion=1\n',
    b'\nversion=1\n',
    bytes(5000) + b'createType="vmfs"\n',
    b'# comment\nversion=4\n',
])
def test_text_that_neither_qemu_nor_oslo_calls_vmdk_is_raw(tmp_path, head, qemu):
    path = tmp_path / 'image.raw'
    path.write_bytes(head + bytes(SIZE))
    assert detect_format(str(path)) == 'raw'
    assert inspect_image(str(path), 'raw', qemu)['format'] == 'raw'
