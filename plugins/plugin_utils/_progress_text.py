# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The progress of a run as text for the terminal: a line per host, the summary, the plan.

Every line shows the cloud's text through printable(): host names, image names and ids, and
the messages that quote them, so that none can forge or repaint output.
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable


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
    for site, counts in sorted((summary.get("sites") or {}).items()):
        lines.append("Site %s: %d hosts, %d bytes from Glance, %d bytes over its LAN" % (
            printable(site), counts["hosts"], counts["bytes_from_glance"],
            counts["bytes_from_peers"]))
    for store, entry in sorted((summary.get("stores") or {}).items()):
        counts = ", ".join("%d %s" % (len(ids), status.replace("_", " "))
                           for status, ids in sorted(entry["images"].items()))
        lines.append("Glance store %s: %s" % (printable(store), counts or "no copy"))
        lines.extend("  %s" % printable(problem) for problem in entry["problems"])
    return lines
