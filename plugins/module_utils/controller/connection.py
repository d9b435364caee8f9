# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""openstacksdk connections from the openstack.cloud authentication options, for the controller.

One place for the options' argument spec (AUTH_ARGUMENT_SPEC, which doc_fragments/openstack.py
documents: tests/unit/plugins/doc_fragments/test_openstack.py holds the two together), for how
they become an openstacksdk connection, and for how SDK errors become messages: used by every
controller module through OpenStackModule, and by the inventory plugin through connect().
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)

try:
    import openstack
except ImportError:
    openstack = None
    OPENSTACKSDK_IMPORT_ERROR = traceback.format_exc()
else:
    OPENSTACKSDK_IMPORT_ERROR = None

# Documented by the doc fragment openstack_ops.precache.openstack, option for option.
AUTH_ARGUMENT_SPEC = dict(
    cloud=dict(type="raw"),
    auth=dict(type="dict", no_log=True),
    auth_type=dict(type="str"),
    region_name=dict(type="str"),
    interface=dict(type="str", choices=["admin", "internal", "public"], default="public",
                   aliases=["endpoint_type"]),
    validate_certs=dict(type="bool", aliases=["verify"]),
    ca_cert=dict(type="str", aliases=["cacert"]),
    client_cert=dict(type="str", aliases=["cert"]),
    client_key=dict(type="str", aliases=["key"], no_log=False),
    api_timeout=dict(type="int"),
)

# Option name -> openstack.connect() keyword, as openstack.cloud passes them.
_SDK_KEYWORDS = dict(auth="auth", auth_type="auth_type", region_name="region_name",
                     interface="interface", validate_certs="verify", ca_cert="cacert",
                     client_cert="cert", client_key="key", api_timeout="api_timeout")


class OpenStackError(PrecacheError):
    """The cloud could not be reached or refused a call; the message says which and why."""


def connection_kwargs(options):
    """openstack.connect() keywords from the auth options (a dict of option name -> value).

    A `cloud` dict is a complete cloud configuration, so the other options must not be given
    beside it (openstack.cloud's rule); a `cloud` name is completed by them.
    """
    cloud = options.get("cloud")
    if isinstance(cloud, dict):
        clashing = [name for name in _SDK_KEYWORDS
                    if options.get(name) is not None and name != "interface"]
        if options.get("interface") not in (None, "public"):
            clashing.append("interface")
        if clashing:
            raise OpenStackError(
                "cloud is a complete cloud configuration (a dict), so %s must be set inside "
                "it, not beside it" % ", ".join(sorted(clashing)))
        return dict(cloud)
    kwargs = {keyword: options[name] for name, keyword in _SDK_KEYWORDS.items()
              if options.get(name) is not None}
    if cloud is not None:
        kwargs["cloud"] = cloud
    return kwargs


class HttpStatusError(Exception):
    """An API call failed with one of the HTTP statuses its caller handles (`status`); `error`
    is the SDK's exception, whose text is Nova's or Glance's message."""

    def __init__(self, status, error):
        super().__init__(str(error))
        self.status = status
        self.error = error


def call_api(call, *args, handled=(), **kwargs):
    """call(*args, **kwargs); an error with an HTTP status in `handled` becomes HttpStatusError.

    openstacksdk's HttpException (and its NotFoundException, ForbiddenException...) is told
    apart by its `status_code`, not its class, so that unit tests' doubles need not import the
    SDK. Any other error passes through unchanged.
    """
    try:
        return call(*args, **kwargs)
    except Exception as err:  # openstacksdk's HttpException, told apart by its status_code
        status = getattr(err, "status_code", None)
        if status is None or status not in handled:
            raise
        raise HttpStatusError(status, err) from err


def resource_record(resource, fields):
    """An openstacksdk resource as a plain dict: {key: the resource's attribute} for `fields`
    ({key: attribute}); a missing attribute is None, the SDK's lists and dicts plain ones."""
    record = {key: getattr(resource, attribute, None) for key, attribute in fields.items()}
    for key, value in record.items():
        if isinstance(value, dict):
            record[key] = dict(value)
        elif isinstance(value, (list, tuple)):
            record[key] = list(value)
    return record


def describe_sdk_error(err):
    """An SDK exception as one line: the HTTP status and request id when there are any."""
    status = getattr(err, "status_code", None)
    request_id = getattr(err, "request_id", None)
    extra = ", ".join(part for part in (
        "HTTP %s" % status if status else None,
        "request %s" % request_id if request_id else None) if part)
    return "%s (%s)" % (err, extra) if extra else str(err)


def connect(options):
    """An openstacksdk connection for the auth options; OpenStackError when there is none."""
    if openstack is None:
        raise OpenStackError(missing_required_lib("openstacksdk"))
    try:
        conn = openstack.connect(**connection_kwargs(options))
        conn.authorize()
    except openstack.exceptions.SDKException as err:
        raise OpenStackError("cannot connect to the cloud: %s" % describe_sdk_error(err)) from None
    return conn


def openstack_argument_spec(options):
    """A module's argument spec: the auth options, then the module's own `options`."""
    spec = dict(AUTH_ARGUMENT_SPEC)
    spec.update(options)
    return spec


class OpenStackModule:
    """Base of the controller modules: the auth options merged in, `conn`, SDK errors as failures.

    A module sets `argument_spec` (its own options) and `module_kwargs`, implements run()
    returning its result dict, and its main() is `Module()()`.
    """

    argument_spec = {}
    module_kwargs = {}

    def __init__(self):
        self.module = AnsibleModule(argument_spec=openstack_argument_spec(self.argument_spec),
                                    **self.module_kwargs)
        self.params = self.module.params
        if openstack is None:
            self.module.fail_json(msg=missing_required_lib("openstacksdk"),
                                  exception=OPENSTACKSDK_IMPORT_ERROR)
        self._conn = None

    @property
    def conn(self):
        if self._conn is None:
            self._conn = connect(self.params)
        return self._conn

    def run(self):
        raise NotImplementedError

    def __call__(self):
        try:
            result = self.run()
        except OpenStackError as err:
            self.module.fail_json(msg=str(err))
        except openstack.exceptions.SDKException as err:
            self.module.fail_json(msg=describe_sdk_error(err))
        self.module.exit_json(**result)
