# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The header check, called directly.

The format-by-format checks are exercised through inspect_image, in test_image_acceptance.
"""
import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.format_checks import (
    check_header)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.inspector import (
    ImageFormatError,
)


def test_unreadable_file(tmp_path):
    with pytest.raises(ImageFormatError, match='cannot read the image file'):
        check_header(str(tmp_path / 'missing'), 'raw')
