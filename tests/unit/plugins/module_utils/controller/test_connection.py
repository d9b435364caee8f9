# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The openstack.cloud auth options as openstacksdk connection keywords, and SDK errors as messages."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import connection
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.connection import (
    AUTH_ARGUMENT_SPEC, OpenStackError, connection_kwargs, describe_sdk_error)


def options(**given):
    """The options as AnsibleModule hands them over: every one present, unset ones None."""
    values = {name: spec.get("default") for name, spec in AUTH_ARGUMENT_SPEC.items()}
    values.update(given)
    return values


def test_a_named_cloud_is_completed_by_the_other_options():
    assert connection_kwargs(options(
        cloud="precache-admin", region_name="RegionTwo", validate_certs=False,
        ca_cert="/ca.pem", client_cert="/c.pem", client_key="/k.pem", api_timeout=30,
        interface="internal", auth_type="password", auth={"username": "u"})) == {
        "cloud": "precache-admin", "region_name": "RegionTwo", "verify": False,
        "cacert": "/ca.pem", "cert": "/c.pem", "key": "/k.pem", "api_timeout": 30,
        "interface": "internal", "auth_type": "password", "auth": {"username": "u"}}


def test_no_cloud_leaves_the_choice_to_openstacksdk():
    assert connection_kwargs(options()) == {"interface": "public"}


def test_a_cloud_dict_is_the_whole_configuration():
    cloud = {"auth": {"auth_url": "https://keystone:5000/v3"}, "region_name": "RegionOne"}
    assert connection_kwargs(options(cloud=cloud)) == cloud


@pytest.mark.parametrize("given, named", [
    ({"region_name": "R"}, "region_name"),
    ({"interface": "admin"}, "interface"),
    ({"validate_certs": False, "auth": {}}, "auth, validate_certs"),
])
def test_options_beside_a_cloud_dict_are_refused(given, named):
    with pytest.raises(OpenStackError, match="so %s must be set inside it" % named):
        connection_kwargs(options(cloud={"auth": {}}, **given))


class _HttpError(Exception):
    status_code = 403
    request_id = "req-42"


def test_sdk_errors_keep_status_and_request_id():
    assert describe_sdk_error(_HttpError("Policy does not allow")) == \
        "Policy does not allow (HTTP 403, request req-42)"
    assert describe_sdk_error(ValueError("plain")) == "plain"


def test_connect_without_openstacksdk_says_what_to_install(monkeypatch):
    monkeypatch.setattr(connection, "openstack", None)
    with pytest.raises(OpenStackError, match="openstacksdk"):
        connection.connect(options(cloud="x"))
