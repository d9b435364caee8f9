# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's own aggregate image pre-cache API, on the controller.

`POST /os-aggregates/{id}/images` (microversion 2.81) asks Nova's conductor to have every
compute host of an aggregate cache images; it answers 202 and nothing else. Here: find the
aggregate, check that the cloud speaks 2.81, know which of its hosts Nova will skip (a compute
service that is down), and make the request with errors that say what to do.

The compute side is reached through openstacksdk's compute proxy (`conn.compute`):
aggregates(), get_endpoint_data(), services() and aggregate_precache_images(), and nothing
else, so unit tests pass a double.
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import aggregates
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.connection import (
    HttpStatusError, call_api)

PRECACHE_MICROVERSION = (2, 81)


# Nova's 400 for its bug 2034702 (nova/api/openstack/compute/aggregates.py `images`).
DUPLICATE_IMAGES = "Duplicate images in request"


class NovaPrecacheError(PrecacheError):
    """The pre-cache cannot be requested; the message says why and what to do."""


class DuplicateImagesRefused(NovaPrecacheError):
    """Nova refused several distinct images as duplicates (Launchpad bug 2034702): one request
    per image works."""


def _version(value):
    return "%d.%d" % tuple(value[:2])


def check_microversion(compute):
    """Fail unless the compute API offers microversion 2.81, the first with the pre-cache API."""
    data = compute.get_endpoint_data()
    maximum = getattr(data, "max_microversion", None) if data is not None else None
    if not maximum or tuple(maximum[:2]) < PRECACHE_MICROVERSION:
        raise NovaPrecacheError(
            "the compute API's maximum microversion is %s; Nova's aggregate image pre-cache "
            "needs %s (Nova Ussuri or later). Use the ssh engine (cache_image on the hosts) "
            "instead" % (_version(maximum) if maximum else "unknown (no version discovery)",
                         _version(PRECACHE_MICROVERSION)))
    return _version(maximum)


def aggregate_record(aggregate):
    """An aggregate (a record of aggregates.aggregate_records()) as the module returns it, and
    as Nova's payloads name it."""
    return {"id": int(aggregate["id"]), "uuid": aggregate["uuid"], "name": aggregate["name"],
            "hosts": list(aggregate["hosts"] or []),
            "availability_zone": aggregate["availability_zone"]}


def find_aggregate(compute, reference):
    """The aggregate whose id, uuid or name is `reference`, as aggregate_record() gives it.

    An id wins over a name that looks like one."""
    records = aggregates.aggregate_records(compute)
    found, unknown = aggregates.lookup(records, [str(reference)], keys=("id", "uuid", "name"))
    if unknown:
        raise NovaPrecacheError(
            "no aggregate has the id, uuid or name %r (the aggregates are: %s)"
            % (str(reference), ", ".join(sorted(printable(name)
                                                for name in aggregates.names(records)))
               or "none"))
    return aggregate_record(found[str(reference)])


def down_hosts(compute, hosts):
    """The hosts among `hosts` whose nova-compute service is down (forced down or no longer
    reporting): Nova's conductor skips them. A disabled service that is up is not skipped."""
    wanted = set(hosts)
    return sorted(service.host for service in compute.services(binary="nova-compute")
                  if service.host in wanted and service.state == "down")


def _duplicate_images_bug(err, image_ids):
    """Whether a 400 is Nova's bug 2034702: Nova before 27.5.0, 28.3.0 and 29.0.0 compares
    `image_ids != list(set(image_ids))`, so distinct images in an order unlike the set's are
    "Duplicate images in request". openstacksdk keeps Nova's message in `details`."""
    details = getattr(err.error, "details", None) or str(err.error)
    return (err.status == 400 and DUPLICATE_IMAGES in str(details)
            and len(set(image_ids)) == len(image_ids) > 1)


def request_precache(compute, aggregate, image_ids):
    """Ask Nova to cache the images on the aggregate's hosts; Nova answers 202 and no body.

    DuplicateImagesRefused when Nova's bug 2034702 refused distinct images."""
    image_ids = list(image_ids)
    try:
        call_api(compute.aggregate_precache_images, aggregate["id"], image_ids,
                 handled=(400, 403, 404, 409))
    except HttpStatusError as err:
        if _duplicate_images_bug(err, image_ids):
            raise DuplicateImagesRefused(
                "Nova refused the %d distinct images as \"%s\": the bug of Nova before "
                "27.5.0, 28.3.0 and 29.0.0 (Launchpad bug 2034702). Asking for one image per "
                "request instead (request_mode=per_image does so from the start)"
                % (len(image_ids), DUPLICATE_IMAGES)) from None
        if err.status == 403:
            raise NovaPrecacheError(
                "Nova's policy forbids the image pre-cache of aggregate %s to this user "
                "(rule compute:aggregates:images, admin only by default): %s"
                % (printable(aggregate["name"]), printable(err.error))) from None
        raise NovaPrecacheError("Nova refused the image pre-cache of aggregate %s (HTTP %s): %s"
                                % (printable(aggregate["name"]), err.status,
                                   printable(err.error))) from None
