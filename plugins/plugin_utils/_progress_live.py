# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The live line of a serial batch while its hosts download: bytes, rate, ETA, the slowest.

The role polls each host of a batch with cache_progress (an until loop); every poll that finds
the host still working brings its status file's sample (host/progress_status, version 1). A
Batch keeps the last sample of each host and makes one line per round, once every host still
working has reported since the last line, or once one and a half intervals went by without
that (a host waiting for a free fork is not polled yet). Nothing here touches Ansible.
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import (
    printable)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._progress_text import (
    format_duration)

PHASES = {
    "starting": "starting",
    "lock": "waiting for Nova's lock",
    "refresh": "checking a cached image",
    "download": "downloading",
    "inspect": "inspecting",
    "convert": "converting to raw",
    "install": "installing",
    "done": "finishing",
}
# A round's line waits this many intervals for its last hosts (those waiting for a fork).
_LATE = 1.5


def short_bytes(count):
    """`4.1 GiB`, `512 KiB`, `17 bytes`."""
    value = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    return "%d bytes" % count if unit == "bytes" else "%.1f %s" % (value, unit)


def _count(sample, key):
    value = sample.get(key) if isinstance(sample, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def batch_sizes(serial, hosts):
    """The sizes of the serial batches of `hosts` hosts, as Ansible cuts them: `serial` a list
    of counts or percentages (the last one repeated), empty or 0 for one batch."""
    sizes, left, index = [], hosts, 0
    serial = [value for value in (serial or []) if value not in (None, "")]
    while left > 0:
        value = serial[min(index, len(serial) - 1)] if serial else 0
        text = str(value).strip()
        if text.endswith("%"):
            size = int(float(text[:-1]) / 100.0 * hosts)
            size = max(size, 1)
        else:
            size = int(text) or left
        size = min(size, left)
        sizes.append(size)
        left -= size
        index += 1
    return sizes


class Batch:
    """One serial batch's hosts while they cache: their samples, and the lines they make.

    `interval` is the role's precache_progress_interval: a host whose bytes did not move over a
    whole interval while downloading is named as stalled.
    """

    def __init__(self, index, total, hosts, interval, now):
        self.index, self.total = index, total
        self.hosts = list(hosts)
        self.interval = float(interval or 0)
        self.samples = {}
        self.moved = {}
        self.finished = {}
        self.last_line = now
        self.reported = set()

    def finish(self, host, result):
        """A host's final result: its bytes count as done and the host no longer works."""
        result = result if isinstance(result, dict) else {}
        self.finished[host] = (_count(result, "bytes_from_glance"),
                               _count(result, "bytes_from_peers"))
        self.reported.discard(host)

    def sample(self, host, progress, now):
        """A poll's sample of a host still working: the batch's line when the round is
        complete (or an interval passed since the last line), else None."""
        if host in self.finished:
            return None
        if host not in self.hosts:
            self.hosts.append(host)
        progress = progress if isinstance(progress, dict) else {}
        previous = self.samples.get(host)
        if previous is None or _count(progress, "bytes") != _count(previous, "bytes"):
            self.moved[host] = now
        self.samples[host] = progress
        self.reported.add(host)
        working = [name for name in self.hosts if name not in self.finished]
        if (not all(name in self.reported for name in working)
                and now - self.last_line < _LATE * self.interval):
            return None
        return self.line(now)

    def _stalled(self, host, now):
        sample = self.samples.get(host) or {}
        return (sample.get("phase") == "download" and self.interval > 0
                and now - self.moved.get(host, now) >= self.interval)

    def _eta(self, host):
        """Seconds the host still needs at its rate; None when it has bytes left but no rate."""
        sample = self.samples.get(host) or {}
        left = max(_count(sample, "total") - _count(sample, "bytes"), 0)
        rate = _count(sample, "rate")
        if not left:
            return 0.0
        return left / float(rate) if rate else None

    def _state(self, host, now):
        sample = self.samples.get(host)
        if sample is None:
            return "not polled yet"
        if self._stalled(host, now):
            return "stalled, no bytes for %s" % format_duration(now - self.moved[host])
        phase = PHASES.get(sample.get("phase"), "working")
        images = _count(sample, "images")
        if images > 1 and _count(sample, "image_index"):
            phase += " image %d/%d" % (_count(sample, "image_index"), images)
        if sample.get("phase") == "download" and sample.get("source") not in (None, "glance"):
            phase += " from %s" % sample["source"]
        return phase

    def data(self, now):
        """The batch's state as a JSON-able dict (the progress file's event payload)."""
        working = [host for host in self.hosts if host not in self.finished]
        done = sum(sum(counts) for counts in self.finished.values())
        total = done
        glance = sum(counts[0] for counts in self.finished.values())
        peers = sum(counts[1] for counts in self.finished.values())
        rate = 0
        for host in working:
            sample = self.samples.get(host) or {}
            done += _count(sample, "bytes")
            total += max(_count(sample, "total"), _count(sample, "bytes"))
            glance += _count(sample, "bytes_glance")
            peers += _count(sample, "bytes_peers")
            rate += _count(sample, "rate")
        etas = dict((host, self._eta(host)) for host in working)
        unknown = [host for host, eta in etas.items() if eta is None]
        slowest = None
        if working:
            stalled = [host for host in working if self._stalled(host, now)]
            order = stalled or unknown or sorted(working, key=lambda host: -(etas[host] or 0))
            slowest = order[0]
        return {
            "batch": self.index, "batches": self.total, "hosts": len(self.hosts),
            "working": working, "bytes": done, "total": total, "bytes_glance": glance,
            "bytes_peers": peers, "rate": rate,
            "eta": None if unknown or not working else round(max(etas.values()), 1),
            "stalled": [host for host in working if self._stalled(host, now)],
            "slowest": slowest, "slowest_state": self._state(slowest, now) if slowest else None,
            "states": dict((host, self._state(host, now)) for host in working),
        }

    def line(self, now):
        """`batch 1/3: 7/10 hosts working, 4.1 of 20.0 GiB (20%), 118.0 MiB/s, ETA 2:31;
        slowest compute7 (waiting for Nova's lock)`, and the data it shows."""
        self.last_line = now
        self.reported = set()
        data = self.data(now)
        percent = int(100.0 * data["bytes"] / data["total"]) if data["total"] else 100
        text = "batch %d/%d: %d/%d hosts working, %s of %s (%d%%" % (
            data["batch"], data["batches"], len(data["working"]), data["hosts"],
            short_bytes(data["bytes"]), short_bytes(data["total"]), percent)
        if data["bytes_peers"]:
            text += "; %s from Glance, %s on the LAN" % (
                short_bytes(data["bytes_glance"]), short_bytes(data["bytes_peers"]))
        eta = "unknown" if data["eta"] is None else format_duration(data["eta"])
        text += "), %s/s, ETA %s" % (short_bytes(data["rate"]), eta)
        if data["stalled"]:
            text += "; stalled: %s" % printable(", ".join(data["stalled"]))
        if data["slowest"] and data["slowest"] not in data["stalled"]:
            text += "; slowest %s (%s)" % (printable(data["slowest"]),
                                           printable(data["slowest_state"]))
        return text, data
