"""Glance's egress on loopback shaped as a WAN link: an htb class of a rate that a u32 filter
sends Glance's source port to (tc: only htb and u32 work on this kernel's loopback; prio, netem
and tc actions do not). Everything else on `lo` is not shaped. The class's byte counter is what
Glance sent. Needs root.

    python -m bed.shaping add RATE     shape Glance's port (from the bed's integration_config.yml)
    python -m bed.shaping remove       remove the shaping (the root qdisc of lo)
"""
import json
import re
import signal
import subprocess
import sys
import urllib.parse

from bed import layout


def _tc(*argv, check=True):
    return subprocess.run(("tc",) + argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=check).stdout


class Shaper:
    """Glance's egress on loopback through an htb class of --rate: the tested recipe."""

    def __init__(self, port, rate, dev="lo"):
        self.port, self.rate, self.dev = port, rate, dev
        self.added = False

    def add(self):
        current = _tc("qdisc", "show", "dev", self.dev)
        if " root " in current and not current.startswith("qdisc noqueue"):
            raise SystemExit("%s has a root qdisc already, not touching it:\n%s" % (self.dev, current))
        self.added = True
        _tc("qdisc", "add", "dev", self.dev, "root", "handle", "1:", "htb", "default", "10")
        _tc("class", "add", "dev", self.dev, "parent", "1:", "classid", "1:10", "htb", "rate", "100gbit")
        _tc("class", "add", "dev", self.dev, "parent", "1:", "classid", "1:20", "htb",
            "rate", self.rate, "ceil", self.rate)
        _tc("filter", "add", "dev", self.dev, "parent", "1:", "protocol", "ip", "prio", "1", "u32",
            "match", "ip", "sport", str(self.port), "0xffff", "flowid", "1:20")

    def sent(self):
        """Bytes the kernel sent through class 1:20: Glance's egress, headers included."""
        out = _tc("-s", "class", "show", "dev", self.dev)
        match = re.search(r"class htb 1:20 .*?\n\s*Sent (\d+) bytes", out)
        if not match:
            raise SystemExit("no class 1:20 on %s:\n%s" % (self.dev, out))
        return int(match.group(1))

    def remove(self):
        if self.added:
            # Ignore Ctrl-C for the moment it takes: the link must not stay shaped.
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                out = _tc("qdisc", "del", "dev", self.dev, "root", check=False)
                if out.strip():
                    print("tc qdisc del dev %s root: %s" % (self.dev, out.strip()), file=sys.stderr)
                self.added = False
            finally:
                signal.signal(signal.SIGINT, previous)


def glance_port():
    """Glance's port, from the test bed's integration_config.yml; it must be on loopback."""
    with open(str(layout.WORK / "integration_config.yml")) as handle:
        endpoint = json.load(handle)["testbed"]["glance"]["endpoint"]
    url = urllib.parse.urlsplit(endpoint)
    if not url.hostname.startswith("127."):
        raise SystemExit("Glance is at %s, not on loopback: nothing to shape on lo" % endpoint)
    return url.port


def main(argv):
    if argv[:1] == ["add"] and len(argv) == 2:
        Shaper(glance_port(), argv[1]).add()
    elif argv == ["remove"]:
        shaper = Shaper(None, None)
        # Only a shaping of ours: lo has no root qdisc of its own.
        shaper.added = "htb 1: root" in _tc("qdisc", "show", "dev", shaper.dev)
        shaper.remove()
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
