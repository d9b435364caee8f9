# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The base of the modules that run on a compute host, as OpenStackModule is on the controller.

HostModule composes the nova_host options into the module's spec and does, as root, what every
host module needs first: read nova.conf (settings), choose the cache layout, find Nova's user,
and make a qemu-img that runs within Nova's limits. The module's run() does its work as Nova's
user (run_as_nova) and ends with exit_json; errors of the collection end it with fail_json.
The settings' notes become warnings once the work is done.
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_layout import (
    layout_for)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.nova_host_options import (
    NOVA_HOST_ARGUMENT_SPEC)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.nova_user import (
    resolve_owner)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.qemu_img import (
    GIB, QemuImg)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.run_as import run_as
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.settings import (
    load_settings)


class HostModule:
    """A host module: set `argument_spec` (its own options) and write run()."""

    argument_spec = {}
    module_kwargs = {}
    # What ends the module with its message as fail_json, raised by the set-up or by run().
    errors = (PrecacheError, ValueError)
    # Whether nova.conf's notes become this module's warnings (a module that returns another's
    # result, which has them already, turns it off).
    warn_settings_notes = True

    def __init__(self):
        self.module = AnsibleModule(argument_spec=dict(NOVA_HOST_ARGUMENT_SPEC,
                                                       **self.argument_spec),
                                    supports_check_mode=True, **self.module_kwargs)
        self.params = self.module.params
        self.settings = self.layout = self.qemu_img = None
        self.uid = self.gid = None

    def __call__(self):
        try:
            # As root, the only thing root does: read nova.conf and who owns the cache.
            self.settings = load_settings(self.params["nova_conf"], self.params["cache_dir"])
            self.layout = layout_for(self.settings)
            self.uid, self.gid = resolve_owner(self.params["owner"], self.params["group"],
                                               self.settings)
            self.qemu_img = QemuImg(
                self.module.run_command, cpu_time=self.settings.images_cpu_time_limit,
                address_space=self.settings.images_address_space_limit * GIB)
            outcome = self.run()
        except self.errors as err:
            self.module.fail_json(msg=str(err))
        if self.warn_settings_notes:
            self.warn(*self.settings.notes)
        self.finish(outcome)

    def run(self):
        """The module's work (mostly through run_as_nova); its outcome goes to finish()."""
        raise NotImplementedError

    def finish(self, outcome):
        """End the module with exit_json or fail_json."""
        raise NotImplementedError

    def run_as_nova(self, work):
        """work() run as Nova's user, with no capabilities; its JSON-able result."""
        return run_as(self.uid, self.gid, work)

    def warn(self, *notes):
        for note in notes:
            if note:
                self.module.warn(note)

    def common_result(self):
        """What both host modules return about the host."""
        return dict(cache_dir=self.settings.cache_dir, nova_conf=self.settings.as_dict())
