# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The results a module registered on each host, as the filters that read them take them."""

from ansible.errors import AnsibleFilterError


def registered_results(filter_name, hosts, hostvars, result_var):
    """[(host, what it registered in `result_var`, or None)] in the order of `hosts`, the
    filter's input, which must be a list of host names."""
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("%s: the input must be a list of hosts, not %s"
                                 % (filter_name, type(hosts).__name__))
    return [(host, hostvars[host].get(result_var)) for host in hosts]


def host_status(result):
    """How a host's task went: `not run` (no result, or skipped), unreachable, failed or ok."""
    if not isinstance(result, dict) or result.get("skipped"):
        return "not run"
    if result.get("unreachable"):
        return "unreachable"
    return "failed" if result.get("failed") else "ok"
