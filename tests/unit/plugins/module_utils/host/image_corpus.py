# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Images for the inspection tests, made with the real qemu-img or by writing header bytes.

Shared by test_inspector, test_format_checks, test_qemu_img and test_image_acceptance, which
import it by full path; the conftest's `raw` and `qcow2` fixtures are made with it.
"""
import os
import struct
import subprocess

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.image_acceptance import (
    inspect_image)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.inspector import (
    ImageFormatError)

MIB = 1024 * 1024
SIZE = 2 * MIB


def qemu_img(*args):
    subprocess.run(('qemu-img',) + args, check=True, stdout=subprocess.DEVNULL)


def write_raw(path, size=SIZE):
    """Random data behind a zeroed first 64 KiB, so that no header is matched by chance."""
    with open(str(path), 'wb') as image:
        image.write(bytes(64 * 1024) + os.urandom(size - 64 * 1024))
    return path


def refused(qemu, path, disk_format, **kwargs):
    with pytest.raises(ImageFormatError) as error:
        inspect_image(str(path), disk_format, qemu, **kwargs)
    return str(error.value)


def convert(tmp_path, source, fmt, name, *options):
    target = tmp_path / name
    qemu_img('convert', '-f', 'raw', '-O', fmt, *(options + (str(source), str(target))))
    return target


def mbr(*entries):
    """A first sector with the given 16-byte partition entries and the 0x55AA signature."""
    sector = bytearray(512)
    for index, entry in enumerate(entries):
        sector[446 + 16 * index:462 + 16 * index] = entry
    sector[510:512] = b'\x55\xaa'
    return bytes(sector)


def partition(boot=0x80, chs=b'\x01\x01\x00', part_type=0x83, start=2048, sectors=2048):
    return struct.pack('<B3sB3sII', boot, chs, part_type, b'\xfe\xff\xff', start, sectors)


def iso_volume(blocks=32):
    """An ISO 9660 image: system area, primary volume descriptor, set terminator."""
    data = bytearray(blocks * 2048)
    data[0x8000:0x8007] = b'\x01CD001\x01'
    # Both-endian fields: little-endian then big-endian.
    data[0x8000 + 80:0x8000 + 88] = struct.pack('<I', blocks) + struct.pack('>I', blocks)
    data[0x8000 + 128:0x8000 + 132] = struct.pack('<H', 2048) + struct.pack('>H', 2048)
    data[0x8800:0x8807] = b'\xffCD001\x01'
    return data


def luks(path, version=1):
    # Written by hand: qemu-img's key derivation benchmark fails now and then on a busy host.
    path.write_bytes((b'LUKS\xba\xbe' + struct.pack('>H', version)).ljust(MIB, b'\0'))
    return path
