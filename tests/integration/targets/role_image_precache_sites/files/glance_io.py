"""Bytes the test bed's Glance processes have written so far (wchar of /proc/PID/io, sockets
included, summed over gunicorn's master and workers): Glance's egress, counted by the kernel."""
import os
import sys

with open(sys.argv[1]) as handle:
    master = int(handle.read().strip())
pids = [master] + [int(pid) for pid in open("/proc/%d/task/%d/children" % (master, master)).read().split()]
total = 0
for pid in pids:
    with open("/proc/%d/io" % pid) as handle:
        total += next(int(line.split()[1]) for line in handle if line.startswith("wchar:"))
print(total)
