# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Count the instances booted from each image, from Nova's server list: the popular images.

The work behind validate_images' `popular` option, on the controller. One paginated listing of
the servers of all projects (openstacksdk's `conn.compute.servers(details=True,
all_projects=True, status=[...])`, which follows Nova's `servers_links` itself) is counted per
image, for the whole cloud or per aggregate by the host each server runs on
(`OS-EXT-SRV-ATTR:host`, openstacksdk's `compute_host`, the same service host name aggregates
list). Servers booted from a volume carry no image and are counted apart.

The Nova side is reached through openstacksdk's compute proxy (`conn.compute`): servers() and
aggregates(), and nothing else, so unit tests pass a double.
"""

import collections

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller import aggregates
from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.connection import (
    HttpStatusError, call_api)

SCOPES = ("cloud", "aggregate")

# Nova's server statuses (the API's `status`, which the server list filters on).
NOVA_STATUSES = ("ACTIVE", "BUILD", "DELETED", "ERROR", "HARD_REBOOT", "MIGRATING", "PASSWORD",
                 "PAUSED", "REBOOT", "REBUILD", "RESCUE", "RESIZE", "REVERT_RESIZE", "SHELVED",
                 "SHELVED_OFFLOADED", "SHUTOFF", "SOFT_DELETED", "SUSPENDED", "UNKNOWN",
                 "VERIFY_RESIZE")

# Instances that hold their image on their host (running or stopped), not those being built,
# failed, shelved off the host or deleted.
DEFAULT_STATUSES = ("ACTIVE", "SHUTOFF")


class PopularityError(PrecacheError):
    """The popularity options cannot be applied; the message says why and what to do."""


def check_options(top, min_instances, scope, aggregates, statuses):
    """The statuses, upper-cased; PopularityError naming every bad option."""
    errors = []
    if top < 1:
        errors.append("popular.top must be 1 or more, not %d" % top)
    if min_instances < 1:
        errors.append("popular.min_instances must be 1 or more, not %d" % min_instances)
    if scope not in SCOPES:
        errors.append("popular.scope must be one of %s, not %s" % (", ".join(SCOPES), scope))
    elif scope == "aggregate" and not aggregates:
        errors.append("popular.scope aggregate needs the names of the aggregates in "
                      "popular.aggregates")
    elif scope == "cloud" and aggregates:
        errors.append("popular.aggregates is for popular.scope aggregate; with scope cloud "
                      "every instance counts")
    wanted = [status.upper() for status in statuses]
    unknown = [status for status in wanted if status not in NOVA_STATUSES]
    if not wanted:
        errors.append("popular.statuses must name at least one server status")
    if unknown:
        errors.append("popular.statuses has %s, not a status of Nova's servers (known: %s)"
                      % (", ".join(unknown), ", ".join(NOVA_STATUSES)))
    if errors:
        raise PopularityError("; ".join(errors))
    return list(dict.fromkeys(wanted))


def server_image_id(server):
    """The id of the image a server (openstacksdk Server) was booted from; None from a volume.

    Nova shows `"image": ""` for a server booted from a volume, `{"id": ..., "links": [...]}`
    otherwise; openstacksdk turns the first into an empty dict and the second into an Image.
    """
    image = getattr(server, "image", None)
    if not image:
        return None
    if isinstance(image, str):
        return image
    if isinstance(image, dict):
        return image.get("id") or None
    return getattr(image, "id", None) or None


def aggregate_hosts(compute_api, names):
    """{aggregate name: set of its service host names}, in the order given, from one listing.

    PopularityError naming the aggregates Nova does not know, and those it does.
    """
    records = aggregates.aggregate_records(compute_api)
    found, unknown = aggregates.lookup(records, names, keys=("name",))
    if unknown:
        raise PopularityError("Nova has no aggregate named %s (it has %s)" % (
            ", ".join(unknown), ", ".join(aggregates.names(records)) or "no aggregates"))
    return {name: set(found[name]["hosts"] or ()) for name in names}


class Census:
    """Instances per image, per group of hosts, from one listing of the servers of all projects.

    `groups` maps a group's name to the set of its hosts, or None for every host (the cloud).
    After count(): `servers` (listed), `from_volume` (booted from a volume, no image),
    `unplaced` (no host shown, so in no aggregate) and `counts` {group: Counter(image id)}.
    """

    def __init__(self, groups):
        self.groups = dict(groups)
        self.servers = 0
        self.from_volume = 0
        self.unplaced = 0
        self.counts = {name: collections.Counter() for name in self.groups}

    def count(self, compute_api, statuses):
        try:
            call_api(self._add_all, compute_api, statuses, handled=(403,))
        except HttpStatusError:
            raise PopularityError(
                "Nova refuses to list the servers of all projects to the caller (HTTP 403): "
                "counting the instances per image needs an administrator") from None
        if self.servers and self.unplaced == self.servers and any(
                hosts is not None for hosts in self.groups.values()):
            raise PopularityError(
                "Nova's server list shows no host for any of the %d servers, so none can be "
                "counted per aggregate: the host (OS-EXT-SRV-ATTR:host) is shown to "
                "administrators only" % self.servers)
        return self

    def _add_all(self, compute_api, statuses):
        # The listing is paginated: a refusal may come with any page, so count inside the call.
        for server in compute_api.servers(details=True, all_projects=True,
                                          status=list(statuses)):
            self._add(server)

    def _add(self, server):
        self.servers += 1
        host = getattr(server, "compute_host", None)
        if not host:
            self.unplaced += 1
        image_id = server_image_id(server)
        if image_id is None:
            self.from_volume += 1
            return
        for name, hosts in self.groups.items():
            if hosts is None or host in hosts:
                self.counts[name][image_id] += 1

    def ranking(self, group):
        """[(image id, instances)] of a group, the most used first, ties by id (stable)."""
        return sorted(self.counts[group].items(), key=lambda item: (-item[1], item[0]))


def census(compute_api, scope, aggregates, statuses):
    """The Census of the scope: one group `cloud`, or one per aggregate named."""
    if scope == "aggregate":
        groups = aggregate_hosts(compute_api, aggregates)
    else:
        groups = {"cloud": None}
    return Census(groups).count(compute_api, statuses)
