# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Options of image downloads from Glance to a compute host: speed, patience and TLS."""


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  rate_limit:
    description:
      - Limit each host's download to this many bytes per second, for the WAN links of edge
        sites. A number, or a size with a unit such as V(50M) or V(1.5G) (powers of 1024).
      - No limit when unset.
    type: str
  timeout:
    description:
      - Seconds to wait for Glance to connect or to send more data before the attempt counts
        as failed.
    type: int
    default: 60
  retries:
    description:
      - How many times a broken or failed transfer is tried again, after a jittered, growing
        pause. A broken transfer resumes where it stopped (HTTP range request).
      - Connection errors, timeouts and HTTP 5xx are retried; HTTP 4xx are not.
    type: int
    default: 3
  validate_certs:
    description:
      - Whether to verify Glance's TLS certificate. Leave it on outside of test beds.
    type: bool
    default: true
  ca_cert:
    description:
      - Path on the compute host to a CA bundle that verifies Glance's certificate.
    type: path
  client_cert:
    description:
      - Path on the compute host to a client certificate for the TLS connection to Glance.
    type: path
  client_key:
    description:
      - Path on the compute host to the key of O(client_cert).
    type: path
"""
