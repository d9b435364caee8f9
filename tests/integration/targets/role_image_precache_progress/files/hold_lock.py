"""Hold Nova's lock on an image's base file, as nova-compute does while it fetches it, until the
run's progress file shows the host waiting for it.

    hold_lock.py INSTANCES_PATH IMAGE_ID HOST PROGRESS_FILE READY_FILE

Takes the POSIX lock on INSTANCES_PATH/locks/nova-<sha1(IMAGE_ID)> (fasteners' lockf, what
nova.virt.libvirt.utils.synchronized takes), writes READY_FILE once it holds it, and lets it go
once two of the batch events in PROGRESS_FILE (the progress callback's) show HOST waiting for
Nova's lock, or after a minute. The lock dir and file belong to the owner of INSTANCES_PATH (the
host's Nova user), as nova-compute would have made them.
"""
import fcntl
import hashlib
import json
import os
import sys
import time

instances, image_id, host, progress, ready = sys.argv[1:]
WAITING = "waiting for Nova's lock"


def waited():
    try:
        with open(progress) as handle:
            notes = [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError):
        return 0
    return sum(1 for note in notes if note["event_type"] == "openstack_ops.precache.batch.progress"
               and note["payload"]["states"].get(host) == WAITING)


owner = os.stat(instances)
locks = os.path.join(instances, "locks")
os.makedirs(locks, exist_ok=True)
os.chown(locks, owner.st_uid, owner.st_gid)
path = os.path.join(locks, "nova-" + hashlib.sha1(image_id.encode()).hexdigest())
with open(path, "a") as handle:
    os.fchown(handle.fileno(), owner.st_uid, owner.st_gid)
    fcntl.lockf(handle, fcntl.LOCK_EX)
    with open(ready, "w") as flag:
        flag.write("%d\n" % os.getpid())
    deadline = time.monotonic() + 60
    while waited() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
