# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Copy Glance images to other stores of a multistore Glance (import method copy-image), and wait.

The work of the image_store_copy module, on the controller, for RBD sites: Nova boots an rbd
compute host from the image in the Glance store named by its `[libvirt]
images_rbd_glance_store_name`, so the image must be in that store before the rollout.

Follows Nova's own copy (nova.virt.libvirt.imagebackend.Rbd.copy_to_store): ask Glance to import
the image with method copy-image, then poll the image until the store is in `stores` and no
longer in `os_glance_importing_to_stores`, or is in `os_glance_failed_import`. Beyond Nova: one
request per image for all its missing stores; a copy that cannot even start its task (its source
data unreadable) leaves `os_glance_importing_to_stores` set for ever, so our own import task is
watched too (`GET /v2/images/{id}/tasks`, found by the request id of our import); and a 409
(another import holds the image's lock) is waited out and retried, not a failure.

Images are named as validate_images' `images` names them (image_selection.ImagePlanner), and
handled as Glance records (image_plan.glance_record). Glance is reached through openstacksdk's
image proxy (`conn.image`): get_image(), images(name=), stores(), and post()/get() for the import
and tasks calls, so unit tests pass a double.
"""

import html
import re
import time

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.connection import (
    HttpStatusError, call_api)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.image_plan import (
    glance_record, image_label)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.image_selection import (
    ImagePlanner)

PRESENT, COPIED, FAILED, TIMED_OUT, MISSING = (
    "present", "copied", "failed", "timed_out", "missing")
IMPORTING_KEY = "os_glance_importing_to_stores"
FAILED_KEY = "os_glance_failed_import"
LOCK_KEY = "os_glance_import_task"
_RUNNING_TASK = ("pending", "processing")


class StoreCopyError(PrecacheError):
    """The copy cannot start: bad images or stores; the message lists every problem."""


def store_list(value):
    """Glance's comma-separated store lists (`stores`, the import properties) as a list."""
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value if item]
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def glance_message(response):
    """The reason Glance gives in an error response (JSON, or webob's HTML page), as one line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        inner = next(iter(body.values()), None) if len(body) == 1 else body
        if isinstance(inner, dict) and inner.get("message"):
            return " ".join(str(inner["message"]).split())
    text = response.text or ""
    text = re.sub(r"(?is)<(title|h1)>.*?</\1>", " ", text)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = " ".join(text.split())
    return text or "HTTP %s" % response.status_code


def resolve_images(image_api, references, caller=None, trusted_owners=()):
    """The images to copy, as Glance records, in order and once each.

    `references` are ids or names, resolved as validate_images resolves its `images` (a
    UUID-shaped one is an id; a name resolves among the trusted owners' images first), or plan
    records (dicts with `id`) as validate_images returns them. Every problem is collected first;
    then StoreCopyError lists them all.
    """
    planner = ImagePlanner(image_api, caller=caller, trusted_owners=trusted_owners)
    planner.select_references(references)
    problems = ["%s: %s" % (problem["reference"], problem["reason"])
                for problem in planner.problems]
    records = planner.records()
    problems += ["%s: status %s; Glance copies only active images"
                 % (image_label(record), printable(record.get("status")))
                 for record in records if record.get("status") != "active"]
    if problems:
        raise StoreCopyError("cannot copy: %s" % "; ".join(problems))
    return records


def check_stores(image_api, stores):
    """Refuse store names that Glance does not know, naming the ones it knows."""
    try:
        known = call_api(lambda: [store.id for store in image_api.stores()], handled=(404,))
    except HttpStatusError:
        raise StoreCopyError("Glance has no stores (GET /v2/info/stores: HTTP 404): it is not a "
                             "multistore Glance, so there is nothing to copy to; set "
                             "enabled_backends in glance-api.conf") from None
    unknown = [store for store in stores if store not in known]
    if unknown:
        raise StoreCopyError(
            "Glance has no store %s (its stores: %s); check the store names, such as nova.conf's "
            "[libvirt] images_rbd_glance_store_name, against Glance's enabled_backends"
            % (", ".join(repr(store) for store in unknown), ", ".join(known) or "none: Glance "
               "is not a multistore Glance"))


class _ImageCopy:
    """One image's copies: a record per wanted store, and our own import while it runs."""

    def __init__(self, image, stores, started):
        self.id, self.name = image["id"], image.get("name")
        self.label = image_label(image)
        self.started = started
        present = store_list(image.get("stores"))
        self.records = dict((store, {"id": self.id, "name": self.name, "store": store,
                                     "status": None, "msg": "", "seconds": 0.0})
                            for store in stores)
        self.sources = present
        self.pending = [store for store in stores if store not in present]
        for store in stores:
            if store in present:
                self.records[store].update(status=PRESENT, msg="already in store %s" % store)
        self.request_id = None
        self.own_stores = []
        self.waiting = ""

    def settle(self, store, status, msg, now):
        self.records[store].update(status=status, msg=msg,
                                   seconds=round(now - self.started, 3))
        self.pending.remove(store)


class StoreCopier:
    """Copies images to stores and waits for them; one instance per module run.

    `image_api` is openstacksdk's image proxy; `clock` and `sleep` are for tests.
    """

    def __init__(self, image_api, poll_interval, timeout, check_mode=False, copy_missing=True,
                 clock=None, sleep=None):
        if poll_interval <= 0:
            raise StoreCopyError("poll_interval must be a positive number of seconds, not %s"
                                 % poll_interval)
        if timeout < 0:
            raise StoreCopyError("timeout must be 0 or more seconds, not %s" % timeout)
        self.api = image_api
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.check_mode = check_mode
        self.copy_missing = copy_missing
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep

    def copy(self, images, stores):
        """Make every image present in every store; a record per image and store, in order."""
        started = self.clock()
        copies = [_ImageCopy(image, stores, started) for image in images]
        if not self.copy_missing:
            for job in copies:
                for store in list(job.pending):
                    job.settle(store, MISSING, "not in store %s, and copy_missing is false"
                               % store, started)
        elif self.check_mode:
            for job in copies:
                for store in list(job.pending):
                    job.settle(store, COPIED, "would copy it from store %s (check mode)"
                               % (" or ".join(job.sources) or "none"), started)
        else:
            self._wait(copies, images, started + self.timeout)
        return [job.records[store] for job in copies for store in stores]

    def _wait(self, copies, images, deadline):
        fresh = dict((image["id"], image) for image in images)
        while True:
            for job in copies:
                if job.pending:
                    self._step(job, fresh.pop(job.id, None))
            waiting = [job for job in copies if job.pending]
            now = self.clock()
            if not waiting:
                return
            if now >= deadline:
                for job in waiting:
                    for store in list(job.pending):
                        job.settle(store, TIMED_OUT, self._timed_out_message(job, store), now)
                return
            self.sleep(min(self.poll_interval, deadline - now))

    def _timed_out_message(self, job, store):
        still = ("Glance is still copying it and goes on after this run"
                 if job.request_id else job.waiting or "Glance did not finish the copy")
        return "%s: not in store %s after %ss: %s; run again to wait longer" % (
            job.label, store, self.timeout, still)

    def _step(self, job, image=None):
        """Poll one image: settle the stores that arrived or failed; start a copy when needed."""
        self._settle_arrived(job, image or self._get(job.id))
        if job.request_id:
            task = self._find_task(job)
            if task is not None and task.get("status") in _RUNNING_TASK:
                return
            # Look again: the task may have ended after the image was read.
            image = self._get(job.id)
            self._settle_arrived(job, image)
            if self._settle_own(job, task, image):
                job.request_id = None
            return
        if job.pending:
            self._start(job, self.clock())

    def _get(self, image_id):
        return glance_record(self.api.get_image(image_id))

    def _settle_arrived(self, job, image):
        """Settle the stores the image (a Glance record) is in now, copied by us or by another
        import."""
        stores = store_list(image.get("stores"))
        importing = store_list(image.get(IMPORTING_KEY))
        now = self.clock()
        for store in list(job.pending):
            if store in stores and store not in importing:
                how = ("copied" if store in job.own_stores else
                       "copied by another import of this image that was running")
                job.settle(store, COPIED, how, now)

    def _settle_own(self, job, task, image):
        """Whether our import ended (`task` None: Glance lists no tasks); the stores it did not
        copy are then failed."""
        now = self.clock()
        failed = store_list(image.get(FAILED_KEY))
        if task is None:
            # No task list (Glance before 2.12): Nova's test, once no task holds the lock.
            gone = [store for store in job.pending if store in failed]
            if image.get(LOCK_KEY) or not gone:
                return False
            for store in gone:
                job.settle(store, FAILED, "%s: Glance could not copy it to store %s "
                           "(os_glance_failed_import)" % (job.label, store), now)
            return True
        reason = printable(task.get("message") or "no reason given")
        for store in [store for store in job.pending if store in job.own_stores]:
            if task.get("status") == "failure":
                why = "Glance's copy task %s failed: %s" % (task.get("id"), reason)
            else:
                why = "Glance's copy task %s ended (%s) without the image in this store%s" % (
                    task.get("id"), task.get("status"),
                    " (os_glance_failed_import)" if store in failed else "")
            job.settle(store, FAILED, "%s: not copied to store %s: %s; see glance-api's log "
                       "for the task" % (job.label, store, why), now)
        return True

    def _find_task(self, job):
        """Our import task (matched by the import request's id), as Glance lists it; None when
        Glance has no task list for images."""
        response = self.api.get("/images/%s/tasks" % job.id)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise StoreCopyError("%s: Glance refused its task list: HTTP %s: %s" % (
                job.label, response.status_code, glance_message(response)))
        tasks = response.json().get("tasks") or []
        ours = [task for task in tasks if task.get("request_id") == job.request_id]
        if not ours:
            # A proxy in front of Glance may change request ids: the newest copy-image task.
            ours = sorted((task for task in tasks if _is_copy_task(task)),
                          key=lambda task: task.get("created_at") or "")[-1:]
        return ours[0] if ours else {"status": "pending"}

    def _start(self, job, now):
        """Ask Glance to copy the image to its missing stores, in one request."""
        body = {"method": {"name": "copy-image"}, "stores": list(job.pending),
                "all_stores_must_succeed": False}
        response = self.api.post("/images/%s/import" % job.id, json=body)
        status = response.status_code
        if status in (200, 201, 202):
            # Without the header (a proxy may drop it) the newest copy task is taken as ours.
            job.request_id = (response.headers.get("x-openstack-request-id")
                              or response.headers.get("X-OpenStack-Request-ID") or "unknown")
            job.own_stores = list(job.pending)
            job.waiting = ""
            return
        message = glance_message(response)
        if status in (400, 409):
            # 400: the image reached a store between our look and the request (Nova's race);
            # 409: another import holds the image's lock. Both settle on a later poll.
            job.waiting = "another import of this image was running (Glance: HTTP %s, %s)" % (
                status, message)
            return
        for store in list(job.pending):
            job.settle(store, FAILED, "%s: Glance refused to copy it to store %s: HTTP %s: %s"
                       % (job.label, store, status, message), now)


def _is_copy_task(task):
    request = (task.get("input") or {}).get("import_req") or {}
    return (request.get("method") or {}).get("name") == "copy-image"


def summarize(records, stores):
    """Per store, the image ids by status: what the role and the progress callback read."""
    statuses = (PRESENT, COPIED, FAILED, TIMED_OUT, MISSING)
    summary = dict((store, dict((status, []) for status in statuses))
                   for store in stores)
    for record in records:
        summary[record["store"]][record["status"]].append(record["id"])
    return summary
