# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The state of one pre-cache run: its aggregates, its hosts, their results as they arrive.

The progress callback plugin's and the summary filters' logic as plain code: Run keeps the
state of one playbook run and returns the notifications (_progress_notifications) and the
lines (_progress_text) to write; nothing here touches Ansible, so unit tests drive it directly.
Which aggregate a host is reported under comes from the host variables the aggregates
inventory sets (host_aggregate) and a play's precache_aggregates (aggregate_names).
"""

import time

from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_live import Batch
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_notifications import (
    batch_event, envelope, publisher_id)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_results import (
    host_outcome, nova_host_results, rbd_store, store_copy_outcome, stores_summary,
    with_store_copies)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import (
    printable)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_text import (
    progress_line)


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
        self.sites = {}
        # The serial batch whose hosts cache asynchronously now, and its (task, batch number): a
        # new task, such as the next wave of a site run, or the next batch, starts a new Batch.
        self.batch = None
        self._batch_task = None

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
        if self.batch is not None:
            self.batch.finish(host, result)
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
        line += self._site(result)
        return notes, line

    def _site(self, result):
        """Count a site host's bytes by where they came from (its cache_image `site`); the
        line's ending that names its peers, or ""."""
        result = result if isinstance(result, dict) else {}
        if result.get("site") is None:
            return ""
        site = self.sites.setdefault(str(result["site"]), {
            "hosts": 0, "bytes_from_glance": 0, "bytes_from_peers": 0})
        site["hosts"] += 1
        site["bytes_from_glance"] += int(result.get("bytes_from_glance") or 0)
        site["bytes_from_peers"] += int(result.get("bytes_from_peers") or 0)
        peers = sorted({str(image["source"]) for image in result.get("images") or []
                        if isinstance(image, dict) and image.get("source") not in (None, "glance")})
        return " - from %s" % printable(", ".join(peers)) if peers else ""

    def job_started(self, task, host, batch, batches):
        """A host's cache_image started as an asynchronous job of `task`, in serial batch
        `batch` of `batches`."""
        if (task, batch) != self._batch_task or self.batch is None:
            self._batch_task = (task, batch)
            self.batch = Batch(batch, batches, [], 0, self.clock())
        if host not in self.batch.hosts:
            self.batch.hosts.append(host)

    def job_progress(self, host, progress, interval):
        """A poll's sample of a host still caching, the poll waiting up to `interval` seconds:
        the batch's (event, line), or None."""
        if self.batch is None:
            return None
        now = self.clock()
        self.batch.interval = float(interval or 0)
        shown = self.batch.sample(host, progress, now)
        if shown is None:
            return None
        line, data = shown
        return batch_event(data, self.publisher, now), line

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
        if store and store_copy_outcome(self.store_copies, store) is None:
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
            if store_copy_outcome(self.store_copies, rbd_store(waiting)) is not None:
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
            "stores": stores_summary(self.store_copies),
            "sites": {site: dict(counts) for site, counts in sorted(self.sites.items())},
        }


def summary_run(started_at=None, store_copies=None):
    """A Run for a summary filter: started at `started_at` (epoch seconds), with the copies into
    the Glance stores of rbd hosts (`store_copies`, {stores, result} each)."""
    run = Run()
    run.store_copies = list(store_copies or [])
    if started_at is not None:
        run.started_at = float(started_at)
    return run


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
