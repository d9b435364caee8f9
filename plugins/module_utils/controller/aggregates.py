# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's host aggregates on the controller: read in one listing, looked up by name, id or uuid.

The one lookup behind the Nova pre-cache API (an aggregate by id, uuid or name), popularity
(aggregates by name) and the aggregates inventory plugin (plugin_utils/_aggregates.py: by name,
id or uuid). Each caller says which fields a reference may match and which wins, and words its
own error, since each names what the operator typed in its own terms.

The compute side is reached through openstacksdk's compute proxy (`conn.compute`): aggregates(),
and nothing else, so unit tests pass a double.
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.connection import (
    resource_record)

# Nova's JSON key -> openstacksdk attribute (openstack/compute/v2/aggregate.py).
AGGREGATE_FIELDS = dict(id="id", uuid="uuid", name="name", hosts="hosts", metadata="metadata",
                        availability_zone="availability_zone")


def aggregate_records(compute):
    """Every aggregate, as a dict keyed as Nova's API keys it, from one listing."""
    return [resource_record(aggregate, AGGREGATE_FIELDS) for aggregate in compute.aggregates()]


def lookup(aggregates, references, keys=("name", "id", "uuid")):
    """({reference: aggregate}, [references that match none]), in the order given.

    A reference (compared as text) matches the aggregate whose field matches it, the fields
    tried in the order of `keys`: the first key wins, so that with the default an aggregate
    named "42" is found by its name before another one whose id is 42.
    """
    found, unknown = {}, []
    for reference in references:
        wanted = str(reference)
        match = next((aggregate for key in keys for aggregate in aggregates
                      if aggregate.get(key) is not None and str(aggregate[key]) == wanted),
                     None)
        if match is None:
            unknown.append(reference)
        else:
            found[reference] = match
    return found, unknown


def names(aggregates):
    """The aggregates' names, sorted, for messages that list what the cloud has."""
    return sorted(str(aggregate["name"]) for aggregate in aggregates)
