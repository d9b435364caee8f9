# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Text from the cloud, made safe to print: no control character reaches a terminal or a log.

Image names, tags, aggregate names, host names, disabled reasons and messages that quote them
are set by tenants and compute hosts. Printed raw, an ESC or BEL retitles or repaints the
operator's terminal and a CR or LF forges whole lines ("Completed 3 hosts, 0 errors"). Every
line the collection prints that holds such text goes through printable(), on both sides (the
modules, the filters, the callback and the inventory plugin import it).
"""

import re

# C0, DEL and C1; the Unicode line and paragraph separators; the bidirectional overrides and
# isolates, which reorder what a terminal shows (CVE-2021-42574).
_UNPRINTABLE = re.compile(u"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match):
    code = ord(match.group(0))
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def printable(value):
    """`value` as one line of text, each control character shown as `\\xNN` (or `\\uNNNN`).

    None is the empty string; other non-text values are converted with str() first.
    """
    if value is None:
        return ""
    return _UNPRINTABLE.sub(_escape, value if isinstance(value, str) else str(value))
