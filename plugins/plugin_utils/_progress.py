# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Progress of a pre-cache run as Nova's aggregate.cache_images notifications, and its summary.

The progress callback plugin's logic as plain code: Run keeps the state of one playbook run
(aggregates, hosts, results in the order they arrive) and returns the notifications and lines
to write; nothing here touches Ansible, so unit tests drive it directly. The notifications have
Nova's versioned-notification envelope and payloads (AggregatePayload for start and end,
AggregateCachePayload 1.0 for progress), so a consumer written for Nova works unchanged.
Every line meant for a terminal shows the cloud's text through printable(): host names, image
names and ids, and the messages that quote them, so that none can forge or repaint output.
"""

import datetime
import socket
import time
import uuid
import warnings

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable

CACHE_IMAGE_ACTION = "openstack_ops.precache.cache_image"
STORE_COPY_ACTION = "openstack_ops.precache.image_store_copy"
NOVA_PRECACHE_ACTION = "openstack_ops.precache.aggregate_precache"
PUBLISHER = "ansible-precache"
EVENT_PREFIX = "aggregate.cache_images."


def is_cache_image(resolved_action):
    """Whether a task's resolved action is cache_image (also under ansible.legacy/collections)."""
    return bool(resolved_action) and CACHE_IMAGE_ACTION in resolved_action


def is_aggregate_precache(resolved_action):
    """Whether a task's resolved action is aggregate_precache (Nova's own pre-cache)."""
    return bool(resolved_action) and NOVA_PRECACHE_ACTION in resolved_action


def nova_host_results(result):
    """The hosts of an aggregate_precache result, in the order they reported to Nova: a list of
    (host, status ok/failed/skipped, a result as host_outcome() reads it, seconds since the
    run's start). Nova's notifications give no reason for a failure."""
    hosts = (result or {}).get("hosts") or {}
    reports = []
    for host, record in sorted(hosts.items(), key=lambda item: item[1].get("index") or 0):
        failed = [str(i) for i in record.get("images_failed") or []]
        status = record.get("status") if record.get("status") in ("ok", "failed", "skipped") \
            else ("failed" if failed else "ok")
        why = ("skipped by Nova: its compute service was down" if status == "skipped" else
               "failed on the host, as Nova reported it (its nova-compute log says why)")
        reports.append((host, status, {
            "images_cached": [str(i) for i in record.get("images_cached") or []],
            "images_failed": failed, "msg": why}, float(record.get("seconds") or 0)))
    return reports


def is_store_copy(resolved_action):
    """Whether a task's resolved action is image_store_copy."""
    return bool(resolved_action) and STORE_COPY_ACTION in resolved_action


def _store_copy_outcome(runs, store):
    """{image id: (status, msg)} for `store` from image_store_copy runs, or None when no run
    asked for it. `runs` are {"stores": the stores asked for, "result": the module's result};
    a run that failed before any copy (its checks) gives every image its message, under "*".
    """
    outcome = None
    for run in runs or []:
        if not isinstance(run, dict) or store not in (run.get("stores") or []):
            continue
        result = run.get("result") or {}
        outcome = {}
        copies = [c for c in result.get("copies") or [] if isinstance(c, dict)]
        for copy in copies:
            if copy.get("store") == store:
                outcome[str(copy.get("id"))] = (copy.get("status"), copy.get("msg") or "")
        if not copies:
            outcome["*"] = ("failed", str(result.get("msg") or "image_store_copy failed"))
    return outcome


def rbd_store(result):
    """The Glance store an rbd host's cache_image result waits for, or None."""
    if not isinstance(result, dict) or not result.get("images_unsupported"):
        return None
    return result.get("glance_store") or None


def with_store_copies(result, runs):
    """An rbd host's cache_image result with its images counted by its Glance store.

    Its `unsupported` images (not cached locally: Nova clones them from Ceph) are cached when
    image_store_copy found or put them in the host's store (`glance_store`), skipped when it
    only looked (copy_missing false, keep-warm) and they are not there, and failed otherwise,
    with the copy's reason; `failed` and `msg` follow. Any other result, or one whose store no
    run asked for, is returned as it is.
    """
    store = rbd_store(result)
    outcome = _store_copy_outcome(runs, store) if store else None
    if outcome is None:
        return result
    result = dict(result)
    cached = list(result.get("images_cached") or [])
    failed = list(result.get("images_failed") or [])
    skipped = list(result.get("images_skipped") or [])
    reasons = {}
    for image_id in [str(i) for i in result["images_unsupported"]]:
        status, msg = outcome.get(image_id, outcome.get("*", (
            "failed", "image_store_copy did not report this image for store %s" % store)))
        if status in ("present", "copied"):
            cached.append(image_id)
            reasons[image_id] = (status, "in Glance store %s (%s), which this rbd host clones "
                                         "from" % (store, status))
        elif status == "missing":
            skipped.append(image_id)
            reasons[image_id] = (status, "not in Glance store %s, which this rbd host clones "
                                         "from, and not copied there (keep-warm)" % store)
        else:
            failed.append(image_id)
            reasons[image_id] = (status, "not in Glance store %s, which this rbd host clones "
                                         "from: %s" % (store, msg))
    result["images"] = [dict(image, store_status=reasons[str(image.get("id"))][0],
                             msg=reasons[str(image.get("id"))][1])
                        if isinstance(image, dict) and str(image.get("id")) in reasons else image
                        for image in result.get("images") or []]
    result.update(images_cached=cached, images_failed=failed, images_skipped=skipped,
                  images_unsupported=[])
    if failed:
        result.update(failed=True, msg="%d of %d images failed: %s" % (
            len(failed), len(cached) + len(failed),
            "; ".join(reasons[i][1] if i in reasons else i for i in failed)))
    return result


def publisher_id(host=None):
    """Nova's form, `<binary>:<host>`."""
    return "%s:%s" % (PUBLISHER, host or socket.gethostname())


def _timestamp(now):
    # Nova's notifications carry a naive UTC time with microseconds.
    return datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S.%f")


def envelope(event, payload_name, version, data, publisher, now, message_id=None):
    """One notification in Nova's versioned envelope, as a JSON-able dict."""
    return {
        "priority": "INFO",
        "event_type": EVENT_PREFIX + event,
        "publisher_id": publisher,
        "timestamp": _timestamp(now),
        "message_id": message_id or str(uuid.uuid4()),
        "payload": {
            "nova_object.name": payload_name,
            "nova_object.namespace": "nova",
            "nova_object.version": version,
            "nova_object.data": data,
        },
    }


def format_duration(seconds):
    """`0:41`, `12:05`, `1:02:03`."""
    seconds = int(round(max(seconds, 0)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return "%d:%02d:%02d" % (hours, minutes, secs)
    return "%d:%02d" % (minutes, secs)


def progress_line(index, total, host, cached, failed, elapsed):
    """`host 68/95 compute68: 1 cached, 0 failed (72%, ETA 0:41)`."""
    percent = int(round(100.0 * index / total)) if total else 100
    remaining = elapsed / index * (total - index) if index else 0
    return "host %d/%d %s: %d cached, %d failed (%d%%, ETA %s)" % (
        index, total, printable(host), cached, failed, percent, format_duration(remaining))


def image_ids(images):
    """Ids of a cache_image `images` argument (a list of dicts or of ids), when it is known."""
    ids = []
    for image in images if isinstance(images, list) else []:
        if isinstance(image, dict) and image.get("id") and "{{" not in str(image["id"]):
            ids.append(str(image["id"]))
        elif isinstance(image, str) and "{{" not in image:
            ids.append(image)
    return ids


def host_outcome(result, status, planned_ids):
    """What one host's cache_image result means: (cached, failed, bytes, reasons).

    `status` is ok, failed or unreachable. An unreachable host, or a failed one whose result
    does not list its images, has every image of its plan failed. Images a host cannot cache
    (unsupported, on rbd hosts) count as failed, as Nova counts everything not cached.
    """
    result = result or {}
    images = [image for image in result.get("images") or [] if isinstance(image, dict)]
    reasons = {}
    if status == "unreachable" or (status == "failed" and "images_failed" not in result):
        why = result.get("msg") or ("unreachable" if status == "unreachable" else "failed")
        failed = list(planned_ids)
        reasons = dict((image_id, str(why)) for image_id in failed)
        if not failed:
            reasons[""] = str(why)
        return [], failed, 0, reasons
    cached = [str(i) for i in result.get("images_cached") or []]
    failed = [str(i) for i in (result.get("images_failed") or [])
              + (result.get("images_unsupported") or [])]
    for image in images:
        if str(image.get("id")) in failed:
            reasons[str(image.get("id"))] = str(image.get("msg") or image.get("action") or "failed")
    for image_id in failed:
        reasons.setdefault(image_id, str(result.get("msg") or "failed"))
    transferred = sum(int(image.get("bytes_transferred") or 0) for image in images)
    return cached, failed, transferred, reasons


def aggregate_names(value):
    """The names a play's `precache_aggregates` lists, after templating: a list of names or one
    name as a string. None when the play does not set it; ValueError for anything else.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(name, (str, int)) and not isinstance(name, bool) for name in value):
        raise ValueError("precache_aggregates must be a list of aggregate names or one name, "
                         "not %r" % (value,))
    return [str(name) for name in value if str(name)]


def host_aggregate(hostvars, wanted=None):
    """The aggregate (id, uuid, name) a host is reported under, from the host variables the
    aggregates inventory sets (nova_aggregate_ids, nova_aggregate_uuids and nova_aggregates,
    lists in the same order).

    With `wanted` (the names of a play's precache_aggregates), the first of the host's own
    aggregates whose name is wanted; otherwise, or when none is, the host's first aggregate.
    A host without those variables has (None, None, None).
    """
    hostvars = hostvars or {}

    def column(key):
        values = hostvars.get(key)
        return values if isinstance(values, list) else []
    ids, uuids, names = (column("nova_aggregate_ids"), column("nova_aggregate_uuids"),
                         column("nova_aggregates"))
    index = 0
    if wanted:
        wanted = set(str(name) for name in wanted)
        index = next((i for i, name in enumerate(names) if str(name) in wanted), 0)

    def at(values):
        return values[index] if index < len(values) else None
    return (at(ids), at(uuids), at(names))


def make_notifier(url, topic, exchange, publisher):
    """A function that sends a notification with oslo.messaging as Nova does: a Notifier with
    the messagingv2 driver on `topic` in the `exchange` (Nova's control_exchange, `nova`).

    Raises ImportError without oslo.messaging.
    """
    with warnings.catch_warnings():
        # Its dependencies warn on import (eventlet's deprecation, as a plain Warning), which
        # nobody running a playbook can act on.
        warnings.simplefilter("ignore")
        import oslo_messaging
        from oslo_config import cfg

    conf = cfg.ConfigOpts()
    conf(args=[], default_config_files=[], default_config_dirs=[])
    oslo_messaging.set_transport_defaults(control_exchange=exchange)
    transport = oslo_messaging.get_notification_transport(conf, url=url)
    notifier = oslo_messaging.Notifier(transport, publisher_id=publisher, driver="messagingv2",
                                       topics=[topic], retry=1)

    def send(note):
        getattr(notifier, note["priority"].lower())({}, note["event_type"], note["payload"])
    return send


class Aggregate:
    """One aggregate's share of the run: its hosts and the progress reported so far."""

    def __init__(self, ident, uuid_, name, hosts):
        self.id = ident
        self.uuid = uuid_
        self.name = name
        self.hosts = list(hosts)
        self.index = 0
        self.started = False
        self.ended = False

    def data(self):
        return {"id": self.id, "uuid": self.uuid, "name": self.name,
                "hosts": list(self.hosts), "metadata": {}}


class Run:
    """The state of one playbook run and the notifications it produces.

    `identity` maps a host name to its aggregate (id, uuid, name); hosts are added per play with
    all their serial batches at once, so index and total span the whole run.
    """

    def __init__(self, publisher=None, clock=time.time):
        self.publisher = publisher or publisher_id()
        self.clock = clock
        self.started_at = clock()
        self.aggregates = {}
        self.host_aggregate = {}
        self.hosts = {}
        self.image_failures = {}
        self.bytes_downloaded = 0
        self.store_copies = []
        self.waiting = {}

    def add_hosts(self, hosts):
        """Register hosts: a list of (host name, (id, uuid, name)) for the hosts of a play.

        A host keeps the aggregate it was first registered under.
        """
        for host, key in hosts:
            key = tuple(key)
            if host in self.host_aggregate:
                continue
            aggregate = self.aggregates.get(key)
            if aggregate is None:
                aggregate = self.aggregates[key] = Aggregate(key[0], key[1], key[2], [])
            aggregate.hosts.append(host)
            self.host_aggregate[host] = key

    def _notify(self, event, name, version, data, now):
        return envelope(event, name, version, data, self.publisher, now)

    def start(self, host, now):
        """The start notifications due before `host` reports (one per aggregate, once)."""
        if host not in self.host_aggregate:
            self.add_hosts([(host, (None, None, None))])
        aggregate = self.aggregates[self.host_aggregate[host]]
        if aggregate.started:
            return []
        aggregate.started = True
        return [self._notify("start", "AggregatePayload", "1.1", aggregate.data(), now)]

    def start_hosts(self, hosts):
        """The start notifications of the aggregates of `hosts` (a caching task starts)."""
        now, notes = self.clock(), []
        for host in hosts:
            if host in self.host_aggregate:
                notes.extend(self.start(host, now))
        return notes

    def result(self, host, status, result, planned_ids, now=None):
        """Record one host's cache_image result: (notifications, terminal line)."""
        now = self.clock() if now is None else now
        notes = self.start(host, now)
        aggregate = self.aggregates[self.host_aggregate[host]]
        cached, failed, transferred, reasons = host_outcome(result, status, planned_ids)
        aggregate.index += 1
        total = max(len(aggregate.hosts), aggregate.index)
        record = self.hosts.setdefault(host, {"status": "ok", "images_cached": [],
                                              "images_failed": [], "reasons": {},
                                              "host_failed": False})
        if status != "ok" or failed:
            record["status"] = status if status != "ok" else "failed"
        record["images_cached"] = cached
        record["images_failed"] = failed
        record["reasons"].update(reasons)
        # The host itself failed (unreachable, or an error that is no image's), not only images.
        record["host_failed"] = status == "unreachable" or (status == "failed" and (
            "images_failed" not in (result or {}) or not failed))
        # Nova reports a host it skipped (down) with every image failed: not an image's failure.
        for image_id in failed if status != "skipped" else []:
            self.image_failures[image_id] = self.image_failures.get(image_id, 0) + 1
        self.bytes_downloaded += transferred
        data = {"id": aggregate.id, "uuid": aggregate.uuid, "name": aggregate.name,
                "host": host, "index": aggregate.index, "total": total,
                "images_cached": cached, "images_failed": failed}
        notes.append(self._notify("progress", "AggregateCachePayload", "1.0", data, now))
        line = progress_line(aggregate.index, total, host, len(cached), len(failed),
                             now - self.started_at)
        if status == "skipped":
            line += " - skipped by Nova, its compute service is down"
        return notes, line

    def nova_result(self, result):
        """Record an aggregate_precache result (Nova's own run over one aggregate): the
        (notifications, line) pairs of its hosts, in the order they reported, each timed when
        it reported."""
        aggregate = (result or {}).get("aggregate") or {}
        key = (aggregate.get("id"), aggregate.get("uuid"), aggregate.get("name"))
        self.add_hosts([(host, key) for host in aggregate.get("hosts") or []])
        now, elapsed = self.clock(), float((result or {}).get("elapsed") or 0)
        return [self.result(host, status, host_result, [], now=now - max(elapsed - seconds, 0))
                for host, status, host_result, seconds in nova_host_results(result)]

    def host_result(self, host, status, result, planned_ids):
        """Record a cache_image result as result() does, unless it is an rbd host's whose store
        no image_store_copy run asked for yet: that one waits for the run (or for the end).
        Returns the (notifications, line) pairs ready now.
        """
        store = rbd_store(result)
        if store and _store_copy_outcome(self.store_copies, store) is None:
            self.waiting[host] = (status, result, planned_ids)
            return []
        return [self.result(host, status, with_store_copies(result, self.store_copies),
                            planned_ids)]

    def store_copy(self, stores, result):
        """Record an image_store_copy result; return the (notifications, line) pairs of the rbd
        hosts waiting for these stores, now counted by them."""
        self.store_copies.append({"stores": list(stores or []), "result": result})
        ready = []
        for host, (status, waiting, planned_ids) in list(self.waiting.items()):
            if _store_copy_outcome(self.store_copies, rbd_store(waiting)) is not None:
                del self.waiting[host]
                ready.append(self.result(host, status, with_store_copies(
                    waiting, self.store_copies), planned_ids))
        return ready

    def flush_waiting(self):
        """The rbd hosts still waiting (no copy ran for their store), their images failed."""
        ready = [self.result(host, status, result, planned_ids)
                 for host, (status, result, planned_ids) in self.waiting.items()]
        self.waiting = {}
        return ready

    def end(self):
        """The end notifications of the aggregates that started and have not ended."""
        notes, now = [], self.clock()
        for aggregate in self.aggregates.values():
            if aggregate.started and not aggregate.ended:
                aggregate.ended = True
                notes.append(self._notify("end", "AggregatePayload", "1.1", aggregate.data(), now))
        return notes

    def summary(self):
        """The run's summary, as a JSON-able dict."""
        failing = dict((host, {"status": record["status"], "reasons": record["reasons"]})
                       for host, record in sorted(self.hosts.items())
                       if record["status"] != "ok")
        return {
            "hosts_completed": len(self.hosts),
            "errors": sum(len(record["images_failed"]) for record in self.hosts.values()
                          if record["status"] != "skipped"),
            "elapsed": round(self.clock() - self.started_at, 3),
            "failing_hosts": failing,
            "image_failures": dict(sorted(self.image_failures.items())),
            "bytes_downloaded": self.bytes_downloaded,
            "hosts_not_attempted": [host for host in self.host_aggregate if host not in self.hosts],
        }


def named_ids(selection):
    """Ids of the images the operator named (validate_images' `selection`, selector explicit);
    None without a selection, when every image counts as named."""
    if not selection:
        return None
    return {str(entry.get("id")) for entry in selection
            if any(reason.get("selector") == "explicit"
                   for reason in entry.get("selected_by") or [] if isinstance(reason, dict))}


def counted_failures(run, named=None, fail_on_selected=False):
    """(hosts that fail, hosts where only selected images failed), each sorted.

    A host fails when it failed itself (unreachable, or an error that is no image's), or when
    an image the operator named failed on it. An image that only a tag, a query or popularity
    selected is that image's failure: it fails no host (and stops no rollout), unless
    `fail_on_selected`. `named` None (no selection known) counts every image as named.
    """
    failed, selected_only = [], []
    for host, record in sorted(run.hosts.items()):
        if record["status"] in ("ok", "skipped"):
            continue
        if (record["host_failed"] or fail_on_selected or named is None
                or set(record["images_failed"]) & named):
            failed.append(host)
        else:
            selected_only.append(host)
    return failed, selected_only


def _reason(reason):
    selector = reason.get("selector")
    if selector == "tag":
        return "tags %s" % ", ".join(str(tag) for tag in reason.get("tags") or [])
    if selector == "query":
        return "query %s" % reason.get("query")
    if selector == "popular":
        where = " in %s" % reason["aggregate"] if reason.get("aggregate") else ""
        return "popular, %s instances%s" % (reason.get("instances"), where)
    return "named (%s)" % reason.get("reference") if reason.get("reference") else str(selector)


def selection_lines(selection):
    """Why each image is in the plan (validate_images' `selection`), as lines of text."""
    if not selection:
        return []
    return ["Images in the plan, and why:"] + [
        "  %s (%s): %s" % (printable(entry.get("name")), printable(entry.get("id")), printable(
            "; ".join(_reason(reason) for reason in entry.get("selected_by") or [])))
        for entry in selection]


def ignored_lines(ignored):
    """The images the selections left out (validate_images' `ignored`), as lines of text."""
    if not ignored:
        return []
    return ["Images left out of the selection, and why:"] + [
        "  %s (%s), from %s: %s" % (printable(entry.get("name")), printable(entry.get("id")),
                                    printable(entry.get("source")), printable(entry.get("reason")))
        for entry in ignored]


def finish_summary(summary, selection=None, ignored=None):
    """A filter's summary: Run.summary() plus `selection` and `ignored`, their lines, and all
    the lines."""
    summary["selection"] = list(selection or [])
    summary["selection_lines"] = selection_lines(summary["selection"])
    summary["ignored"] = list(ignored or [])
    summary["lines"] = (summary_lines(summary) + summary["selection_lines"]
                        + ignored_lines(summary["ignored"]))
    return summary


def summary_lines(summary):
    """The summary for the terminal, like the watcher in Nova's pre-cache announcement."""
    lines = ["Completed %d hosts, %d errors in %s, %d bytes downloaded" % (
        summary["hosts_completed"], summary["errors"], format_duration(summary["elapsed"]),
        summary["bytes_downloaded"])]
    selected_only = set(summary.get("hosts_failed_by_selected_images") or ())
    if summary["failing_hosts"]:
        lines.append("Errors from hosts:")
        for host, record in summary["failing_hosts"].items():
            reasons = "; ".join("%s: %s" % (image, why) if image else why
                                for image, why in sorted(record["reasons"].items()))
            note = (", only images selected by tag, query or popularity: not counted as the "
                    "host's failure" if host in selected_only else "")
            lines.append("  %s (%s%s): %s" % (printable(host), printable(record["status"]), note,
                                              printable(reasons)))
    for image, count in summary["image_failures"].items():
        lines.append("Image %s failed %d time%s" % (printable(image), count,
                                                    "" if count == 1 else "s"))
    if summary["hosts_not_attempted"]:
        lines.append("Not attempted: %s" % printable(", ".join(summary["hosts_not_attempted"])))
    return lines
