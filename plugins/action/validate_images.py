# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Run the validate_images module; hide a result that holds a token, as no_log would.

A module cannot keep a value it returns out of the output: AnsibleModule masks its no_log
values in the result itself, which would make the token useless. Marking the whole result
no_log here keeps the token usable in the registered variable and out of every callback's
output, at any verbosity. Failures carry no token, so their message stays readable.
"""

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(task_vars=task_vars))
        if result.get("auth_token"):
            result["_ansible_no_log"] = True
            # ansible-core before 2.19 takes a result's no_log from the play context alone.
            self._play_context.no_log = True
        return result
