# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Whether Nova would accept an image into its cache, and its conversion to raw.

The checks of Nova's own download path (nova/virt/images.py ``fetch_to_raw``): our header check
(format_checks.py), ``qemu-img info`` under Nova's limits as a second opinion (qemu_img.py),
then, when Nova would, ``qemu-img convert`` to raw and the same checks on the result.
"""

import os

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.format_checks import (
    AMI_FORMATS, check_header)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.inspector import (
    ImageFormatError)


# Nova's default for [compute] vmdk_allowed_types.
DEFAULT_VMDK_ALLOWED_TYPES = ('streamOptimized', 'monolithicSparse')
# The disk formats Nova can inspect (it refuses any other), and the AMI family, whose content
# Nova checks for safety but does not compare with disk_format.
_INSPECTED_FORMATS = ('raw', 'qcow2', 'vhd', 'vhdx', 'vmdk', 'vdi', 'qed', 'iso', 'gpt', 'luks')
# Formats qemu-img reads as plain raw data.
_RAW_LIKE = ('raw', 'gpt', 'iso')


def _qemu_format(disk_format, detected):
    """The format qemu-img must report for an image Glance calls ``disk_format``."""
    if disk_format is None:
        return 'raw' if detected in _RAW_LIKE else detected
    if disk_format in ('raw', 'iso') + AMI_FORMATS:
        return 'raw'
    return disk_format


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
    if disk_format is not None and disk_format not in _INSPECTED_FORMATS + AMI_FORMATS:
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
