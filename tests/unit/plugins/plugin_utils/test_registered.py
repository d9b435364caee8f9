# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The results the hosts registered, as the filters read them."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.openstack_ops.precache.plugins.plugin_utils._registered import (
    host_status, registered_results)


def test_registered_results_in_the_order_of_the_hosts():
    hostvars = {"c1": {"r": {"changed": True}}, "c2": {}, "c3": {"r": {"failed": True}}}
    assert registered_results("f", ["c3", "c2", "c1"], hostvars, "r") == [
        ("c3", {"failed": True}), ("c2", None), ("c1", {"changed": True})]


def test_registered_results_needs_a_list_of_hosts():
    with pytest.raises(AnsibleFilterError, match="^cache_report: the input must be a list of hosts, not str$"):
        registered_results("cache_report", "c1", {}, "r")


@pytest.mark.parametrize("result,status", [
    (None, "not run"),
    ({"skipped": True}, "not run"),
    ({"unreachable": True, "msg": "refused"}, "unreachable"),
    ({"failed": True}, "failed"),
    ({"changed": False}, "ok"),
])
def test_host_status(result, status):
    assert host_status(result) == status
