# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Sizes as operators write them, and as messages show them."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.sizes import (
    format_bytes, parse_size)


@pytest.mark.parametrize("text, value", [
    ("1024", 1024), (2048, 2048), ("100K", 102400), ("50M", 50 * 1024 ** 2),
    ("1.5G", 3 * 1024 ** 3 // 2), ("2TiB", 2 * 1024 ** 4), (" 8 mb ", 8 * 1024 ** 2), (".5K", 512),
    ("0.5k", 512), ("0", 0), ("7B", 7),
])
def test_parse_size(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "fast", "10X", "-5", "1..5G", "1.5.2G", "M", True, -1])
def test_parse_size_refuses_what_is_not_a_size(text):
    with pytest.raises(ValueError, match="is not a size|cannot be negative"):
        parse_size(text)


@pytest.mark.parametrize("count, text", [
    (0, "0 bytes"), (1023, "1023 bytes"), (1024, "1024 bytes (1.0 KiB)"),
    (3 * 1024 ** 2, "3145728 bytes (3.0 MiB)"), (1288490188, "1288490188 bytes (1.2 GiB)"),
])
def test_format_bytes(count, text):
    assert format_bytes(count) == text
