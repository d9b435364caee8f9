"""Check the progress callback's notifications (its JSON lines, or what the bus delivered) and
its summary after progress.yml, exactly.

    check.py NOTES PLAN AGGREGATES [SUMMARY yes|no]

AGGREGATES is JSON: one aggregate ({"id", "uuid", "name"}) for every host, or a mapping of each
host to its aggregate. SUMMARY is the summary file, and yes or no whether the image was
downloaded (no: check mode).
"""
import json
import sys

NOVA_KEYS = ["message_id", "payload", "priority", "publisher_id", "timestamp", "event_type"]
HOSTS = ["compute1", "compute2", "compute3"]
PREFIX = "aggregate.cache_images."


def check_notes(notes, image, per_host):
    # The aggregates in the order of their first host: progress.yml's cache_image task starts
    # them all (with the play's hosts of every batch) before its first result.
    aggregates = []
    for host in HOSTS:
        if per_host[host] not in aggregates:
            aggregates.append(per_host[host])
    members = [[host for host in HOSTS if per_host[host] == agg] for agg in aggregates]
    events = [note["event_type"] for note in notes]
    assert events == [PREFIX + "start"] * len(aggregates) + [PREFIX + "progress"] * 3 \
        + [PREFIX + "end"] * len(aggregates), events
    for note in notes:
        assert sorted(note) == sorted(NOVA_KEYS), note
        assert note["priority"] == "INFO" and note["publisher_id"].startswith("ansible-precache:")
        assert note["payload"]["nova_object.namespace"] == "nova", note
    starts, progress, ends = (notes[:len(aggregates)], notes[len(aggregates):-len(aggregates)],
                              notes[-len(aggregates):])
    for group in (starts, ends):
        for note, aggregate, hosts in zip(group, aggregates, members):
            assert note["payload"]["nova_object.name"] == "AggregatePayload", note
            assert note["payload"]["nova_object.version"] == "1.1", note
            data = note["payload"]["nova_object.data"]
            assert data == dict(aggregate, hosts=hosts, metadata={}), data
    seen, index = [], {}
    for note in progress:
        assert note["payload"]["nova_object.name"] == "AggregateCachePayload", note
        assert note["payload"]["nova_object.version"] == "1.0", note
        data = dict(note["payload"]["nova_object.data"])
        host = data.pop("host")
        seen.append(host)
        aggregate = per_host[host]
        key = json.dumps(aggregate, sort_keys=True)
        index[key] = index.get(key, 0) + 1
        total = sum(1 for other in HOSTS if per_host[other] == aggregate)
        assert data == dict(aggregate, index=index[key], total=total,
                            images_cached=[image["id"]], images_failed=[]), data
    # serial: 2 runs compute1 and compute2 (either order), then compute3.
    assert sorted(seen[:2]) == HOSTS[:2] and seen[2] == "compute3", seen


def check_summary(summary, image, downloaded):
    assert summary["hosts_completed"] == 3, summary
    assert summary["errors"] == 0 and summary["failing_hosts"] == {}, summary
    assert summary["image_failures"] == {}, summary
    assert summary["bytes_downloaded"] == (3 * image["size"] if downloaded else 0), summary
    assert summary["elapsed"] > 0 and summary["hosts_not_attempted"] == [], summary


def main(notes_path, plan_path, aggregates, summary_path=None, downloaded=None):
    with open(plan_path) as handle:
        image = json.load(handle)["plan"]["small"]
    with open(notes_path) as handle:
        notes = [json.loads(line) for line in handle]
    aggregates = json.loads(aggregates)
    per_host = aggregates if set(aggregates) == set(HOSTS) else dict.fromkeys(HOSTS, aggregates)
    check_notes(notes, image, per_host)
    if summary_path:
        with open(summary_path) as handle:
            check_summary(json.load(handle), image, downloaded == "yes")
    print("%s: %d notifications as expected" % (notes_path, len(notes)))


if __name__ == "__main__":
    main(*sys.argv[1:])
