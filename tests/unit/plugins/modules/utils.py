# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Running a module's main() in a unit test: its exit_json and fail_json end it with ModuleExit."""

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class ModuleExit(Exception):
    """How main() ended: `failed` and the result it returned."""

    def __init__(self, failed, result):
        super().__init__(result.get("msg"))
        self.failed = failed
        self.result = result


def patch_exits(monkeypatch):
    """Make AnsibleModule.exit_json/fail_json raise ModuleExit instead of exiting."""
    def exit_json(_module, **result):
        raise ModuleExit(False, result)

    def fail_json(_module, **result):
        raise ModuleExit(True, result)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def run_module(main, args, check_mode=False, diff=False):
    """Run main() with these module arguments; return its ModuleExit (needs patch_exits)."""
    with patch_module_args(dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)):
        with pytest.raises(ModuleExit) as outcome:
            main()
    return outcome.value
