# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""One run of Nova's aggregate image pre-cache, from its versioned notifications, with no I/O.

The conductor (`cache_images` in nova/conductor/manager.py) sends `aggregate.cache_images.start`,
one `aggregate.cache_images.progress` per host when that host's call returns (a skipped, down
host at once), and `aggregate.cache_images.end`. AggregateRun takes them one by one
(notification_watch.py hands them over) and makes the result; unit tests feed it directly.

Nova's payloads carry no request id: a run is told apart by its aggregate and by the start/end
envelope. The first start of the aggregate seen after the watch began opens the run; progress
before it (of an earlier run still going) is ignored; the end closes it. Two pre-cache runs of
the same aggregate at the same time cannot be told apart.
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.oslo_bus import (
    EVENT_PREFIX)


def _data(payload):
    data = (payload or {}).get("nova_object.data")
    return data if isinstance(data, dict) else {}


NO_RESULT = ("Nova sent no result for this host: nova-conductor's cache_images call to its "
             "nova-compute failed or timed out, for example because nova-compute restarted or "
             "hangs (after [DEFAULT] rpc_response_timeout, 60 s by default, without a heartbeat "
             "from it, or long_rpc_timeout, 1800 s, in all); the nova-conductor log says which")


def _merged(first, second):
    return first + [item for item in second if item not in first]


class AggregateRun:
    """The state of the pre-cache runs of one aggregate, from their notifications.

    `aggregate` is the aggregate's id, uuid or name, or None to follow the first run of any
    aggregate that starts. `down` names the hosts known to be down (Nova skips them and
    reports all their images failed): they are reported as skipped.

    One request makes one run (start, progress per host, end). A module that makes several
    requests, one after the other's end, calls expect() before each: the run then ends with
    the end of the last, and each host's images add up over them. Without expect() (watch
    mode) one run is followed, whose images are those its hosts reported.

    Nova's conductor sends a host's progress only when its cache_images call returns; a call
    that times out or fails sends nothing, and the end still comes. So at each end, a host of
    the aggregate that did not report is failed, its images with it (NO_RESULT).
    """

    def __init__(self, aggregate=None, down=()):
        self.wanted = None if aggregate is None else str(aggregate)
        self.down = set(down)
        self.aggregate = None
        self.hosts = {}
        self.order = []
        self.started_at = None
        self.ended_at = None
        self.notifications = 0
        self.requests = []
        self.rounds = 0
        self.unreported = set()
        self._open = False
        self._members = []
        self._reported = set()
        self._images = []

    @property
    def started(self):
        return self.started_at is not None

    @property
    def ended(self):
        return self.started and not self._open and self.rounds >= max(len(self.requests), 1)

    def expect(self, image_ids):
        """A request for `image_ids` is about to be made: follow its run too."""
        self.requests.append(list(image_ids))
        self._reported = set()

    def withdraw(self):
        """The request expect() announced was refused: Nova starts no run for it."""
        self.requests.pop()

    def _ours(self, data):
        if self.aggregate is not None:
            return data.get("id") == self.aggregate["id"]
        return self.wanted is None or self.wanted in (
            str(data.get("id")), str(data.get("uuid")), str(data.get("name")))

    def feed(self, event_type, payload, now):
        """Take one notification; whether it belongs to this run."""
        if not str(event_type).startswith(EVENT_PREFIX):
            return False
        event = event_type[len(EVENT_PREFIX):]
        data = _data(payload)
        if not self._ours(data) or self.ended:
            return False
        if event == "start":
            if self._open:
                return False
            self._start(data, now)
        elif not self._open:
            return False
        elif event == "progress":
            self._progress(data, now)
        elif event == "end":
            self._end(now)
        else:
            return False
        self.notifications += 1
        return True

    def _start(self, data, now):
        self._members = list(data.get("hosts") or [])
        if not self.started:
            self.aggregate = {"id": data.get("id"), "uuid": data.get("uuid"),
                              "name": data.get("name"), "hosts": list(self._members)}
            self.started_at = now
        self._open = True
        self._reported = set()
        self._images = []

    def _record(self, host, now):
        """The host's record, moved to the end of the order (hosts in the order of their
        last report)."""
        if host in self.hosts:
            self.order.remove(host)
        self.order.append(host)
        record = self.hosts.setdefault(host, {"index": None, "total": None, "images_cached": [],
                                              "images_failed": []})
        record["seconds"] = round(now - self.started_at, 3)
        return record

    def _progress(self, data, now):
        host = data.get("host")
        cached = list(data.get("images_cached") or [])
        failed = list(data.get("images_failed") or [])
        record = self._record(host, now)
        record.update(index=data.get("index"), total=data.get("total"),
                      images_cached=_merged(record["images_cached"], cached),
                      images_failed=_merged(record["images_failed"], failed))
        self._reported.add(host)
        self._images = _merged(self._images, cached + failed)

    def _end(self, now):
        self._open = False
        self.rounds += 1
        asked = self.requests[self.rounds - 1] if self.rounds <= len(self.requests) else None
        images = self._images if asked is None else asked
        for host in [host for host in self._members if host not in self._reported]:
            record = self._record(host, now)
            record.update(total=record["total"] or len(self._members), msg=NO_RESULT,
                          images_failed=_merged(record["images_failed"], images))
            self.unreported.add(host)
        self._reported = set()
        self.ended_at = now

    def _status(self, host, record):
        if host in self.unreported:
            return "failed"
        if record["images_failed"] and not record["images_cached"] and host in self.down:
            return "skipped"
        return "failed" if record["images_failed"] else "ok"

    def result(self, now):
        """The run's result (see the aggregate_precache module's RETURN)."""
        hosts = {}
        for host in self.order:
            record = dict(self.hosts[host])
            record["status"] = self._status(host, record)
            hosts[host] = record
        members = (self.aggregate or {}).get("hosts") or []
        failed = sorted(host for host, record in hosts.items() if record["status"] == "failed")
        images_failed = {}
        for host in failed:
            for image_id in hosts[host]["images_failed"]:
                images_failed[image_id] = images_failed.get(image_id, 0) + 1
        ended = self.ended
        until = self.ended_at if ended else now
        return {
            "started": self.started,
            "complete": ended,
            "hosts": hosts,
            "hosts_skipped": sorted(h for h, r in hosts.items() if r["status"] == "skipped"),
            "hosts_failed": failed,
            "hosts_unreported": sorted(self.unreported),
            "hosts_pending": [] if ended else [host for host in members
                                               if host not in self._reported],
            "image_failures": dict(sorted(images_failed.items())),
            "notifications": self.notifications,
            "elapsed": round(until - self.started_at, 3) if self.started else 0.0,
        }
