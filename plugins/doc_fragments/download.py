# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Options of image downloads from Glance to a compute host: speed, patience and TLS.

Its argument spec is DOWNLOAD_ARGUMENT_SPEC in plugins/module_utils/host/download_options.py.
"""


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
      - Connection errors, timeouts and HTTP 5xx are retried; HTTP 4xx and malformed URLs are
        not. A transfer that fails as too slow (see O(min_rate)) is retried too.
      - The count starts again after an attempt that got further than any before it, unless it
        failed as too slow, so that a server that trickles a few bytes an attempt is not retried
        for ever.
    type: int
    default: 3
  min_rate:
    description:
      - The slowest transfer accepted, in bytes per second, as curl's C(--speed-limit). An
        attempt fails when the bytes it received over any O(min_rate_time) seconds, counted
        from its request, fall below this rate. A number, or a size with a unit such as V(64K)
        (powers of 1024). V(0) turns the check off.
      - This ends a transfer that a broken or hostile server trickles (a byte now and then,
        each well within O(timeout)), which would otherwise hold Nova's lock on the image for
        as long as the server likes. The default, 64 KiB/s, is 4.5 hours a GiB, far below any
        working link, even a rate-limited WAN to an edge site.
      - O(rate_limit) must not be below it. The pauses O(rate_limit) makes do not count.
    type: str
    default: 64K
  min_rate_time:
    description:
      - Seconds of the window of O(min_rate), as curl's C(--speed-time). Long enough to ride
        out the pauses of a working Glance (a store reconnecting, TCP retransmits); an answer
        whose headers take longer than this fails too.
    type: int
    default: 30
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
