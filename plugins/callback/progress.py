# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report cache_image progress as Nova's aggregate.cache_images notifications."""

DOCUMENTATION = r"""
name: progress
type: aggregate
short_description: Report image pre-cache progress the way Nova's notifications do
version_added: 0.1.0
description:
  - Follows the results of M(openstack_ops.precache.cache_image) (recognised by the task's
    resolved action, not its name) and reports them as Nova reports its own aggregate image
    pre-cache, C(aggregate.cache_images.start), one C(aggregate.cache_images.progress) per host,
    and C(aggregate.cache_images.end), in Nova's versioned-notification envelope.
  - "Prints one line per host (C(host 68/95 compute68: 1 cached, 0 failed (72%, ETA 0:41))) and
    a summary at the end through Ansible's display, so it works with any stdout callback."
  - Host names, image ids and the hosts' messages are data, so every line shows their control
    characters escaped (C(\x1b)), so that none can forge a line or repaint the terminal.
  - Index and total span all the serial batches of a play. Unreachable hosts and failed hosts
    count, with every image of their plan failed when their result does not say otherwise.
  - Optionally writes the notifications to a JSON-lines file, the summary to a JSON file, and
    sends the notifications to a message bus with oslo.messaging, so that a consumer of Nova's
    C(versioned_notifications) receives them. A missing oslo.messaging or an unreachable bus is
    a warning, never a failed run.
  - The aggregate of a host is taken from the options, else from the host variables the
    P(openstack_ops.precache.aggregates#inventory) inventory sets (C(nova_aggregate_ids),
    C(nova_aggregate_uuids) and C(nova_aggregates), lists in the same order). That is the
    host's first aggregate or, when the play has a variable C(precache_aggregates), the first
    of the host's aggregates whose name it lists.
  - C(precache_aggregates) is a list of Nova aggregate names, or one name as a string. It may be
    a template over the play's variables and extra vars (for example V({{ aggregate }})); it is
    templated once when the play starts, without any host's variables. A host in none of the
    aggregates it lists is reported under its first aggregate; a value that cannot be templated
    or is not a list of names is a warning, and is not used.
  - Only the plays that run C(cache_image) count their hosts, so a play that validates or reports
    over other hosts changes no total.
  - With Nova's own pre-cache (M(openstack_ops.precache.aggregate_precache), the role's C(nova)
    engine), each host of its result gets its line and notification when the module returns,
    in the order the hosts reported to Nova, under the module's aggregate. A host Nova skipped
    because its compute service was down is listed as skipped, not counted as an error.
  - A host with C([libvirt] images_type = rbd) boots from the image in its Glance store, not from
    a local cache. Its line waits for the result of M(openstack_ops.precache.image_store_copy)
    for that store (the C(image_precache) role runs it after each batch) and counts the images in
    the store as cached and the others as failed; with no such result by the end of the run, its
    images are failed.
  - "While a batch's hosts download (the C(image_precache) role runs
    M(openstack_ops.precache.cache_image) as an asynchronous job and polls it with
    M(openstack_ops.precache.cache_progress)), prints one line per poll for the batch:
    C(batch 1/3: 7/10 hosts working, 4.1 of 20.0 GiB (20%), 118.0 MiB/s, ETA 2:31; slowest
    compute7 (waiting for Nova's lock)), naming the hosts whose bytes did not move for a whole
    poll interval as stalled, and the bytes from Glance and from the site's peers apart in a
    site run. In O(progress_file) each such line is an event of its own,
    C(openstack_ops.precache.batch.progress), never sent to the bus."
requirements:
  - oslo.messaging, only for O(transport_url)
options:
  progress_file:
    description: Append each notification to this file as one JSON line, as it happens.
    type: path
    env:
      - name: PRECACHE_PROGRESS_FILE
    ini:
      - section: callback_progress
        key: progress_file
  summary_file:
    description: Write the run's summary to this file as JSON at the end of the run.
    type: path
    env:
      - name: PRECACHE_PROGRESS_SUMMARY_FILE
    ini:
      - section: callback_progress
        key: summary_file
  file_mode:
    description:
      - The mode O(progress_file) and O(summary_file) are created with, in octal. The default
        keeps them to their owner, as they name hosts and images and quote the hosts' messages.
    type: str
    default: "0600"
    env:
      - name: PRECACHE_PROGRESS_FILE_MODE
    ini:
      - section: callback_progress
        key: file_mode
  transport_url:
    description:
      - oslo.messaging transport URL of the bus to send the notifications to, for example
        V(rabbit://user:pass@rabbit:5672/). Nothing is sent when it is not set.
    type: str
    env:
      - name: PRECACHE_PROGRESS_TRANSPORT_URL
    ini:
      - section: callback_progress
        key: transport_url
  topic:
    description: Notification topic, Nova's by default.
    type: str
    default: versioned_notifications
    env:
      - name: PRECACHE_PROGRESS_TOPIC
    ini:
      - section: callback_progress
        key: topic
  exchange:
    description: Exchange (oslo.messaging's C(control_exchange)) to send to, Nova's by default.
    type: str
    default: nova
    env:
      - name: PRECACHE_PROGRESS_EXCHANGE
    ini:
      - section: callback_progress
        key: exchange
  aggregate_id:
    description:
      - Id of the aggregate for every host, instead of the hosts' variables and the play's
        C(precache_aggregates).
    type: int
    env:
      - name: PRECACHE_PROGRESS_AGGREGATE_ID
    ini:
      - section: callback_progress
        key: aggregate_id
  aggregate_uuid:
    description:
      - UUID of the aggregate for every host, instead of the hosts' variables and the play's
        C(precache_aggregates).
    type: str
    env:
      - name: PRECACHE_PROGRESS_AGGREGATE_UUID
    ini:
      - section: callback_progress
        key: aggregate_uuid
  aggregate_name:
    description:
      - Name of the aggregate for every host, instead of the hosts' variables and the play's
        C(precache_aggregates).
    type: str
    env:
      - name: PRECACHE_PROGRESS_AGGREGATE_NAME
    ini:
      - section: callback_progress
        key: aggregate_name
"""

import json
import os

from ansible.plugins.callback import CallbackBase
from ansible.template import Templar

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.notification_watch import (
    check_reachable)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_live import (
    batch_sizes)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_notifications import (
    BATCH_EVENT, make_notifier)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_results import (
    counted_action, image_ids)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_run import (
    Run, aggregate_names, host_aggregate)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_text import (
    summary_lines)


def result_parts(result):
    """A task result's (task, resolved action, result dict, host). ansible-core 2.19 added
    result.task/host/result; older ones only have the _ names."""
    task = getattr(result, "task", None) or result._task
    action = getattr(task, "_resolved_action", None) or getattr(task, "resolved_action", None)
    return (task, action, getattr(result, "result", None) or result._result,
            getattr(result, "host", None) or result._host)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "openstack_ops.precache.progress"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.run = None
        self.notifier = None
        self.notifier_factory = make_notifier
        self._plays = set()
        self._task_images = {}
        self._play_hosts = []
        self._play_members = []
        self._progress = None
        self._wanted = None
        self._batch = self._batches = 1

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super(CallbackModule, self).set_options(task_keys=task_keys, var_options=var_options,
                                                direct=direct)
        self.run = Run()
        path = self.get_option("progress_file")
        if path:
            self._progress = self._open(path)
        url = self.get_option("transport_url")
        if url:
            self._connect(url)

    def _open(self, path):
        """A file for writing, created (or truncated) with the mode of file_mode only."""
        mode = int(str(self.get_option("file_mode")), 8)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        # An existing file keeps its mode through O_CREAT: set it, whatever the umask was.
        os.fchmod(descriptor, mode)
        return os.fdopen(descriptor, "w", encoding="utf-8")

    def _connect(self, url):
        try:
            check_reachable(url, timeout=5)
            self.notifier = self.notifier_factory(url, self.get_option("topic"),
                                                  self.get_option("exchange"),
                                                  self.run.publisher)
        except ImportError:
            self._display.warning("progress: oslo.messaging is not installed; notifications "
                                  "are not sent to the bus (pip install oslo.messaging)")
        except Exception as exc:
            self._display.warning("progress: notifications are not sent to the bus: %s" % exc)

    def _emit(self, notes):
        for note in notes:
            if self._progress:
                self._progress.write(json.dumps(note, sort_keys=True) + "\n")
                self._progress.flush()
            if self.notifier and note["event_type"] != BATCH_EVENT:
                try:
                    self.notifier(note)
                except Exception as exc:
                    self.notifier = None
                    self._display.warning("progress: sending to the bus failed, stopped "
                                          "sending: %s" % exc)

    def _options_identity(self):
        identity = (self.get_option("aggregate_id"), self.get_option("aggregate_uuid"),
                    self.get_option("aggregate_name"))
        return None if identity == (None, None, None) else identity

    def _identity(self, host):
        return self._options_identity() or host_aggregate(
            getattr(host, "vars", None), self._wanted)

    def _play_aggregates(self, play, manager):
        """The names of the play's precache_aggregates, templated with the play's variables
        (extra vars included) and no host; None when the play does not set it."""
        try:
            variables = manager.get_vars(play=play)
            if "precache_aggregates" not in variables:
                return None
            templar = Templar(loader=play.get_loader(), variables=variables)
            return aggregate_names(templar.template(variables["precache_aggregates"]))
        except Exception as exc:
            self._display.warning("progress: precache_aggregates of the play '%s' is not used, "
                                  "hosts are reported under their first aggregate: %s"
                                  % (getattr(play, "name", None) or "", exc))
            return None

    def v2_playbook_on_play_start(self, play):
        # Called once per serial batch: take the play's hosts of every batch, once.
        key = getattr(play, "_uuid", None) or id(play)
        if key in self._plays:
            self._batch += 1
            return
        self._plays.add(key)
        self._batch = 1
        self._play_members = []
        manager = play.get_variable_manager()
        self._wanted = None
        if manager is not None and self._options_identity() is None:
            self._wanted = self._play_aggregates(play, manager)
        inventory = getattr(manager, "_inventory", None)
        if inventory is None:
            return
        # ignore_restrictions: every serial batch; --limit still applies.
        hosts = inventory.get_hosts(play.hosts, ignore_restrictions=True)
        self._play_members = [(host.name, self._identity(host)) for host in hosts]
        self._play_hosts = [host.name for host in hosts]
        self._batches = len(batch_sizes(getattr(play, "serial", None), len(hosts)))

    def _register_play_hosts(self):
        """Count the play's hosts in the run once the play caches: a play that only validates
        or reports (over other hosts, such as all the candidates) adds none."""
        if self._play_members:
            self.run.add_hosts(self._play_members)
            self._play_members = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        # The task is not templated yet: only a literal action is known here; a templated one
        # gets its start with its first result.
        if counted_action(getattr(task, "_resolved_action", None)) == "host":
            self._register_play_hosts()
            self._emit(self.run.start_hosts(self._play_hosts))

    def _task_result(self, result, status):
        task, action, outcome, host = result_parts(result)
        counted = counted_action(action)
        if counted == "nova":
            # Nova's own run, one aggregate per result; a loop's come item by item.
            if "results" not in outcome:
                self._show(self.run.nova_result(outcome))
            return
        if counted == "store_copy":
            # An rbd host's images count as cached once its Glance store has them.
            self._show(self.run.store_copy(outcome.get("target_stores"), outcome))
            return
        if counted != "host":
            return
        self._register_play_hosts()
        if host.name not in self.run.host_aggregate:
            self.run.add_hosts([(host.name, self._identity(host))])
        if status == "ok" and outcome.get("ansible_job_id") and not outcome.get("finished"):
            # cache_image started as an asynchronous job: its polls follow (v2_runner_retry).
            self.run.job_started(getattr(task, "_uuid", None), host.name, self._batch,
                                 self._batches)
            return
        # The task given to callbacks is not templated: take the plan from the module's
        # invocation, or from another host's result of the same task (an unreachable host).
        args = (outcome.get("invocation") or {}).get("module_args") or {}
        planned = image_ids(args.get("images"))
        if not planned:
            planned = image_ids((getattr(task, "args", None) or {}).get("images"))
        task_key = getattr(task, "_uuid", None)
        if planned:
            self._task_images[task_key] = planned
        else:
            planned = self._task_images.get(task_key, [])
        self._show(self.run.host_result(host.name, status, outcome, planned))

    def v2_runner_retry(self, result):
        # A poll of an asynchronous cache_image (cache_progress in an until loop) that found
        # the host still working.
        _task, action, outcome, host = result_parts(result)
        if not action or "cache_progress" not in action:
            return
        wait = ((outcome.get("invocation") or {}).get("module_args") or {}).get("wait")
        shown = self.run.job_progress(host.name, outcome.get("progress"), wait)
        if shown:
            self._show([([shown[0]], shown[1])])

    def _show(self, reports):
        for notes, line in reports:
            self._emit(notes)
            self._display.display(line)

    def v2_runner_on_ok(self, result, **kwargs):
        self._task_result(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        self._task_result(result, "failed")

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._task_result(result, "unreachable")

    def _nova_item(self, result):
        # Only aggregate_precache's loop items: other modules count once per task result.
        _task, action, outcome, _host = result_parts(result)
        if counted_action(action) == "nova":
            self._show(self.run.nova_result(outcome))

    def v2_runner_item_on_ok(self, result):
        self._nova_item(result)

    def v2_runner_item_on_failed(self, result):
        self._nova_item(result)

    def v2_playbook_on_stats(self, stats):
        self._show(self.run.flush_waiting())
        self._emit(self.run.end())
        if self._progress:
            self._progress.close()
            self._progress = None
        if not self.run.hosts:
            return
        summary = self.run.summary()
        for line in summary_lines(summary):
            self._display.display(line)
        path = self.get_option("summary_file")
        if path:
            with self._open(path) as handle:
                json.dump(summary, handle, indent=2, sort_keys=True)
                handle.write("\n")
