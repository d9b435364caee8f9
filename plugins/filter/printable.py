# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloud text as one printable line: control characters shown escaped, never templated."""

DOCUMENTATION = r"""
name: printable
short_description: Show a cloud-supplied text as one line, its control characters escaped
version_added: 0.1.0
description:
  - Returns the text with every control character (C0, DEL, C1, the Unicode line separators and
    bidirectional overrides) shown as C(\xNN) or C(\uNNNN), so that an image name, a tag or a
    message quoting them cannot repaint the terminal or forge lines of output.
  - The result is marked unsafe, so that it is never templated.
  - The collection's modules, filters, callback and inventory plugin show their own text this
    way; this filter is for messages a playbook builds from their results.
positional: _input
options:
  _input:
    description: The text; V(null) is the empty string, and other values are converted to text.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Fail with the module's message, one line whatever the image names hold
  ansible.builtin.fail:
    msg: "{{ precache_result.msg | openstack_ops.precache.printable }}"
"""

RETURN = r"""
_value:
  description: The text, one line, control characters escaped.
  type: str
"""


from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._unsafe import unsafe


class FilterModule:

    def filters(self):
        return {"printable": lambda value: unsafe(printable(value))}
