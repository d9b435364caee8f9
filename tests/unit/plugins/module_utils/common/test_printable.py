"""printable(): every control character a tenant can put in a name is shown escaped."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable


@pytest.mark.parametrize("raw, shown", [
    ("ubuntu-24.04", "ubuntu-24.04"),
    ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),
    ("a\nCompleted 3 hosts, 0 errors\r", "a\\x0aCompleted 3 hosts, 0 errors\\x0d"),
    ("\x00\x7f\x80\x9b\x9f", "\\x00\\x7f\\x80\\x9b\\x9f"),
    ("\u2028\u2029\u202e\u2066", "\\u2028\\u2029\\u202e\\u2066"),
    ("caf\u00e9 \u00a0\u4e2d", "caf\u00e9 \u00a0\u4e2d"),
    ("x {{ lookup('pipe','id') }}", "x {{ lookup('pipe','id') }}"),
])
def test_controls_escaped_the_rest_kept(raw, shown):
    assert printable(raw) == shown


def test_every_c0_c1_character_is_escaped():
    for code in list(range(0x20)) + list(range(0x7f, 0xa0)):
        shown = printable(chr(code))
        assert shown == "\\x%02x" % code
        assert not any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in shown)


@pytest.mark.parametrize("value, shown", [(None, ""), (42, "42"), (["a\n"], "['a\\n']")])
def test_non_text(value, shown):
    assert printable(value) == shown
