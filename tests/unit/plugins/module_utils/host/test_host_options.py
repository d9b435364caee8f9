# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Each host doc fragment documents exactly the options of the argument spec beside it."""

import pytest
import yaml

from ansible_collections.openstack_ops.precache.plugins.doc_fragments import download, nova_host
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.download_options import (
    DOWNLOAD_ARGUMENT_SPEC)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.nova_host_options import (
    NOVA_HOST_ARGUMENT_SPEC)

KEYS = ("type", "elements", "default", "choices")


@pytest.mark.parametrize("fragment, spec", [
    (download, DOWNLOAD_ARGUMENT_SPEC), (nova_host, NOVA_HOST_ARGUMENT_SPEC)])
def test_a_fragment_documents_its_spec(fragment, spec):
    documented = yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)["options"]
    assert set(documented) == set(spec)
    for name, option in documented.items():
        assert {k: option[k] for k in KEYS if k in option} == \
            {k: spec[name][k] for k in KEYS if k in spec[name]}, name
