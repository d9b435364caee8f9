#!/usr/bin/python
# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""Follow a cache_image started as an async task: its live progress, then its result."""

DOCUMENTATION = r"""
module: cache_progress
short_description: Follow a cache_image run started as an async task
version_added: 0.1.0
description:
  - Runs on the Nova compute host where M(openstack_ops.precache.cache_image) was started as an
    async task (C(async) with C(poll) V(0)) with
    O(openstack_ops.precache.cache_image#module:progress), and tells how it is doing; once the
    job has finished, returns the job's own result, as
    C(ansible.builtin.async_status) would, and removes the job file, as C(async_status) does
    with C(mode=cleanup).
  - Waits up to O(wait) seconds for the job to finish, looking at the job file four times a
    second, so a loop of polls needs no C(delay) of its own. Each poll is the controller's
    heartbeat, which a run with C(progress.heartbeat_timeout) needs to keep going.
  - The job file is read as the module's user (the one the async task ran as); the status, in
    C(<instances_path>/.precache-progress/), is read as Nova's user, with no link followed and
    every field checked, since that user may have written anything there.
extends_documentation_fragment:
  - openstack_ops.precache.nova_host
  - openstack_ops.precache.attributes
attributes:
  check_mode:
    details: Only reads. The job file is left in place and the run's heartbeat is not touched,
      so check-mode polls do not keep a run with C(progress.heartbeat_timeout) going.
options:
  results_file:
    description:
      - The job file of the async C(cache_image) task, the C(results_file) its start returned
        (C(~/.ansible_async/<job id>) of the user it ran as).
    type: path
    required: true
  run_id:
    description:
      - The C(progress.run_id) given to that C(cache_image).
    type: str
    required: true
  wait:
    description:
      - Seconds to wait for the job to finish before returning its progress, from V(0) (look
        once) to V(600). Returns as soon as the job has finished.
    type: int
    default: 10
notes:
  - Runs with Python 3.9 or later and nothing but the standard library.
seealso:
  - module: openstack_ops.precache.cache_image
  - module: ansible.builtin.async_status
author:
  - openstack_ops developers (@openstack-ops)
"""

EXAMPLES = r"""
- name: Start the pre-cache in the background
  openstack_ops.precache.cache_image:
    images: "{{ plan.images }}"
    image_endpoint: "{{ plan.image_endpoint }}"
    auth_token: "{{ plan.auth_token }}"
    progress:
      run_id: "{{ run_id }}"
      heartbeat_timeout: 300
  async: 7200
  poll: 0
  register: started

- name: Follow it until it is done; each poll waits up to 30 s by itself
  openstack_ops.precache.cache_progress:
    results_file: "{{ started.results_file }}"
    run_id: "{{ run_id }}"
    wait: 30
  register: result
  until: result.finished
  retries: 240
  delay: 0
"""

RETURN = r"""
finished:
  description: Whether the job has finished; then the rest of the result is the job's own.
  returned: always
  type: bool
  sample: false
ansible_job_id:
  description: The async job's id, the name of O(results_file).
  returned: always
  type: str
  sample: j859247154302.4171
progress:
  description:
    - The run's live status while it runs; null when it has written none (not started yet, or
      just finished, or no O(openstack_ops.precache.cache_image#module:progress) was given).
    - Sizes are in bytes.
  returned: when RV(finished) is false
  type: dict
  contains:
    version:
      description: Version of the status format, V(1).
      type: int
    pid:
      description: Process id of the run's writer on the host.
      type: int
    started:
      description: When the run started, in seconds since the epoch.
      type: float
    updated:
      description: When the status was written, in seconds since the epoch.
      type: float
    age:
      description: Seconds since RV(progress.updated), by this host's clock; more than a few
        means the run no longer writes it.
      type: float
    phase:
      description: What the run does now, V(starting), V(lock) (waiting for Nova's lock),
        V(download), V(inspect), V(convert), V(install), V(refresh) or V(done).
      type: str
    image:
      description: Glance id of the image it works on; null before the first.
      type: str
    image_index:
      description: Position of that image in the plan, from 1; V(0) before the first.
      type: int
    images:
      description: Number of images in the plan.
      type: int
    bytes:
      description: Bytes received by this run, over all its images. For the current image
        this is where its transfer stands, so it goes back when a transfer starts again.
      type: int
    total:
      description: Bytes expected, the bytes of the images done plus Glance's sizes of the
        current and remaining images that were not cached when the run started.
      type: int
    bytes_glance:
      description: Part of RV(progress.bytes) that came from Glance.
      type: int
    bytes_peers:
      description: Part of RV(progress.bytes) that came from the site's peers.
      type: int
    rate:
      description: Bytes per second over the last 5 seconds or so.
      type: int
    source:
      description: Where the current download comes from, V(glance) or C(peer NAME); null
        when nothing is downloading.
      type: str
changed:
  description: False while the job runs; then the job's own.
  returned: always
  type: bool
"""

import os
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.async_job import (
    job_id, job_result, read_job)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.host_module import (
    HostModule)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.progress_read import (
    read_status)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.site_staging import (
    check_run_id)

MAX_WAIT = 600
# How often the job file is looked at, and the heartbeat beaten, while waiting.
JOB_POLL = 0.25
STATUS_POLL = 1.0

ARGUMENT_SPEC = dict(
    results_file=dict(type="path", required=True),
    run_id=dict(type="str", required=True),
    wait=dict(type="int", default=10),
)


class CacheProgressModule(HostModule):
    """The async job's file as root, the run's status as Nova's user."""

    argument_spec = ARGUMENT_SPEC
    # The job's result, returned once it finished, holds cache_image's own warnings of them.
    warn_settings_notes = False

    def run(self):
        params = self.params
        jid = job_id(params["results_file"])
        check_run_id(params["run_id"], "run_id")
        if not 0 <= params["wait"] <= MAX_WAIT:
            raise ValueError("wait must be 0 to %d seconds, not %d" % (MAX_WAIT, params["wait"]))
        deadline = time.monotonic() + params["wait"]
        next_status, progress = 0.0, None
        while True:
            job = read_job(params["results_file"])
            if job is not None:
                return {"jid": jid, "job": job}
            now = time.monotonic()
            if now >= next_status:
                progress = self.run_as_nova(self._status)
                next_status = now + STATUS_POLL
            if now >= deadline:
                return {"jid": jid, "progress": progress}
            time.sleep(min(JOB_POLL, deadline - now))

    def _status(self):
        return read_status(self.settings.instances_path, self.uid, self.params["run_id"],
                           touch=not self.module.check_mode)

    def finish(self, outcome):
        jid = outcome["jid"]
        if "job" not in outcome:
            self.module.exit_json(changed=False, finished=False, ansible_job_id=jid,
                                  progress=outcome["progress"])
        result, warnings, deprecations = job_result(outcome["job"], jid)
        if not self.module.check_mode:
            try:
                os.unlink(self.params["results_file"])
            except FileNotFoundError:
                pass
        self.warn(*warnings)
        for deprecation in deprecations:
            # The job's own deprecations, passed on with their version or date, if any.
            self.module.deprecate(**deprecation)  # pylint: disable=ansible-deprecated-no-version
        if result.pop("failed", False):
            self.module.fail_json(msg=result.pop("msg", "the job failed"), **result)
        self.module.exit_json(**result)


def main():
    CacheProgressModule()()


if __name__ == "__main__":
    main()
