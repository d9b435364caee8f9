# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Placement traits that say which images each compute host has cached, for the scheduler.

The work of the placement_image_traits module, on the controller. Each compute node's resource
provider carries one trait `CUSTOM_IMAGE_CACHED_<IMAGE ID>` per image in that host's cache.
Only traits of that exact shape (the prefix and a Glance id) are ever changed: nova-compute's
resource tracker merges its capability traits into whatever set the provider has, and the
other traits, set by operators or other tools, are kept as they are.

Placement replaces a provider's whole trait set at once (`PUT /resource_providers/{uuid}/traits`)
and refuses the write with 409 when the provider's generation moved since it was read, so a
write based on a stale read never drops a trait someone added meanwhile: on 409 the set is read
again, the change recomputed on it, and written again, a bounded number of times.

Placement is reached through openstacksdk's placement proxy (`conn.placement`, a keystoneauth
adapter): get()/put() with a microversion, answering responses, not raising, so unit tests pass
a double.
"""

import random
import re
import time
from urllib.parse import quote, urlencode

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.common.printable import printable

PREFIX = "CUSTOM_IMAGE_CACHED_"
# Traits came with 1.6; nothing later is needed.
MICROVERSION = "1.6"
RECONCILE, ADD, REMOVE = "reconcile", "add", "remove"
MODES = (RECONCILE, ADD, REMOVE)
ATTEMPTS = 5
# Above this many provider names to resolve, one listing of all providers (Placement does not
# paginate) is cheaper than one `?name=` query per name.
LIST_ABOVE = 5
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_BACKOFF = 0.2


class PlacementTraitsError(PrecacheError):
    """Bad input, or Placement refused a call; the message says which and what to do."""


def trait_name(image_id):
    """The trait of a Glance image id: CUSTOM_IMAGE_CACHED_ and the id upper case, '-' -> '_'."""
    if not isinstance(image_id, str) or not _UUID.match(image_id.lower()):
        raise PlacementTraitsError("'%s' is not a Glance image id (a UUID such as "
                                   "3f052202-598d-40d9-b5c7-68410a51fd66)" % printable(image_id))
    return PREFIX + image_id.upper().replace("-", "_")


def image_id_of(trait):
    """The Glance image id a trait of ours stands for; None for any other trait."""
    if not isinstance(trait, str) or not trait.startswith(PREFIX):
        return None
    image_id = trait[len(PREFIX):].lower().replace("_", "-")
    if not _UUID.match(image_id) or trait_name(image_id) != trait:
        return None
    return image_id


def desired_traits(current, image_ids, mode=RECONCILE):
    """The provider's whole trait set after the change: its other traits untouched, and ours
    set to `image_ids` (reconcile), or with them added or removed."""
    ours = set(t for t in current if image_id_of(t))
    wanted = set(trait_name(image_id) for image_id in image_ids)
    if mode == ADD:
        wanted = ours | wanted
    elif mode == REMOVE:
        wanted = ours - wanted
    return (set(current) - ours) | wanted


def placement_message(response):
    """Placement's reason for an error response, as one printable line."""
    try:
        errors = response.json().get("errors") or []
        details = [error.get("detail") or error.get("title") for error in errors]
    except (ValueError, AttributeError):
        details = []
    text = " ".join(" ".join(str(d) for d in details if d).split()) or (response.text or "")
    return printable(" ".join(text.split()) or "no reason given")


class Placement:
    """The few Placement calls used here, with the microversion, errors as PlacementTraitsError."""

    def __init__(self, api):
        self.api = api

    def call(self, method, path, expect, json=None):
        kwargs = dict(microversion=MICROVERSION)
        if json is not None:
            kwargs["json"] = json
        response = getattr(self.api, method)(path, **kwargs)
        if response.status_code not in expect:
            raise PlacementTraitsError("Placement refused %s %s: HTTP %s: %s" % (
                method.upper(), printable(path), response.status_code,
                placement_message(response)))
        return response

    def provider_traits(self, uuid):
        """(traits, generation) of a provider; None when Placement has no such provider."""
        response = self.call("get", "/resource_providers/%s/traits" % uuid, (200, 404))
        if response.status_code == 404:
            return None
        body = response.json()
        return list(body["traits"]), body["resource_provider_generation"]

    def providers(self, name=None):
        """{name: uuid} of the providers named `name`, or of all providers."""
        path = "/resource_providers"
        if name is not None:
            path += "?" + urlencode({"name": name})
        body = self.call("get", path, (200,)).json()
        return dict((p["name"], p["uuid"]) for p in body.get("resource_providers") or [])

    def our_traits(self):
        path = "/traits?" + urlencode({"name": "startswith:" + PREFIX})
        return set(self.call("get", path, (200,)).json().get("traits") or [])


def locate(placement, hosts):
    """{host name: provider uuid or None} for hosts [{name, provider}]; `provider`, a uuid or a
    provider name, defaults to the host name (Nova names a compute node's provider after its
    hypervisor_hostname, which is the service host name on most deployments)."""
    refs = dict((host["name"], host.get("provider") or host["name"]) for host in hosts)
    names = sorted(set(ref for ref in refs.values() if not _UUID.match(ref.lower())))
    known = {}
    if len(names) > LIST_ABOVE:
        known = placement.providers()
    else:
        for name in names:
            known.update(placement.providers(name))
    return dict((host, ref.lower() if _UUID.match(ref.lower()) else known.get(ref))
                for host, ref in refs.items())


class TraitReconciler:
    """Sets our traits on the providers of compute hosts; one instance per module run.

    `placement` is openstacksdk's placement proxy; `sleep` and `attempts` are for tests.
    """

    def __init__(self, placement, check_mode=False, attempts=ATTEMPTS, sleep=None):
        self.placement = Placement(placement)
        self.check_mode = check_mode
        self.attempts = attempts
        self.sleep = sleep or time.sleep
        self.traits_created = []
        self._existing = set()
        self._listed = False

    def run(self, hosts, mode=RECONCILE):
        """One record per host of `hosts` ([{name, provider, images}]), in order."""
        check_hosts(hosts, mode)
        uuids = locate(self.placement, hosts)
        records, owners = [], {}
        for host in hosts:
            uuid = uuids[host["name"]]
            record = dict(host=host["name"], provider=uuid, added=[], removed=[], unchanged=[],
                          before=[], after=[], retries=0, changed=False, missing=False,
                          error=None)
            if uuid is None:
                record.update(missing=True, error=_missing_message(host))
            elif uuid in owners:
                record["error"] = "%s: provider %s is host %s's already; give each host its " \
                    "own provider" % (printable(host["name"]), printable(uuid),
                                      printable(owners[uuid]))
            else:
                owners[uuid] = host["name"]
                try:
                    self._provider(record, host.get("images") or [], mode)
                except PlacementTraitsError as err:
                    record["error"] = "%s: %s" % (printable(host["name"]), err)
            records.append(record)
        return records

    def _provider(self, record, image_ids, mode):
        uuid = record["provider"]
        for attempt in range(self.attempts):
            if attempt:
                record["retries"] = attempt
                self.sleep(_BACKOFF * (2 ** (attempt - 1)) * random.uniform(0.5, 1.5))
            state = self.placement.provider_traits(uuid)
            if state is None:
                record.update(missing=True, error=_missing_message(
                    {"name": record["host"], "provider": uuid}))
                return
            current, generation = state
            desired = desired_traits(current, image_ids, mode)
            _describe(record, current, desired)
            if desired == set(current):
                return
            record["changed"] = True
            self._ensure(record["added"])
            if self.check_mode:
                return
            response = self.placement.call(
                "put", "/resource_providers/%s/traits" % uuid, (200, 409),
                json={"traits": sorted(desired), "resource_provider_generation": generation})
            if response.status_code == 200:
                return
        record["changed"] = False
        raise PlacementTraitsError(
            "provider %s changed under each of %d attempts to set its traits (HTTP 409, another "
            "writer such as nova-compute's resource tracker); nothing was changed, run again"
            % (printable(uuid), self.attempts))

    def _ensure(self, traits):
        """Create the custom traits Placement does not have yet, each once per run."""
        missing = [t for t in traits if t not in self._existing]
        if missing and not self._listed:
            self._existing.update(self.placement.our_traits())
            self._listed = True
            missing = [t for t in missing if t not in self._existing]
        for trait in missing:
            if not self.check_mode:
                response = self.placement.call("put", "/traits/%s" % quote(trait), (201, 204))
                if response.status_code == 204:
                    self._existing.add(trait)
                    continue
            self.traits_created.append(trait)
            self._existing.add(trait)


def _describe(record, current, desired):
    before = set(t for t in current if image_id_of(t))
    after = set(t for t in desired if image_id_of(t))
    record.update(before=sorted(before), after=sorted(after), added=sorted(after - before),
                  removed=sorted(before - after), unchanged=sorted(before & after))


def _missing_message(host):
    ref = host.get("provider") or host["name"]
    return ("%s: Placement has no resource provider %s; give the host's provider (the name "
            "`openstack resource provider list` shows, usually Nova's hypervisor_hostname, "
            "or its uuid) as provider" % (printable(host["name"]), printable(ref)))


def check_hosts(hosts, mode):
    """Refuse an unknown mode, a host given twice or an image id that is not one, listing all."""
    if mode not in MODES:
        raise PlacementTraitsError("mode must be one of %s, not '%s'" % (
            ", ".join(MODES), printable(mode)))
    problems, seen = [], set()
    for host in hosts:
        name = host.get("name")
        if not name:
            problems.append("a host has no name")
            continue
        if name in seen:
            problems.append("host %s is given twice" % printable(name))
        seen.add(name)
        for image_id in host.get("images") or []:
            try:
                trait_name(image_id)
            except PlacementTraitsError as err:
                problems.append("host %s: %s" % (printable(name), err))
    if problems:
        raise PlacementTraitsError("cannot set image traits: %s" % "; ".join(problems))
