# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The download plan's checks and records: what makes cache_image (and Nova) fail on an image.

Glance records (an openstacksdk Image as Glance's API shows it), why an image cannot be cached
(status, data, Nova's disk and container formats), the plan record cache_image takes, and
PlanError, which lists every problem at once. No I/O: image_selection.py selects the images and
calls these on what it selected.
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.nova_formats import (
    container_format_problem)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.image_signature import (
    SIGNATURE_PROPERTIES)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)

# The fields of a plan record, the image fields cache_image consumes, plus `stores`; the
# signature properties with Glance's names (None when unset), for hosts that verify signatures.
PLAN_FIELDS = ("id", "name", "size", "virtual_size", "disk_format", "container_format",
               "checksum", "os_hash_algo", "os_hash_value") + SIGNATURE_PROPERTIES

# Why an image in each of Glance's other states cannot be downloaded, and what to do.
_STATUS_REASONS = {
    "queued": "no data was uploaded to it",
    "saving": "its data is still being uploaded; wait until it is active",
    "uploading": "its data is being staged for an import; wait until it is active",
    "importing": "its import is still running; wait until it is active",
    "deactivated": "an administrator deactivated it, so Glance refuses to serve its data "
                   "(openstack image set --activate, if that was a mistake)",
    "killed": "its upload failed; upload it again",
    "deleted": "it was deleted",
    "pending_delete": "it is being deleted",
}


class PlanError(PrecacheError):
    """The selection cannot become a plan; `problems` lists every bad reference and why."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("%d problem%s with the image selection: %s" % (
            len(problems), "" if len(problems) == 1 else "s",
            "; ".join("%s: %s" % (p["reference"], p["reason"]) for p in problems)))


def glance_record(image):
    """An openstacksdk Image as Glance's API shows it: one flat dict, unset fields left out.

    openstacksdk keeps the properties it has no attribute for (`stores`, custom ones) under
    `properties`; Glance puts them beside the others, which is what a query is written for.
    """
    data = image.to_dict(headers=False, computed=False, ignore_none=True, original_names=True)
    record = dict(data.pop("properties", None) or {})
    record.update(data)
    return record


def image_endpoint(endpoint):
    """Glance's endpoint without the API version: what cache_image's image_endpoint takes."""
    endpoint = endpoint.rstrip("/")
    return endpoint[:-3] if endpoint.endswith("/v2") else endpoint


def plan_record(record, endpoint):
    """The download plan's record of one image (a Glance record), its data URL included."""
    plan = {field: record.get(field) for field in PLAN_FIELDS}
    path = record.get("file") or "/v2/images/%s/file" % record["id"]
    plan["url"] = endpoint + path
    stores = record.get("stores")
    plan["stores"] = [store for store in stores.split(",") if store] if stores else []
    return plan


def image_label(record):
    """`image <id> (<name>)` for messages: the name is a tenant's, printed escaped."""
    return "image %s%s" % (printable(record["id"]),
                           " (%s)" % printable(record["name"]) if record.get("name") else "")


def is_public(record):
    """Whether a Glance record is a public image (visibility public: an administrator's)."""
    return record.get("visibility") == "public"


def check_image(record, allowed_disk_formats):
    """Why the image (a Glance record) cannot be cached, as a list of reasons; [] when it can."""
    reasons = []
    status = record.get("status")
    if status != "active":
        reasons.append("status %s: %s" % (status, _STATUS_REASONS.get(
            status, "only active images can be downloaded")))
    elif not record.get("size"):
        reasons.append("it has no data (size %s): upload its data" % record.get("size"))
    disk_format = record.get("disk_format")
    if disk_format not in allowed_disk_formats:
        reasons.append("disk_format %s is not allowed (allowed: %s)" % (
            disk_format, ", ".join(allowed_disk_formats)))
    problem = container_format_problem(record.get("container_format"))
    if problem:
        reasons.append(problem)
    return reasons


def total_size(plan):
    """Bytes the plan downloads per host."""
    return sum(image.get("size") or 0 for image in plan)
