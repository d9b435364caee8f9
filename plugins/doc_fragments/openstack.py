# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The OpenStack connection options, named as the openstack.cloud collection names them.

Their argument spec is module_utils/controller/connection.py's AUTH_ARGUMENT_SPEC, which every
controller module takes through OpenStackModule (openstack_argument_spec()) and the aggregates
inventory plugin reads its options by; tests/unit/plugins/doc_fragments/test_openstack.py checks
that the two say the same.
"""


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  cloud:
    description:
      - Named cloud or cloud configuration to operate against.
      - A string names a cloud in a C(clouds.yaml) file; a dict holds a complete cloud
        configuration, as a section of C(clouds.yaml) would.
      - Not needed when O(auth) is given or the C(OS_*) environment variables are set.
    type: raw
  auth:
    description:
      - Authentication information as the cloud's auth plugin needs it. For the default
        C(password) plugin these are C(auth_url), C(username), C(password), C(project_name)
        and the domain names or ids.
      - Not needed when a named cloud is given or the C(OS_*) environment variables are set.
    type: dict
  auth_type:
    description:
      - Name of the keystoneauth plugin, when the cloud does not use C(password).
    type: str
  region_name:
    description:
      - Name of the region.
    type: str
  interface:
    description:
      - Which endpoint of the service catalog to use.
    type: str
    choices: [admin, internal, public]
    default: public
    aliases: [endpoint_type]
  validate_certs:
    description:
      - Whether to verify the TLS certificates of the API endpoints.
      - Defaults to the cloud configuration's C(verify), which defaults to V(true).
    type: bool
    aliases: [verify]
  ca_cert:
    description:
      - Path to a CA bundle that verifies the API endpoints' certificates.
    type: str
    aliases: [cacert]
  client_cert:
    description:
      - Path to a client certificate for the TLS connection.
    type: str
    aliases: [cert]
  client_key:
    description:
      - Path to the key of O(client_cert).
    type: str
    aliases: [key]
  api_timeout:
    description:
      - Seconds the HTTP layer waits for an API call before it gives up.
    type: int
requirements:
  - openstacksdk >= 1.0.0
notes:
  - Authentication is resolved by openstacksdk, as in the openstack.cloud collection, from
    C(clouds.yaml) (C(./clouds.yaml), C(~/.config/openstack/clouds.yaml),
    C(/etc/openstack/clouds.yaml)), then the C(OS_*) environment variables, then these options.
"""
