# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The auth doc fragment must offer exactly openstack.cloud's connection options.

Users move playbooks and `module_defaults` between openstack.cloud and this collection, so an
option renamed, retyped or missing here breaks their auth silently: pin the whole set.
"""
import pytest
import yaml

from ansible_collections.openstack_ops.precache.plugins.doc_fragments.openstack import ModuleDocFragment
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.connection import (
    AUTH_ARGUMENT_SPEC)

# name -> (type, aliases), as openstack.cloud 2.x declares them.
OPENSTACK_CLOUD_OPTIONS = {
    "cloud": ("raw", []),
    "auth": ("dict", []),
    "auth_type": ("str", []),
    "region_name": ("str", []),
    "interface": ("str", ["endpoint_type"]),
    "validate_certs": ("bool", ["verify"]),
    "ca_cert": ("str", ["cacert"]),
    "client_cert": ("str", ["cert"]),
    "client_key": ("str", ["key"]),
    "api_timeout": ("int", []),
}


@pytest.fixture(scope="module")
def doc():
    return yaml.safe_load(ModuleDocFragment.DOCUMENTATION)


def test_option_names_are_the_openstack_cloud_set(doc):
    assert sorted(doc["options"]) == sorted(OPENSTACK_CLOUD_OPTIONS)


@pytest.mark.parametrize("name", sorted(OPENSTACK_CLOUD_OPTIONS))
def test_option_type_and_aliases(doc, name):
    option = doc["options"][name]
    expected_type, expected_aliases = OPENSTACK_CLOUD_OPTIONS[name]
    assert option["type"] == expected_type
    assert sorted(option.get("aliases", [])) == sorted(expected_aliases)
    assert option["description"], "option %s has no description" % name


def test_aliases_do_not_collide_with_option_names(doc):
    aliases = [alias for option in doc["options"].values() for alias in option.get("aliases", [])]
    assert len(aliases) == len(set(aliases))
    assert not set(aliases) & set(doc["options"])


def test_interface_defaults_to_public(doc):
    interface = doc["options"]["interface"]
    assert interface["default"] == "public"
    assert sorted(interface["choices"]) == ["admin", "internal", "public"]


def test_no_option_is_required_so_clouds_yaml_and_os_env_work(doc):
    assert not [name for name, option in doc["options"].items() if option.get("required")]


def test_requires_openstacksdk(doc):
    assert any(requirement.startswith("openstacksdk") for requirement in doc["requirements"])


def test_the_fragment_documents_the_argument_spec_the_modules_use(doc):
    """The doc fragment and connection.AUTH_ARGUMENT_SPEC, its spec, say the same, option for
    option: the modules take what the docs promise, with the types, aliases, choices and
    defaults they document."""
    assert sorted(doc["options"]) == sorted(AUTH_ARGUMENT_SPEC)
    for name, spec in AUTH_ARGUMENT_SPEC.items():
        option = doc["options"][name]
        assert option["type"] == spec["type"], name
        assert sorted(option.get("aliases", [])) == sorted(spec.get("aliases", [])), name
        assert option.get("choices") == spec.get("choices"), name
        assert option.get("default") == spec.get("default"), name
        assert bool(option.get("required")) == bool(spec.get("required")), name
