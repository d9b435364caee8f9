#!/usr/bin/python
# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""Serve the images a site's seed staged to the site's other compute hosts, for one run."""

DOCUMENTATION = r"""
module: image_serve
short_description: Serve a site's staged Glance images from its seed compute host to its peers
version_added: 0.1.0
description:
  - Runs on the seed compute host of an edge site, the one host of the site that downloaded the
    images from Glance, and starts (O(state=started)) or stops (O(state=stopped)) a short-lived
    HTTP server of the images staged for one run in C(<instances_path>/.precache-staging/<run_id>/).
    The site's other hosts then fetch the same original bytes over the LAN instead of from Glance,
    and verify Glance's own hash of them end to end.
  - The server answers only C(GET /images/<image id>) for the run's staged images, and only to
    requests that carry the run's O(token) in the header C(X-Precache-Token). Without it every
    request gets 403 with no detail, before the path is looked at; with it anything but a staged
    image gets 404. HTTP ranges (C(bytes=N-), C(bytes=N-M)) get 206, so an interrupted fetch
    resumes. At most O(max_peers) transfers run at once; one more gets 503 with C(Retry-After).
  - The server is a daemon that outlives the module. It runs with only the uid, gid and groups of
    Nova's user (see O(owner)), no capabilities, no descriptor of the module's session, and opens
    nothing but the run's staged files, never following a link. It stops at O(timeout) seconds,
    or when O(state=stopped) tells it to, and removes the run's staging folder either way.
  - Each O(state=started) starts a new server, on the first free port of O(port_range).
extends_documentation_fragment:
  - openstack_ops.precache.nova_host
  - openstack_ops.precache.attributes
attributes:
  check_mode:
    details: With O(state=started) it lists the staged images and starts nothing; with
      O(state=stopped) it tells no server to stop and removes nothing, and reports whether the
      run's staging is still there (RV(staging_removed)).
options:
  state:
    description:
      - V(started) starts the server and returns its RV(url); V(stopped) stops the server at
        O(url), which returns what it served, and removes the run's staging if it is still there.
    type: str
    choices: [started, stopped]
    default: started
  run_id:
    description:
      - The site run whose staged images to serve, 16 to 64 lowercase hex digits; the staging
        folder's name.
    type: str
    required: true
  token:
    description:
      - The secret the peers send in the header C(X-Precache-Token), at least 16 visible ASCII
        characters; one per run. Never logged nor returned.
      - O(state=stopped) sends it to the server to stop it.
    type: str
    required: true
  address:
    description:
      - The address to listen on. Default the host's C([DEFAULT] my_ip) in C(nova.conf), the
        address Nova gives its peers.
    type: str
  port_range:
    description:
      - The ports to try, the first free one wins, as V(47400-47499) or one port such as
        V(47400). Unprivileged ports only.
    type: str
    default: 47400-47499
  timeout:
    description:
      - Seconds after which the server stops by itself, served or not, and removes the staging.
    type: int
    default: 3600
  max_peers:
    description:
      - Most transfers the server runs at once; the peers beyond it are told to retry.
    type: int
    default: 4
  tls:
    description:
      - Whether to serve over TLS, with a key and a self-signed certificate made for the run by
        the host's C(openssl) (valid for a day, kept in the server's memory only). The peers pin
        the certificate by its fingerprint (RV(fingerprint)), not by a CA or a host name.
    type: bool
    default: false
  url:
    description:
      - With O(state=stopped), the RV(url) that O(state=started) returned. Nothing listening there
        means the server already stopped (at its deadline), which is no error.
      - Without it O(state=stopped) only removes the run's staging, for a host that staged images
        but served none.
    type: str
  fingerprint:
    description:
      - With O(state=stopped) and an C(https://) O(url), the RV(fingerprint) that O(state=started)
        returned; the server must show that certificate.
    type: str
notes:
  - Without O(tls) the images travel in clear on the site's LAN. Either way the peers verify
    Glance's hash of every byte, so a changed byte fails their download; the token keeps other
    hosts of the LAN from reading the images.
  - Runs with Python 3.9 or later and nothing but the standard library.
seealso:
  - module: openstack_ops.precache.cache_image
author:
  - openstack_ops developers (@openstack-ops)
"""

EXAMPLES = r"""
- name: Serve the seed's staged images to the site for an hour at most
  openstack_ops.precache.image_serve:
    run_id: "{{ site_run_id }}"
    token: "{{ site_token }}"
  register: seed_server

- name: Stop it once every peer has its images
  openstack_ops.precache.image_serve:
    state: stopped
    run_id: "{{ site_run_id }}"
    token: "{{ site_token }}"
    url: "{{ seed_server.url }}"
"""

RETURN = r"""
url:
  description: Where the peers fetch the images, C(http://ADDRESS:PORT) (C(https://) with
    O(tls)); their paths are C(/images/<image id>). Null in check mode.
  returned: state is started
  type: str
  sample: https://192.0.2.11:47400
fingerprint:
  description: With O(tls), the SHA-256 fingerprint of the server's certificate, 64 hex digits,
    which the peers pin; null otherwise.
  returned: state is started
  type: str
address:
  description: The address the server listens on.
  returned: state is started
  type: str
  sample: 192.0.2.11
port:
  description: The port the server listens on; null in check mode.
  returned: state is started
  type: int
  sample: 47400
images:
  description: The ids of the images staged for the run, which the server serves.
  returned: state is started
  type: list
  elements: str
  sample: [a26887c6-c47b-4654-abb5-dfadf7d3f803]
deadline:
  description: When the server stops by itself, seconds since the epoch; null in check mode.
  returned: state is started
  type: float
served:
  description:
    - What the server served, C(requests) (image transfers started), C(bytes_served) and
      C(images) (bytes per image id); null when no server listened at O(url).
  returned: state is stopped
  type: dict
  sample:
    requests: 3
    bytes_served: 41943040
    images:
      a26887c6-c47b-4654-abb5-dfadf7d3f803: 41943040
staging_removed:
  description: Whether the module removed the run's staging itself (the server removes it when it
    stops; this is for a server that had died). In check mode, whether it would.
  returned: state is stopped
  type: bool
msg:
  description: What was done.
  returned: always
  type: str
"""

import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.host_module import (
    HostModule)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.peer_server import (
    check_token, open_staging, parse_port_range, request_shutdown, start_daemon)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.peer_tls import (
    server_context)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.site_staging import (
    Staging, check_run_id)

ARGUMENT_SPEC = dict(
    state=dict(type="str", choices=["started", "stopped"], default="started"),
    run_id=dict(type="str", required=True),
    token=dict(type="str", required=True, no_log=True),
    address=dict(type="str"),
    port_range=dict(type="str", default="47400-47499"),
    timeout=dict(type="int", default=3600),
    max_peers=dict(type="int", default=4),
    tls=dict(type="bool", default=False),
    url=dict(type="str"),
    fingerprint=dict(type="str"),
)


class ImageServeModule(HostModule):
    """Starts peer_server's daemon, or stops it and clears the run's staging."""

    argument_spec = ARGUMENT_SPEC

    def run(self):
        check_run_id(self.params["run_id"])
        check_token(self.params["token"])
        if self.params["state"] == "started":
            return self._start()
        return self._stop()

    def finish(self, outcome):
        self.module.exit_json(**outcome)

    def _start(self):
        params = self.params
        address = params["address"] or self.settings.my_ip
        if not address:
            raise ValueError("nova.conf sets no [DEFAULT] my_ip: give the address to listen on")
        ports = parse_port_range(params["port_range"])
        if params["timeout"] < 1 or params["max_peers"] < 1:
            raise ValueError("timeout and max_peers must be 1 or more")
        if self.module.check_mode:
            images = self.run_as_nova(self._staged)
            return dict(changed=True, url=None, fingerprint=None, address=address, port=None,
                        images=images, deadline=None,
                        msg="check mode: would serve %d staged images on %s, "
                        "port %s" % (len(images), address, params["port_range"]))
        deadline = time.time() + params["timeout"]
        context, fingerprint = (server_context(params["run_id"], self.module.run_command)
                                if params["tls"] else (None, None))
        reply = start_daemon(self.settings.instances_path, self.uid, self.gid, params["run_id"],
                             params["token"], address, ports, deadline, params["max_peers"],
                             context)
        host = "[%s]" % address if ":" in address else address
        url = "%s://%s:%d" % ("https" if params["tls"] else "http", host, reply["port"])
        return dict(changed=True, url=url, fingerprint=fingerprint, address=address,
                    port=reply["port"],
                    images=reply["images"], deadline=deadline,
                    msg="serving %d staged images at %s until %s" % (
                        len(reply["images"]), url, time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                 time.gmtime(deadline))))

    def _stop(self):
        url = self.params["url"]
        check_mode = self.module.check_mode
        served = None if check_mode or not url else request_shutdown(
            url, self.params["token"], self.params["fingerprint"])
        removed = self.run_as_nova(lambda: self._remove_staging(check_mode))
        if not url:
            server = "no server to stop"
        elif check_mode:
            server = "check mode: would stop the server at %s" % url
        elif served is None:
            server = "no server listened at %s" % url
        else:
            server = "stopped the server at %s" % url
        return dict(changed=served is not None or removed, served=served, staging_removed=removed,
                    msg="%s; %s" % (server, "its staging was gone" if not removed else
                                    "would remove the run's staging" if check_mode
                                    else "removed the run's staging"))

    def _staged(self):
        """As Nova's user: the run's staged ids; PeerServerError when there are none."""
        with open_staging(self.settings.instances_path, self.uid, self.params["run_id"]) as staging:
            return staging.staged()

    def _remove_staging(self, check_mode):
        """As Nova's user: whether the run's staging folder was there (and is removed)."""
        with Staging(self.settings.instances_path, self.uid, self.params["run_id"],
                     create=False) as staging:
            if staging.fd is None:
                return False
            if not check_mode:
                staging.remove()
            return True


def main():
    ImageServeModule()()


if __name__ == "__main__":
    main()
