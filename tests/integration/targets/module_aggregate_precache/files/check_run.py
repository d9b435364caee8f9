"""Check what the progress callback and the role made of Nova's own pre-cache run, exactly.

  check_run.py LOG PROGRESS SUMMARY AGGREGATE IMAGES SKIPPED [STORES]

LOG is ansible-playbook's output, PROGRESS the callback's JSON lines, SUMMARY the role's summary
file; AGGREGATE the aggregate's name, IMAGES the image ids (comma-separated) every host that was
up cached, SKIPPED the hosts Nova skipped (comma-separated, may be empty), STORES the Glance
stores the images were copied into or found in (precache_nova_rbd_stores). The three compute
hosts each have one line and one progress notification, in the order they reported to Nova.
"""
import json
import re
import sys

HOSTS = ["compute1", "compute2", "compute3"]


def main(log_path, progress_path, summary_path, aggregate, images, skipped, stores=""):
    images = sorted(images.split(","))
    skipped = [host for host in skipped.split(",") if host]
    with open(log_path) as handle:
        log = handle.read()
    assert "UNREACHABLE" not in log and "127.0.0.1:1" not in log, log
    for host in HOSTS:
        # No play ran on a compute host: the recap names none.
        assert not re.search(r"^%s\s+:" % host, log, re.M), log

    lines = re.findall(r"^host (\d)/3 (compute\d): (\d) cached, (\d) failed \(\d+%, ETA [0-9:]+\)"
                       r"( - skipped by Nova, its compute service is down)?$", log, re.M)
    assert [int(line[0]) for line in lines] == [1, 2, 3], lines
    reported = [line[1] for line in lines]
    assert sorted(reported) == HOSTS, lines
    for _index, host, cached, failed, note in lines:
        if host in skipped:
            assert (cached, failed, bool(note)) == ("0", str(len(images)), True), lines
        else:
            assert (cached, failed, bool(note)) == (str(len(images)), "0", False), lines
    assert re.search(r"^Completed 3 hosts, 0 errors in [0-9:]+, 0 bytes downloaded$", log, re.M), log

    with open(progress_path) as handle:
        notes = [json.loads(line) for line in handle]
    assert [n["event_type"] for n in notes] == ["aggregate.cache_images.start"] + [
        "aggregate.cache_images.progress"] * 3 + ["aggregate.cache_images.end"], notes
    progress = [n["payload"]["nova_object.data"] for n in notes[1:4]]
    assert [p["host"] for p in progress] == reported, (progress, lines)
    for data in progress:
        assert data["name"] == aggregate and data["total"] == 3, data
        expected = ([], images) if data["host"] in skipped else (images, [])
        assert (sorted(data["images_cached"]), sorted(data["images_failed"])) == expected, data
    assert notes[0]["payload"]["nova_object.data"]["name"] == aggregate, notes[0]

    with open(summary_path) as handle:
        summary = json.load(handle)
    assert summary["hosts_completed"] == 3 and summary["errors"] == 0, summary
    assert summary["image_failures"] == {} and summary["hosts_not_attempted"] == [], summary
    assert sorted(summary["failing_hosts"]) == sorted(skipped), summary
    for host in skipped:
        assert summary["failing_hosts"][host]["status"] == "skipped", summary
    stores = [store for store in stores.split(",") if store]
    assert sorted(summary["stores"]) == stores, summary
    for store in stores:
        entry = summary["stores"][store]
        assert entry["problems"] == [], entry
        assert sorted(sum(entry["images"].values(), [])) == images, entry
        assert set(entry["images"]) <= {"present", "copied"}, entry
        # The callback's summary says it too.
        assert re.search(r"^Glance store %s: \d+ (copied|present)" % store, log, re.M), log
    print("checked: %d lines, %d notifications, the summary" % (len(lines), len(notes)))


if __name__ == "__main__":
    main(*sys.argv[1:])
