# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Resolve image references against Glance and select the images of the download plan.

The work of the validate_images module, on the controller. Images are selected by name or id,
by tags, by a JMESPath query over Glance's image list and by popularity (the instances booted
from them, counted by popularity.py); every selected image is checked for what would make
cache_image (and Nova) fail on it (image_plan.py's checks); all the problems are collected, so
that one failure lists every bad reference and why, before any compute host is touched. Each
selected image keeps every reason it was selected for (`selected_by`).

A new selection source is one more select_<source>() here, which calls _select() for what it
takes (with its `selected_by` entry), _ignore() for images of untrusted owners and _problem()
for what cannot be selected, plus its option in the validate_images module.

Trust (docs/trust_boundaries.md): any tenant can name, tag and describe its own images, and boot
instances from them. Tag, query and popularity selection therefore take only images of trusted
owners: public images, the credentials' project and the projects the operator adds
(`trusted_owners`); the others are left out and listed in `ignored`, with why. A reference the
operator typed works for any image the credentials can see, but a UUID-shaped one is an id and
never a name, and a name resolves among trusted owners first, so that no tenant can hijack or
veto it with an image of the same name.

The Glance side is reached through openstacksdk's image proxy (`conn.image`): get_image(),
images(**filters) and get_endpoint(), and nothing else, so unit tests pass a double.
"""

import re
import traceback

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.nova_formats import (
    DEFAULT_DISK_FORMATS)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.connection import (
    HttpStatusError, call_api)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.image_plan import (
    PlanError, check_image, glance_record, image_endpoint, image_label, is_public, plan_record)

try:
    import jmespath
except ImportError:
    jmespath = None
    JMESPATH_IMPORT_ERROR = traceback.format_exc()
else:
    JMESPATH_IMPORT_ERROR = None

_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$",
                   re.IGNORECASE)


class ImagePlanner:
    """Collects the selected images, in order and once each, why, and the problems found.

    `image_api` is openstacksdk's image proxy; `caller` is the project of the credentials (a
    trusted owner, and named in "not found" messages); `trusted_owners` are the other projects
    whose images tags, queries and popularity may select.
    """

    def __init__(self, image_api, allowed_disk_formats=DEFAULT_DISK_FORMATS, caller=None,
                 trusted_owners=()):
        self.api = image_api
        self.allowed_disk_formats = tuple(allowed_disk_formats)
        self.caller = caller
        self.trusted_owners = sorted(set(filter(None, [caller] + list(trusted_owners))))
        self.problems = []
        self.warnings = []
        self.ignored = []
        self._selected = {}
        self._listing = None
        self._fetched = {}

    def _problem(self, reference, reason, record=None):
        self.problems.append(dict(reference=reference, reason=reason,
                                  id=record.get("id") if record else None,
                                  name=record.get("name") if record else None))

    def trusted(self, record):
        """Whether a selection other than an explicit reference may take this image."""
        return is_public(record) or record.get("owner") in self.trusted_owners

    def _untrusted_reason(self, record):
        return ("a %s image of project %s, which is not a trusted owner (the credentials' "
                "project, public images and image_owners are)"
                % (printable(record.get("visibility") or "private"),
                   printable(record.get("owner") or "unknown")))

    def _ignore(self, record, source, reason):
        """Leave an image out of the selection, and say why in `ignored`."""
        entry = dict(id=record.get("id"), name=record.get("name"), owner=record.get("owner"),
                     visibility=record.get("visibility"), source=source, reason=reason)
        if entry not in self.ignored:
            self.ignored.append(entry)

    def ignored_warnings(self):
        """One warning per selection that left images out, naming the first few (escaped)."""
        by_source = {}
        for entry in self.ignored:
            by_source.setdefault(entry["source"], []).append(entry)
        return ["%s: %d image%s left out: %s%s (see ignored in the result for why)" % (
            printable(source), len(entries), "" if len(entries) == 1 else "s",
            ", ".join(image_label(entry) for entry in entries[:5]),
            ", ..." if len(entries) > 5 else "") for source, entries in by_source.items()]

    def other_projects(self):
        """Projects other than the caller's whose non-public images the selection or `ignored`
        names: a file that lists them must not be world-readable."""
        return sorted({str(record.get("owner")) for record in self.records() + self.ignored
                       if not is_public(record) and record.get("owner") != self.caller})

    def _select(self, record, source, reason):
        """Select an image; `source` labels its problems, `reason` is a `selected_by` entry."""
        entry = self._selected.setdefault(record["id"], (record, source, []))
        if reason not in entry[2]:
            entry[2].append(reason)

    def _get(self, image_id):
        """The Glance record of an image id; None when Glance does not show it to the caller."""
        try:
            return glance_record(call_api(self.api.get_image, image_id, handled=(403, 404)))
        except HttpStatusError as err:
            if err.status == 404:
                return None
            raise _NoAccess() from None

    def _unseen(self):
        return "not found: no image has this name or id, or %s may not see it (Glance does " \
            "not tell the two apart)" % ("project %s" % self.caller if self.caller else "the caller")

    def select_reference(self, reference, source="images", reason=None, trusted_only=False):
        """Select one image by id (a UUID-shaped reference) or by name.

        A name resolves among the trusted owners' images first; images of other owners with
        the same name are then ignored. The operator's references (not `trusted_only`) fall
        back to every image the caller can see; a query's (`trusted_only`) do not.
        """
        label = "%r (%s)" % (reference, source)
        reason = reason or dict(selector="explicit", reference=reference)
        if _UUID.match(reference):
            try:
                record = self._get(reference)
            except _NoAccess:
                self._problem(label, "no access: Glance refuses to show this image to the "
                                     "caller (HTTP 403)")
                return
            if record is None:
                self._problem(label, "not found: no image has this id, or %s may not see it "
                                     "(a reference shaped like a UUID is an id, never a name)"
                              % ("project %s" % self.caller if self.caller else "the caller"))
            elif trusted_only and not self.trusted(record):
                self._ignore(record, source, self._untrusted_reason(record))
            else:
                self._select(record, source, reason)
            return
        matches = [glance_record(image) for image in self.api.images(name=reference)]
        candidates = [m for m in matches if self.trusted(m)]
        others = [m for m in matches if not self.trusted(m)]
        if candidates:
            for other in others:
                self._ignore(other, source, "has the name of an image of a trusted owner, which "
                                            "the name selects; " + self._untrusted_reason(other))
        elif trusted_only:
            for other in others:
                self._ignore(other, source, self._untrusted_reason(other))
            return
        else:
            candidates = others
        if len(candidates) > 1:
            self._problem(label, "ambiguous name: %d images are named so (%s); give the id "
                                 "of the one to cache" % (len(candidates), ", ".join(
                                     "%s %s" % (printable(m["id"]), printable(m.get("status")))
                                     for m in candidates)))
        elif not candidates:
            self._problem(label, self._unseen())
        else:
            self._select(candidates[0], source, reason)

    def select_references(self, references):
        """Select the operator's references: names or ids, or plan records (dicts with `id`)."""
        for reference in references:
            wanted = reference.get("id") if isinstance(reference, dict) else reference
            if isinstance(wanted, str) and wanted:
                self.select_reference(wanted)
            else:
                self._problem("%s (images)" % _describe(reference),
                              "neither an image name or id nor a record with an id")

    def select_tags(self, tags):
        """Select every active image of a trusted owner that carries all the tags."""
        wanted = set(tags)
        label = "tags %s" % ", ".join(tags)
        found = 0
        # Glance matches every tag given (an AND); checked again here all the same.
        for image in self.api.images(tag=list(tags)):
            record = glance_record(image)
            if not wanted <= set(record.get("tags") or ()):
                continue
            if not self.trusted(record):
                self._ignore(record, label, self._untrusted_reason(record))
                continue
            if record.get("status") != "active":
                self.warnings.append("%s carries the tags %s but is not selected: its status is "
                                     "%s" % (image_label(record), printable(", ".join(tags)),
                                             printable(record.get("status"))))
                continue
            found += 1
            self._select(record, label, dict(selector="tag", tags=list(tags)))
        if not found:
            self._problem(label, "no active image of a trusted owner carries all of these tags")

    def _list(self):
        if self._listing is None:
            self._listing = [glance_record(image) for image in self.api.images()]
        return self._listing

    def select_query(self, expression):
        """Select the images a JMESPath expression picks from Glance's image list.

        The expression gives image records (`[?os_distro=='ubuntu']`), or names or ids
        (`[?os_distro=='ubuntu'].name`), which are then resolved as the `images` option's;
        either way only images of trusted owners are selected.
        """
        label = "query %s" % expression
        if jmespath is None:
            raise PlanError([dict(reference=label, id=None, name=None, reason=(
                "the query option needs the Python library jmespath on the controller "
                "(pip install jmespath)"))])
        try:
            compiled = jmespath.compile(expression)
            found = compiled.search(self._list())
        except jmespath.exceptions.JMESPathError as err:
            self._problem(label, "not a valid JMESPath expression: %s"
                          % " ".join(str(err).split()))
            return
        if isinstance(found, (dict, str)):
            found = [found]
        if not isinstance(found, list):
            self._problem(label, "gives %s, not a list of images, names or ids: select from "
                                 "the list, as in [?os_distro=='ubuntu']" % _describe(found))
            return
        if not found:
            self._problem(label, "selects no image")
            return
        reason = dict(selector="query", query=expression)
        for item in found:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                if self.trusted(item):
                    self._select(item, label, reason)
                else:
                    self._ignore(item, label, self._untrusted_reason(item))
            elif isinstance(item, str):
                self.select_reference(item, label, reason, trusted_only=True)
            else:
                self._problem(label, "gives %s, which is neither an image nor a name or id"
                              % _describe(item))

    def _fetch(self, image_id):
        """An image's Glance record, asked once per run; None when Glance does not show it."""
        if image_id not in self._fetched:
            try:
                self._fetched[image_id] = self._get(image_id)
            except _NoAccess:
                self._fetched[image_id] = _NoAccess
        return self._fetched[image_id]

    def select_popular(self, census, group, top, min_instances):
        """Select the `top` most used cacheable images of a census group (see popularity.py).

        Images used by fewer than `min_instances` instances are not candidates. A candidate that
        is gone from Glance, not visible, not of a trusted owner (also in `ignored`) or could not
        be cached is skipped (not a problem: the instances outlive their image) and the next
        one is taken. Returns the group's ranking: the selected and the skipped images with
        their instance counts, and why skipped.
        """
        ranking = census.ranking(group)
        candidates = [(image_id, used) for image_id, used in ranking if used >= min_instances]
        selected, skipped = [], []
        for image_id, used in candidates:
            if len(selected) == top:
                break
            record = self._fetch(image_id)
            if record is None or record is _NoAccess:
                skipped.append(dict(id=image_id, name=None, instances=used, reason=(
                    "no access: Glance refuses to show this image (HTTP 403)"
                    if record is _NoAccess else
                    "not found in Glance: the image was deleted since these instances were "
                    "booted, or the caller may not see it")))
                continue
            reasons = check_image(record, self.allowed_disk_formats)
            if not self.trusted(record):
                reasons = [self._untrusted_reason(record)]
                self._ignore(record, "popular in %s" % group, reasons[0])
            if reasons:
                skipped.append(dict(id=image_id, name=record.get("name"), instances=used,
                                    reason="; ".join(reasons)))
                continue
            reason = dict(selector="popular", instances=used)
            if census.groups[group] is not None:
                reason["aggregate"] = group
            self._select(record, "popular in %s" % group, reason)
            selected.append(dict(id=image_id, name=record.get("name"), instances=used))
        if not selected:
            self.warnings.append(
                "popular in %s: no image selected (%d image%s used by %d or more instances%s)"
                % (printable(group), len(candidates), "" if len(candidates) == 1 else "s",
                   min_instances, ", none cacheable and trusted" if candidates else ""))
        return dict(group=group, instances=sum(census.counts[group].values()),
                    images=len(ranking), below_min_instances=len(ranking) - len(candidates),
                    selected=selected, skipped=skipped)

    def records(self):
        """The Glance records of the selected images, in order."""
        return [record for record, _source, _reasons in self._selected.values()]

    def selection(self):
        """Why each image is in the plan: id, name, owner, visibility and `selected_by`, in the
        plan's order."""
        return [dict(id=record["id"], name=record.get("name"), owner=record.get("owner"),
                     visibility=record.get("visibility"), selected_by=list(reasons))
                for record, _source, reasons in self._selected.values()]

    def plan(self, glance_endpoint, signatures=None):
        """The download plan; PlanError with every problem when there is any.

        `signatures` (a signing_certificates.SigningCertificates) checks the signed images
        against their certificates; its problems are listed with the others.
        """
        for record, source, _reasons in self._selected.values():
            reasons = check_image(record, self.allowed_disk_formats)
            if signatures is not None:
                reasons += signatures.check(record)
            if reasons:
                self._problem("%s (%s)" % (image_label(record), source), "; ".join(reasons), record)
        if not self.problems and not self._selected:
            self._problem("selection", "no image selected")
        if self.problems:
            raise PlanError(self.problems)
        endpoint = image_endpoint(glance_endpoint)
        return [plan_record(record, endpoint) for record, _source, _reasons
                in self._selected.values()]


class _NoAccess(Exception):
    """Glance answered 403 for an image."""


def _describe(value):
    text = repr(value)
    return "%s %s" % (type(value).__name__, text if len(text) <= 60 else text[:57] + "...")
