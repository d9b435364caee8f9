# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0), or at your
# option the GNU General Public License version 3 or later (https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is cached where: a matrix of hosts x images from the hosts' image_cache_info results."""

DOCUMENTATION = r"""
name: cache_report
short_description: Build the hosts x images matrix of what is cached where
version_added: 0.1.0
description:
  - Turns the registered results of M(openstack_ops.precache.image_cache_info) on a list of hosts
    into a matrix of hosts x images, each cell V(in_use), V(expiring) (not in use and removable
    by Nova's image cache manager within O(expiring_hours)), V(cached), V(missing), or
    V(unknown) (the host failed or was not reached).
  - Returns the matrix as data, and rendered as JSON, as Markdown, as a self-contained HTML
    page and as the lines of a compact table.
  - The images are O(images) when O(only_images) is true; otherwise every original image
    cached on any of the hosts. O(images) names them, matched by Nova's file name
    C(sha1(image id)); an image no one can name is shown by that file name.
  - 'Names, ids, host names and messages are data: the table''s lines show their control
    characters escaped (C(\x1b)); every Markdown cell escapes HTML, pipes, backticks,
    emphasis and line breaks, so that a row stays one row of text; the HTML page escapes
    HTML. The result is marked unsafe, so that nothing in it is ever templated.'

positional: _input, hostvars
extends_documentation_fragment:
  - openstack_ops.precache.registered_results
options:
  images:
    description: Images as ids or records with C(id) and C(name) (what C(validate_images)
      returns in C(images)), to name the images and, with O(only_images), to choose them.
    type: list
    elements: raw
    default: []
  only_images:
    description: Whether the columns are O(images) only, rather than everything cached.
    type: bool
    default: false
  expiring_hours:
    description: A cached image that no instance uses and that Nova may remove within this many
      hours is V(expiring).
    type: float
    default: 12
  result_var:
    description: The variable each host registered the result of C(image_cache_info) in.
    type: str
    default: precache_cache_info
"""

EXAMPLES = r"""
- name: Build the report
  ansible.builtin.set_fact:
    report: "{{ ansible_play_hosts_all | openstack_ops.precache.cache_report(hostvars, images=plan.images, only_images=true) }}"
  run_once: true

- name: Print it
  ansible.builtin.debug:
    msg: "{{ report.lines }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The report.
  type: dict
  contains:
    expiring_hours:
      description: O(expiring_hours).
      type: float
    images:
      description: The columns, each with C(key) (the image id, or the file name when the id is
        unknown), C(id), C(name) and C(file) (C(sha1(id))).
      type: list
      elements: dict
    hosts:
      description: The rows, each with C(host), C(status) (V(ok), V(failed), V(unreachable),
        V(not run)), C(msg), C(cache_dir), C(free) and C(total) bytes of its filesystem.
      type: list
      elements: dict
    matrix:
      description: Per host, per image key, the cell, with C(state) and, when cached, C(size),
        C(disk_usage), C(mtime), C(expires_in) and C(used_by).
      type: dict
    counts:
      description: Per image key, the number of hosts in each state.
      type: dict
    lines:
      description: The compact table, as lines of text.
      type: list
      elements: str
    json:
      description: The data (all but the renderings) as indented JSON, with a final newline.
      type: str
    markdown:
      description: The report as Markdown.
      type: str
    html:
      description: The report as a self-contained HTML page.
      type: str
"""

import hashlib
import html
import json
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._registered import (
    host_status, registered_results)
from ansible_collections.openstack_ops.precache.plugins.plugin_utils._unsafe import unsafe

IN_USE = "in_use"
EXPIRING = "expiring"
CACHED = "cached"
MISSING = "missing"
UNKNOWN = "unknown"
STATES = (IN_USE, EXPIRING, CACHED, MISSING, UNKNOWN)
_LABELS = {IN_USE: "in use", EXPIRING: "expiring", CACHED: "cached", MISSING: "missing",
           UNKNOWN: "?"}
_COLOURS = {IN_USE: "#1b5e20", EXPIRING: "#e65100", CACHED: "#2e7d32", MISSING: "#b71c1c",
            UNKNOWN: "#616161"}
_SHORT_ID = 8
# What Markdown (CommonMark and GFM tables) gives a meaning to inside a cell.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")


def _images(images):
    """{sha1 file name: {id, name}} of the images given as ids or records."""
    known = {}
    for image in images or ():
        image_id, name = ((image.get("id"), image.get("name")) if isinstance(image, dict)
                          else (image, None))
        if not image_id:
            raise AnsibleFilterError("cache_report: image %r has no id" % (image,))
        image_id = str(image_id)
        known[hashlib.sha1(image_id.encode("utf-8")).hexdigest()] = {
            "key": image_id, "id": image_id, "name": name,
            "file": hashlib.sha1(image_id.encode("utf-8")).hexdigest()}
    return known


def _host_status(result):
    status = host_status(result)
    return status, result.get("msg", "") if status in ("unreachable", "failed") else ""


def _cell(record, expiring_seconds):
    if record is None:
        return {"state": MISSING}
    if record["in_use"]:
        state = IN_USE
    elif record.get("expires_in") is not None and record["expires_in"] <= expiring_seconds:
        state = EXPIRING
    else:
        state = CACHED
    return {"state": state, "size": record["size"], "disk_usage": record["disk_usage"],
            "mtime": record["mtime"], "expires_in": record.get("expires_in"),
            "used_by": record.get("used_by", [])}


def cache_report(hosts, hostvars, images=None, only_images=False, expiring_hours=12,
                 result_var="precache_cache_info"):
    """The report (see DOCUMENTATION)."""
    results = registered_results("cache_report", hosts, hostvars, result_var)
    known = _images(images)
    expiring_seconds = float(expiring_hours) * 3600
    rows, files_by_host = [], {}
    for host, result in results:
        status, msg = _host_status(result)
        row = {"host": host, "status": status, "msg": msg, "cache_dir": None, "free": None,
               "total": None}
        if status == "ok":
            row.update(cache_dir=result.get("cache_dir"), free=result["filesystem"]["free"],
                       total=result["filesystem"]["total"])
            files_by_host[host] = {f["name"]: f for f in result["files"]
                                   if f["kind"] == "original"}
        rows.append(row)
    if only_images:
        columns = list(known.values())
    else:
        seen = sorted({name for files in files_by_host.values() for name in files})
        columns = [known.get(name) or {"key": name, "id": None, "name": None, "file": name}
                   for name in seen]
        columns.sort(key=lambda c: (c["name"] is None, c["name"] or "", c["key"]))
    matrix, counts = {}, {}
    for row in rows:
        cells = matrix.setdefault(row["host"], {})
        for column in columns:
            if row["host"] in files_by_host:
                cell = _cell(files_by_host[row["host"]].get(column["file"]), expiring_seconds)
            else:
                cell = {"state": UNKNOWN}
            cells[column["key"]] = cell
            tally = counts.setdefault(column["key"], dict.fromkeys(STATES, 0))
            tally[cell["state"]] += 1
    report = {"expiring_hours": float(expiring_hours), "images": columns, "hosts": rows,
              "matrix": matrix, "counts": counts}
    # Rendered here rather than by to_nice_json in a playbook: a string a template makes is no
    # longer unsafe, and ansible-core 2.16 renders a loop item's strings again.
    report["json"] = json.dumps(report, indent=4, sort_keys=True) + "\n"
    report["lines"] = _table(report)
    report["markdown"] = _markdown(report)
    report["html"] = _html(report)
    return unsafe(report)


def _label(column):
    """How a column is named in the text table and the Markdown, control characters escaped."""
    if column["name"]:
        return "%s (%s)" % (printable(column["name"]), printable(column["id"][:_SHORT_ID]))
    return printable(column["key"])


def md_cell(value):
    """Text as one Markdown table cell that renders as that text: HTML, pipes, backticks,
    emphasis and links escaped, control characters (line breaks too) shown as `\\xNN`."""
    text = html.escape(printable(value), quote=False)
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def _table(report):
    """The compact text table: one line per image, one column per host."""
    hosts = [printable(row["host"]) for row in report["hosts"]]
    if not report["images"]:
        return ["no images cached on %s" % (", ".join(hosts) or "no hosts")]
    first = max(len("image"), *(len(_label(c)) for c in report["images"]))
    widths = [max(len(host), *(len(label) for label in _LABELS.values())) for host in hosts]
    lines = ["  ".join(["image".ljust(first)] + [h.ljust(w) for h, w in zip(hosts, widths)])
             .rstrip()]
    for column in report["images"]:
        cells = [_LABELS[report["matrix"][h][column["key"]]["state"]].ljust(w)
                 for h, w in zip(hosts, widths)]
        lines.append("  ".join([_label(column).ljust(first)] + cells).rstrip())
    problems = [("%s: %s %s" % (printable(row["host"]), row["status"], printable(row["msg"])))
                .rstrip() for row in report["hosts"] if row["status"] != "ok"]
    return lines + problems


def _hours(seconds):
    return "%.1f h" % (seconds / 3600.0)


def _cell_text(cell):
    text = _LABELS[cell["state"]]
    if cell["state"] == EXPIRING:
        text += ", in %s" % _hours(max(cell["expires_in"], 0))
    elif cell["state"] == IN_USE:
        text += " (%d)" % len(cell["used_by"])
    return text


def _markdown(report):
    hosts = [row["host"] for row in report["hosts"]]
    out = ["# Image cache report", "",
           "Expiring: not in use, and Nova may remove it within %g hours." % report["expiring_hours"],
           ""]
    if report["images"]:
        out.append("| image | id | " + " | ".join(md_cell(h) for h in hosts) + " |")
        out.append("| --- | --- |" + " --- |" * len(hosts))
        for column in report["images"]:
            cells = [_cell_text(report["matrix"][h][column["key"]]) for h in hosts]
            out.append("| %s | %s | %s |" % (
                md_cell(column["name"]), md_cell(column["key"]), " | ".join(cells)))
    else:
        out.append("No images cached on these hosts.")
    out += ["", "| host | status | cache dir | free |", "| --- | --- | --- | --- |"]
    for row in report["hosts"]:
        free = "" if row["free"] is None else "%.1f GiB" % (row["free"] / 1024.0 ** 3)
        status = row["status"] + (": " + row["msg"] if row["msg"] else "")
        out.append("| %s | %s | %s | %s |" % (md_cell(row["host"]), md_cell(status),
                                              md_cell(row["cache_dir"]), free))
    return "\n".join(out) + "\n"


def _esc(value):
    return html.escape(printable(value))


def _html(report):
    esc = _esc
    hosts = [row["host"] for row in report["hosts"]]
    style = " ".join(".%s{background:%s;color:#fff}" % (state, colour)
                     for state, colour in _COLOURS.items())
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<title>Image cache report</title>",
           "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
           "margin-bottom:2em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}"
           "code{font-size:90%%}%s</style></head><body>" % style,
           "<h1>Image cache report</h1>",
           "<p>Expiring: not in use, and Nova may remove it within %g hours.</p>"
           % report["expiring_hours"]]
    if report["images"]:
        out.append("<table><tr><th>image</th><th>id</th>%s</tr>"
                   % "".join("<th>%s</th>" % esc(h) for h in hosts))
        for column in report["images"]:
            cells = []
            for host in hosts:
                cell = report["matrix"][host][column["key"]]
                title = ", ".join(cell.get("used_by", []))
                cells.append('<td class="%s" title="%s">%s</td>' % (
                    cell["state"], esc(title), esc(_cell_text(cell))))
            out.append("<tr><td>%s</td><td><code>%s</code></td>%s</tr>" % (
                esc(column["name"] or ""), esc(column["key"]), "".join(cells)))
        out.append("</table>")
    else:
        out.append("<p>No images cached on these hosts.</p>")
    out.append("<table><tr><th>host</th><th>status</th><th>cache dir</th><th>free</th></tr>")
    for row in report["hosts"]:
        free = "" if row["free"] is None else "%.1f GiB" % (row["free"] / 1024.0 ** 3)
        status = row["status"] + (": " + row["msg"] if row["msg"] else "")
        out.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            esc(row["host"]), esc(status), esc(row["cache_dir"] or ""), free))
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"


class FilterModule:

    def filters(self):
        return {"cache_report": cache_report}
