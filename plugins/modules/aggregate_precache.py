#!/usr/bin/python
# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""Have Nova pre-cache images on an aggregate's hosts, and follow the run's notifications."""

DOCUMENTATION = r"""
module: aggregate_precache
short_description: Have Nova cache images on an aggregate's hosts and follow its notifications
version_added: 0.1.0
description:
  - Runs on the controller and drives Nova's own aggregate image pre-cache,
    C(POST /os-aggregates/{id}/images) (compute API microversion 2.81, Nova Ussuri or later).
    Nova's conductor asks each compute host of the aggregate to download the images into its
    image cache, one host after another (C([image_cache] precache_concurrency) at a time). No
    SSH to any compute host is needed.
  - Before anything starts it checks the aggregate (by id, uuid or name), the images, exactly
    as M(openstack_ops.precache.validate_images) does (one failure lists every bad reference
    and why), and that the cloud offers microversion 2.81.
  - Nova's API answers 202 and nothing else. With O(transport_url), the module listens to
    Nova's versioned notifications on the message bus (exchange O(exchange), topic O(topic)),
    on a queue of its own so that it takes nothing from Nova's other consumers, B(before) it
    makes the request, and follows the run until C(aggregate.cache_images.end) or O(timeout).
    It then returns, per host, the images cached and failed as Nova reported them. Without
    O(transport_url) it returns right after the 202, with RV(followed=false).
  - With O(mode=watch) it makes no request and follows the next pre-cache run that starts, of
    O(aggregate) or of any aggregate, such as one started with
    C(openstack aggregate cache image).
  - Nova skips the hosts whose compute service is down (forced down, or no longer reporting)
    and reports all their images failed; the module reports them in RV(hosts_skipped), not as
    failures. A host that is disabled but up is cached.
  - Nova's conductor reports a host only when its C(cache_images) call to that host returns;
    a call that fails or times out (after C([DEFAULT] rpc_response_timeout) without a
    heartbeat from a nova-compute that is stopped or hangs, or after C(long_rpc_timeout) in
    all), for example because nova-compute restarted, leaves the host unreported, and the run
    still ends. After the end, such a host is failed, with all the images asked for, and listed in
    RV(hosts_unreported).
  - Nova before 27.5.0, 28.3.0 and 29.0.0 may refuse several distinct images in one request
    as C(Duplicate images in request) (Launchpad bug 2034702). On exactly that refusal, the
    module warns once and asks for one image per request, each followed to its end before
    the next; see O(request_mode).
  - The module fails when an image failed on a host that was up, when a host was not
    reported, when the run did not end within O(timeout), or when the connection to the
    message bus was lost while it was followed (RV(bus_outages)); the result then holds what
    was received.
extends_documentation_fragment:
  - openstack_ops.precache.openstack
  - openstack_ops.precache.attributes
attributes:
  check_mode:
    details: With O(mode=request), checks the aggregate, the images and the microversion,
      and reports the hosts Nova would skip; makes no request and follows nothing.
options:
  mode:
    description:
      - V(request) asks Nova to cache O(images) on O(aggregate), then follows the run when
        O(transport_url) is set.
      - V(watch) makes no request and follows the next run that starts; needs O(transport_url).
    type: str
    choices: [request, watch]
    default: request
  aggregate:
    description:
      - Id, uuid or name of the Nova host aggregate.
      - Required with O(mode=request). With O(mode=watch), omit it to follow the first run of
        any aggregate.
    type: str
  images:
    description:
      - Names or ids of the images, checked as O(openstack_ops.precache.validate_images#module:images)
        are; Nova is given their ids. Required with O(mode=request).
    type: list
    elements: str
  allowed_disk_formats:
    description:
      - The C(disk_format) values accepted, as in M(openstack_ops.precache.validate_images).
    type: list
    elements: str
    default: [raw, qcow2, vmdk, vdi, vhdx, iso]
  transport_url:
    description:
      - oslo.messaging transport URL of the bus Nova sends its notifications to, such as
        V(rabbit://USER:PASSWORD@rabbit.example.com:5672/) (Nova's
        C([oslo_messaging_notifications] transport_url), else its C([DEFAULT] transport_url)).
      - Nova must send versioned notifications (C([notifications] notification_format) of
        V(versioned) or V(both), the C(messagingv2) driver).
      - Needs the Python library oslo.messaging on the controller. Never shown in the output.
    type: str
  exchange:
    description: The exchange Nova sends to, its C(control_exchange).
    type: str
    default: nova
  topic:
    description: The topic of Nova's versioned notifications, its C([notifications] versioned_notifications_topics).
    type: str
    default: versioned_notifications
  request_mode:
    description:
      - V(auto) asks for all O(images) in one request and, only when Nova refuses them with
        its bug 2034702 (C(Duplicate images in request), Nova before 27.5.0, 28.3.0 and
        29.0.0), asks again with one image per request.
      - V(per_image) always makes one request per image, for clouds known to have that bug.
        With O(transport_url), each request is made when the run of the previous one has
        ended; without it, one right after the other, so that Nova runs them at the same time.
    type: str
    choices: [auto, per_image]
    default: auto
  timeout:
    description:
      - Seconds to follow the run, from the request (or, with O(mode=watch), from the start of
        the module) to the end notification; with several requests, to the end of the last.
    type: int
    default: 1800
notes:
  - Nova reports an image as cached whether it downloaded it or found it there already, and
    refreshes the cache expiry of an image that is there. So the module reports a change whenever a
    request was made.
  - Nova's notifications carry no request id. The run followed is the first C(start) of the
    aggregate after the listener began, up to its C(end); two runs of the same aggregate at the
    same time cannot be told apart. Which hosts were down is read when the run starts, so a
    host that goes down during the run is reported as failed.
  - The queue of the listener is named C(openstack-ops-precache-<random>) and deleted when the
    module ends (RabbitMQ); a module killed meanwhile leaves it behind.
requirements:
  - oslo.messaging, only for O(transport_url)
seealso:
  - module: openstack_ops.precache.validate_images
  - module: openstack_ops.precache.cache_image
author:
  - openstack_ops developers (@openstack-ops)
"""

EXAMPLES = r"""
- name: Have Nova cache two images on the aggregate's hosts and follow the run
  openstack_ops.precache.aggregate_precache:
    cloud: production
    aggregate: my-application
    images:
      - ubuntu-24.04
      - a26887c6-c47b-4654-abb5-dfadf7d3f803
    transport_url: "{{ nova_notifications_url }}"
    timeout: 3600
  register: precache

- name: Follow a pre-cache someone else starts (openstack aggregate cache image ...)
  openstack_ops.precache.aggregate_precache:
    mode: watch
    aggregate: my-application
    transport_url: "{{ nova_notifications_url }}"
"""

RETURN = r"""
aggregate:
  description: The aggregate.
  returned: when known
  type: dict
  contains:
    id:
      description: Aggregate id.
      type: int
    uuid:
      description: Aggregate uuid.
      type: str
    name:
      description: Aggregate name.
      type: str
    hosts:
      description: Its hosts (compute service host names).
      type: list
      elements: str
images:
  description: The images requested, as id and name.
  returned: O(mode=request)
  type: list
  elements: dict
requested:
  description: Whether a pre-cache was requested (false in check mode and with O(mode=watch)).
  returned: always
  type: bool
followed:
  description: Whether the run was followed on the bus, with no outage of it (see
    RV(bus_outages)).
  returned: always
  type: bool
bus_outages:
  description:
    - The losses of the connection to the message bus while the run was followed, such as a
      RabbitMQ restart, as oslo.messaging reported them, with the seconds since the watch
      began. The notifications Nova sent meanwhile are lost, so the module stops at the first
      and fails, saying what it saw until then.
  returned: always
  type: list
  elements: dict
  sample: [{seconds: 4.2, message: "AMQP server on 127.0.0.1:25672 is unreachable: ..."}]
notifications:
  description: How many of Nova's notifications of the run were received.
  returned: always
  type: int
complete:
  description: Whether the run's end notification arrived.
  returned: always
  type: bool
hosts:
  description:
    - Per host, in the order it reported, Nova's C(index) and C(total), the ids of the images
      cached (downloaded or there already) and failed, seconds since the start, and C(status)
      V(ok), V(failed) or V(skipped). With several requests, the images of all of them, and
      the host's last report.
    - A host Nova sent no result for comes after the others, failed, with all the images
      asked for, C(index) null and a C(msg) saying so.
  returned: always
  type: dict
  sample:
    compute1: {index: 1, total: 3, images_cached: [a26887c6-c47b-4654-abb5-dfadf7d3f803],
               images_failed: [], seconds: 0.412, status: ok}
hosts_skipped:
  description: Hosts Nova skipped because their compute service was down (in check mode, would skip).
  returned: always
  type: list
  elements: str
hosts_failed:
  description: Hosts where an image failed, and the hosts Nova sent no result for.
  returned: always
  type: list
  elements: str
hosts_unreported:
  description:
    - Hosts of the aggregate that Nova did not report by the end of the run (their
      C(cache_images) call timed out or failed); they are in RV(hosts_failed) too.
  returned: always
  type: list
  elements: str
hosts_pending:
  description: Hosts of the aggregate that had not reported when O(timeout) ran out.
  returned: always
  type: list
  elements: str
requests:
  description: The image ids of each request Nova accepted, in order.
  returned: O(mode=request)
  type: list
  elements: list
  sample: [[a26887c6-c47b-4654-abb5-dfadf7d3f803], [4d8c7e2a-51b3-4f7e-9a43-0d5d1c1f6a0b]]
image_failures:
  description: Per image id, on how many hosts that were up it failed.
  returned: always
  type: dict
elapsed:
  description: Seconds from the run's start notification to its end (or to the timeout).
  returned: always
  type: float
queue:
  description: The listener's own queue on the bus, deleted again when the module ends.
  returned: when followed
  type: str
  sample: openstack-ops-precache-5f0c2a9e41d7
microversion:
  description: The compute API's maximum microversion.
  returned: O(mode=request)
  type: str
  sample: '2.104'
"""

import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.nova_formats import (
    DEFAULT_DISK_FORMATS)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import (
    aggregate_run, image_plan, image_selection, nova_precache, notification_watch)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.connection import (
    OpenStackError, OpenStackModule)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable


class AggregatePrecacheModule(OpenStackModule):

    argument_spec = dict(
        mode=dict(type="str", choices=["request", "watch"], default="request"),
        aggregate=dict(type="str"),
        images=dict(type="list", elements="str"),
        allowed_disk_formats=dict(type="list", elements="str",
                                  default=list(DEFAULT_DISK_FORMATS)),
        transport_url=dict(type="str", no_log=True),
        exchange=dict(type="str", default="nova"),
        topic=dict(type="str", default="versioned_notifications"),
        request_mode=dict(type="str", choices=["auto", "per_image"], default="auto"),
        timeout=dict(type="int", default=1800),
    )
    module_kwargs = dict(supports_check_mode=True,
                         required_if=[("mode", "request", ("aggregate", "images")),
                                      ("mode", "watch", ("transport_url",))])

    def run(self):
        if self.params["timeout"] <= 0:
            self.module.fail_json(msg="timeout must be a positive number of seconds, not %d"
                                  % self.params["timeout"])
        try:
            if self.params["mode"] == "watch":
                return self._watch()
            return self._request()
        except (nova_precache.NovaPrecacheError, notification_watch.WatchError) as err:
            raise OpenStackError(str(err)) from None

    def _plan(self):
        planner = image_selection.ImagePlanner(
            self.conn.image, self.params["allowed_disk_formats"],
            caller=self.conn.current_project_id)
        planner.select_references(self.params["images"])
        for warning in planner.warnings:
            self.module.warn(warning)
        try:
            return planner.plan(self.conn.image.get_endpoint())
        except image_plan.PlanError as err:
            self.module.fail_json(msg=str(err), problems=err.problems)

    def _watch_of(self, run):
        return notification_watch.NotificationWatch(
            self.params["transport_url"], run, exchange=self.params["exchange"],
            topic=self.params["topic"])

    def _request(self):
        compute = self.conn.compute
        microversion = nova_precache.check_microversion(compute)
        aggregate = nova_precache.find_aggregate(compute, self.params["aggregate"])
        if not aggregate["hosts"]:
            raise OpenStackError("aggregate %s has no hosts: there is nothing to cache on"
                                 % printable(aggregate["name"]))
        plan = self._plan()
        image_ids = [image["id"] for image in plan]
        down = nova_precache.down_hosts(compute, aggregate["hosts"])
        result = dict(aggregate=aggregate, microversion=microversion,
                      images=[dict(id=image["id"], name=image["name"]) for image in plan])
        run = aggregate_run.AggregateRun(aggregate["id"], down)
        if self.module.check_mode:
            result.update(self._outcome(run, requested=False))
            result.update(changed=True, hosts_skipped=down)
            return result
        if not self.params["transport_url"]:
            result["requests"] = self._requests(aggregate, image_ids)
            message = ("Nova accepted the pre-cache request; without transport_url nothing "
                       "can be followed: neither its progress nor when it ends")
            self.module.warn(message)
            result.update(self._outcome(run, requested=True))
            result.update(changed=True, msg=message)
            return result
        with self._watch_of(run) as watch:
            result["requests"] = self._requests(aggregate, image_ids, watch)
            with watch.condition:
                result.update(self._outcome(run, watch=watch, requested=True))
        result.update(changed=True, queue=watch.pool)
        return self._judge(result)

    def _requests(self, aggregate, image_ids, watch=None):
        """Make the requests, and with a watch follow each run to its end before the next, until
        the last ends or the time is up; the image ids of the requests Nova accepted.

        One request for all the images, unless request_mode is per_image or Nova refuses them
        with its bug 2034702: then one per image."""
        deadline = time.monotonic() + self.params["timeout"]
        batches = [list(image_ids)] if self.params["request_mode"] == "auto" else [
            [image_id] for image_id in image_ids]
        accepted = []
        while batches:
            batch = batches.pop(0)
            if watch is not None:
                with watch.condition:
                    watch.run.expect(batch)
            try:
                nova_precache.request_precache(self.conn.compute, aggregate, batch)
            except nova_precache.DuplicateImagesRefused as err:
                if watch is not None:
                    with watch.condition:
                        watch.run.withdraw()
                self.module.warn(str(err))
                batches = [[image_id] for image_id in batch]
                continue
            accepted.append(batch)
            if watch is not None and not watch.wait(
                    lambda: watch.run.ended, max(deadline - time.monotonic(), 0)):
                break
        return accepted

    def _watch(self):
        wanted = None
        if self.params["aggregate"]:
            wanted = nova_precache.find_aggregate(self.conn.compute,
                                                  self.params["aggregate"])["id"]
        run = aggregate_run.AggregateRun(wanted)
        deadline = time.monotonic() + self.params["timeout"]
        with self._watch_of(run) as watch:
            if watch.wait(lambda: run.started, self.params["timeout"]):
                with watch.condition:
                    hosts = list(run.aggregate["hosts"])
                # Read after the start, as near as possible to when Nova's conductor looked.
                down = nova_precache.down_hosts(self.conn.compute, hosts)
                with watch.condition:
                    run.down.update(down)
                watch.wait(lambda: run.ended, max(deadline - time.monotonic(), 0))
            with watch.condition:
                result = self._outcome(run, watch=watch, requested=False)
        if run.aggregate:
            result["aggregate"] = run.aggregate
        result.update(changed=False, queue=watch.pool)
        return self._judge(result)

    @staticmethod
    def _outcome(run, requested, watch=None):
        """The run's result; `watch` the NotificationWatch that followed it, if any."""
        outcome = run.result(time.monotonic())
        outcome.pop("started")
        outages = list(watch.outages) if watch is not None else []
        outcome.update(followed=watch is not None and not outages, requested=requested,
                       bus_outages=outages)
        return outcome

    def _judge(self, result):
        """Fail a followed run that did not end in time, or where an image failed."""
        name = (result.get("aggregate") or {}).get("name")
        problems = []
        if result["bus_outages"]:
            reported = [host for host in result["hosts"] if host not in result["hosts_unreported"]]
            problems.append(
                "could not follow the run: the connection to the message bus was lost %s s into "
                "the watch (%s), and what Nova sent while it was down is lost; seen until then: "
                "%d notifications, reports of %s; not yet: %s" % (
                    result["bus_outages"][0]["seconds"], result["bus_outages"][0]["message"],
                    result["notifications"], ", ".join(reported) or "no host",
                    ", ".join(result["hosts_pending"]) or "none"))
        elif not result["complete"]:
            if not result["hosts"] and result.get("aggregate") is None:
                problems.append("no pre-cache run started in %d s" % self.params["timeout"])
            else:
                problems.append("the run did not end in %d s (%d of its hosts reported; not "
                                "yet: %s)" % (self.params["timeout"], len(result["hosts"]),
                                              ", ".join(result["hosts_pending"]) or "none"))
        for host in result["hosts_failed"]:
            record = result["hosts"][host]
            if host in result["hosts_unreported"]:
                images = ", ".join(record["images_failed"])
                problems.append("host %s: %s%s" % (host, record["msg"],
                                                   " (images %s)" % images if images else ""))
            else:
                problems.append("host %s: images failed: %s"
                                % (host, ", ".join(record["images_failed"])))
        if problems:
            result["msg"] = "pre-cache of aggregate %s: %s" % (name, "; ".join(problems)) \
                if name else "pre-cache: %s" % "; ".join(problems)
            self.module.fail_json(**result)
        return result


def main():
    AggregatePrecacheModule()()


if __name__ == "__main__":
    main()
