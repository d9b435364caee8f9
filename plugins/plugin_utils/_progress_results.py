# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What the modules' results mean to the progress of a run: which results count, and how.

A cache_image result is one host's (host_outcome); an aggregate_precache result is Nova's run
over one aggregate, its hosts in the order they reported (nova_host_results); an rbd host's
cache_image result counts its images by its Glance store, as image_store_copy found or put
them there (with_store_copies). Everything here reads result fields only: it runs on the
controller, and nothing of a host's is known here but what its module returned.
"""

# The modules whose results a run counts, by the resolved action of their task: each engine's
# caching module (ssh: cache_image on every host; nova: aggregate_precache, Nova's own
# pre-cache, from the controller), and the copy into the Glance stores of rbd hosts.
COUNTED_ACTIONS = {
    "openstack_ops.precache.cache_image": "host",
    # The poll of an asynchronous cache_image: its last result is cache_image's own.
    "openstack_ops.precache.cache_progress": "host",
    "openstack_ops.precache.aggregate_precache": "nova",
    "openstack_ops.precache.image_store_copy": "store_copy",
}


def counted_action(resolved_action):
    """What a task's results count as (a value of COUNTED_ACTIONS), or None for a task that
    counts for nothing. The action may be under ansible.legacy or a collections path."""
    for action, kind in COUNTED_ACTIONS.items():
        if resolved_action and action in resolved_action:
            return kind
    return None


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


def nova_host_results(result):
    """The hosts of an aggregate_precache result, in the order they reported to Nova: a list of
    (host, status ok/failed/skipped, a result as host_outcome() reads it, seconds since the
    run's start). Nova's notifications give no reason for a failure; a host Nova sent no result
    for (its record has a `msg`) comes last, failed with that message, and with every image
    of its run when they are known."""
    hosts = (result or {}).get("hosts") or {}
    reports = []
    for host, record in sorted(hosts.items(), key=lambda item: (
            item[1].get("index") is None, float(item[1].get("seconds") or 0))):
        failed = [str(i) for i in record.get("images_failed") or []]
        status = record.get("status") if record.get("status") in ("ok", "failed", "skipped") \
            else ("failed" if failed else "ok")
        why = (record.get("msg") or (
            "skipped by Nova: its compute service was down" if status == "skipped" else
            "failed on the host, as Nova reported it (its nova-compute log says why)"))
        outcome = {"images_cached": [str(i) for i in record.get("images_cached") or []],
                   "msg": str(why)}
        if failed or not record.get("msg"):
            # Without images, host_outcome() gives the host's message as its failure.
            outcome["images_failed"] = failed
        reports.append((host, status, outcome, float(record.get("seconds") or 0)))
    return reports


def store_copy_outcome(runs, store):
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


def stores_summary(runs):
    """Per Glance store that image_store_copy runs asked for ({"stores", "result"}, as for
    store_copy_outcome()): the image ids by status, and the messages of what failed there. The
    last run that asked for a store counts for it, as in store_copy_outcome()."""
    stores = {}
    for run in runs or []:
        result = (run or {}).get("result") or {}
        if not isinstance(result, dict) or result.get("skipped"):
            continue
        copies = [c for c in result.get("copies") or [] if isinstance(c, dict)]
        for store in (run or {}).get("stores") or []:
            stores[str(store)] = {"images": {}, "problems": [] if copies else [
                str(result.get("msg") or "image_store_copy failed")]}
        for copy in copies:
            entry = stores.setdefault(str(copy.get("store")), {"images": {}, "problems": []})
            entry["images"].setdefault(str(copy.get("status")), []).append(str(copy.get("id")))
            if copy.get("status") in ("failed", "timed_out"):
                entry["problems"].append(str(copy.get("msg") or copy.get("status")))
    return stores


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
    outcome = store_copy_outcome(runs, store) if store else None
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
