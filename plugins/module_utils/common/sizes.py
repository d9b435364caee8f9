# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Byte counts as people write and read them: `50M` in options, `1.2 GiB` in messages."""

import re

_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


def parse_size(text):
    """Bytes in a human size: ``1024``, ``100K``, ``50M``, ``1.5G``, ``2TiB`` (binary units)."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        match = _SIZE_RE.match(str(text))
        if not match:
            raise ValueError(
                "%r is not a size: give a number of bytes with an optional unit K, M, G or T "
                "(powers of 1024), e.g. 50M or 1.5G" % (text,))
        value = int(round(float(match.group(1)) * _SIZE_UNITS[match.group(2).upper()]))
    if value < 0:
        raise ValueError("a size cannot be negative: %r" % (text,))
    return value


def format_bytes(count):
    """``1288490188 bytes (1.2 GiB)``: exact for logs, readable for people."""
    value, unit = float(count), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    if unit == "B":
        return "%d bytes" % count
    return "%d bytes (%.1f %s)" % (count, value, unit)
