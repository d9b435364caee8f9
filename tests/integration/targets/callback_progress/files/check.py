"""Check the progress callback's JSON lines and summary after progress.yml, line by line."""
import json
import sys

NOVA_KEYS = ["message_id", "payload", "priority", "publisher_id", "timestamp", "event_type"]


def check(progress_path, summary_path, plan_path, aggregate, downloaded):
    with open(plan_path) as handle:
        image = json.load(handle)["plan"]["small"]
    with open(progress_path) as handle:
        notes = [json.loads(line) for line in handle]
    hosts = ["compute1", "compute2", "compute3"]
    events = [note["event_type"] for note in notes]
    assert events == ["aggregate.cache_images.start"] + ["aggregate.cache_images.progress"] * 3 \
        + ["aggregate.cache_images.end"], events
    for note in notes:
        assert sorted(note) == sorted(NOVA_KEYS), note
        assert note["priority"] == "INFO" and note["publisher_id"].startswith("ansible-precache:")
        assert note["payload"]["nova_object.namespace"] == "nova", note
    for note in (notes[0], notes[-1]):
        assert note["payload"]["nova_object.name"] == "AggregatePayload", note
        data = note["payload"]["nova_object.data"]
        assert data == dict(aggregate, hosts=hosts, metadata={}), data
    seen = []
    for index, note in enumerate(notes[1:4], 1):
        assert note["payload"]["nova_object.name"] == "AggregateCachePayload", note
        assert note["payload"]["nova_object.version"] == "1.0", note
        data = dict(note["payload"]["nova_object.data"])
        seen.append(data.pop("host"))
        assert data == dict(aggregate, index=index, total=3, images_cached=[image["id"]],
                            images_failed=[]), data
    # serial: 2 runs compute1 and compute2 (either order), then compute3.
    assert sorted(seen[:2]) == hosts[:2] and seen[2] == "compute3", seen
    with open(summary_path) as handle:
        summary = json.load(handle)
    assert summary["hosts_completed"] == 3, summary
    assert summary["errors"] == 0 and summary["failing_hosts"] == {}, summary
    assert summary["image_failures"] == {}, summary
    assert summary["bytes_downloaded"] == (3 * image["size"] if downloaded else 0), summary
    assert summary["elapsed"] > 0, summary


if __name__ == "__main__":
    check(sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5] == "yes")
