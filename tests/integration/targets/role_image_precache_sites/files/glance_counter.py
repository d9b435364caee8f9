"""In front of the test bed's Glance, a byte counter of the image data it sends the hosts.

    glance_counter.py UPSTREAM PORT_FILE COUNT_FILE

Listens on an ephemeral port of 127.0.0.1 (written to PORT_FILE once it listens), passes every
request to UPSTREAM (host:port), and appends to COUNT_FILE the size of each image data answer
(GET .../file): what crossed the "WAN", counted outside the collection's code.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "setup_testbed", "files"))
from http_proxy import Forwarder, serve  # noqa: E402 (after the path to it)


class Counter(Forwarder):
    count_file = None

    def answered(self, started, response, data):
        if self.command == "GET" and self.path.split("?")[0].endswith("/file"):
            with open(self.count_file, "a") as handle:
                handle.write("%d\n" % len(data))
        return data


if __name__ == "__main__":
    upstream, port_file, Counter.count_file = sys.argv[1:]
    serve(Counter, upstream, port_file)
