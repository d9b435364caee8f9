# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""qemu-img as Nova runs it: its limits, its output, its absence, a watch, data sizes.

qemu-img runs through AnsibleModule.run_command as in the module; a stand-in qemu-img is used
only to see how it is called.
"""
import os

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.image_acceptance import (
    inspect_image,
)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.inspector import (
    ImageFormatError,
)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.qemu_img import QemuImg

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.image_corpus import (
    MIB, SIZE, qemu_img)


def fake_qemu_img(tmp_path, body):
    path = tmp_path / 'fake-qemu-img'
    path.write_text('#!/bin/sh\n' + body + '\n')
    path.chmod(0o755)
    return str(path)


def test_qemu_img_info_runs_under_nova_limits(tmp_path, raw, run_command):
    binary = fake_qemu_img(
        tmp_path, 'printf \'{"format": "raw", "cpu": "%s", "as": "%s", "lc": "%s", '
        '"args": "%s"}\' "$(ulimit -t)" "$(ulimit -v)" "$LC_ALL" "$*"')
    info = QemuImg(run_command, binary).info(str(raw), 'raw')
    assert (info['cpu'], info['as'], info['lc']) == ('30', str(2 * 1024 * 1024), 'C')
    assert info['args'] == 'info -f raw --output=json --force-share ' + str(raw)
    info = QemuImg(run_command, binary, cpu_time=5, address_space=512 * MIB).info(str(raw), 'raw')
    assert (info['cpu'], info['as']) == ('5', str(512 * 1024))


def test_qemu_img_stopped_by_its_limits(qcow2, run_command):
    # 16 MiB of address space is too little for qemu-img to run at all.
    with pytest.raises(ImageFormatError) as error:
        QemuImg(run_command, address_space=16 * MIB).info(str(qcow2), 'qcow2')
    assert '30 s CPU time, 16 MiB address space' in str(error.value)


@pytest.mark.parametrize('body, reason', [
    ('kill -9 $$', 'killed by signal 9 within its limits'),
    ('echo not json', 'printed no JSON object'),
    ('echo "qemu-img: broken" >&2; exit 1', 'failed (exit status 1; limits: 30 s CPU time'),
])
def test_qemu_img_output_problems(tmp_path, raw, body, reason, run_command):
    with pytest.raises(ImageFormatError) as error:
        QemuImg(run_command, fake_qemu_img(tmp_path, body)).info(str(raw), 'raw')
    assert reason in str(error.value)


def test_qemu_img_missing(tmp_path, raw, qemu, run_command):
    missing = QemuImg(run_command, str(tmp_path / 'no-such-qemu-img'))
    assert not missing.available()
    assert qemu.available()
    with pytest.raises(ImageFormatError, match='install qemu-utils'):
        inspect_image(str(raw), 'raw', missing)


def test_a_watch_that_raises_stops_the_conversion(tmp_path, raw, run_command):
    binary = fake_qemu_img(tmp_path, 'exec sleep 30')
    calls = []

    def watch():
        calls.append(1)
        raise RuntimeError('below the reserve')
    with pytest.raises(RuntimeError, match='below the reserve'):
        QemuImg(run_command, binary).convert(str(raw), str(tmp_path / 't'), 'qcow2', 'none',
                                             watch, interval=0.05)
    assert calls == [1]


def test_qemu_img_reads_the_checked_file_through_its_descriptor(tmp_path, qcow2, qemu):
    fd = os.open(str(qcow2), os.O_RDONLY)
    try:
        qcow2.rename(tmp_path / 'renamed')
        path = '/proc/self/fd/%d' % fd
        assert inspect_image(path, 'qcow2', qemu)['format'] == 'qcow2'
        assert qemu.data_size(path, 'qcow2') == SIZE - 64 * 1024
    finally:
        os.close(fd)


def test_data_size_counts_data_not_the_virtual_size(tmp_path, qemu):
    # 4 TiB: larger than the disk, yet qemu-img maps it at once (1 PiB takes it seconds).
    sparse = tmp_path / 'huge.qcow2'
    qemu_img('create', '-f', 'qcow2', str(sparse), '4T')
    assert qemu.data_size(str(sparse), 'qcow2') == 0
    assert inspect_image(str(sparse), 'qcow2', qemu)['virtual_size'] == 4 * 1024 ** 4
