# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The seed's short-lived server of a run's staged images (peer_http), and its daemon.

image_serve starts it as root: the module forks, the child starts a session and forks again,
and the grandchild (the daemon) drops every descriptor but a pipe, becomes Nova's user (as
run_as does, but without dying with its parent, which it must outlive), opens the run's staging
as that user, binds the first free port of a range and writes `{"port": n}` (or `{"error"}`)
to the pipe. The module waits for that line and returns. The daemon stops at its deadline or
when told to (`POST /shutdown` with the token), and removes the run's staging either way.

The module's AnsiballZ files are deleted as soon as it exits, and Nova's user may be unable to
read the interpreter's own library: everything the daemon runs is imported here, at the top,
before the fork (no lazy imports, in this file or in what it calls).

With TLS (peer_tls) each connection is wrapped in its own thread, so that a slow handshake
holds no one else up; the peers pin the server's certificate. Either way the peers' end-to-end
check of Glance's hash is what makes the bytes trustworthy (the token keeps strangers out, TLS
keeps the bytes from the rest of the LAN).
"""

import errno
import http.client
import json
import os
import re
import select
import signal
import socket
import threading
import time
from http.server import ThreadingHTTPServer
from socketserver import TCPServer
from urllib.parse import urlsplit

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.peer_http import (
    TOKEN_HEADER, PeerHandler, TransferStats)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.peer_tls import (
    check_pin, client_context)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.run_as import (
    drop_privileges, must_switch, supplementary_groups)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.site_staging import (
    Staging)

START_TIMEOUT = 10
STOP_TIMEOUT = 30
# Connections beyond the transfers: those waiting for a 503, a 403 or their request line.
_SPARE_CONNECTIONS = 16
# Sent by the peers as a header: visible ASCII only, and long enough to be a secret.
_TOKEN = re.compile(r"[\x21-\x7e]{16,}")


class PeerServerError(PrecacheError):
    """The server could not start, or could not be told to stop."""


def parse_port_range(text):
    """[first, ..., last] of "47400-47499" (or one port "47400"), ValueError otherwise."""
    first, sep, last = str(text).partition("-")
    try:
        ports = (int(first), int(last) if sep else int(first))
    except ValueError:
        raise ValueError("port_range %r is not a port or a range such as 47400-47499"
                         % (text,)) from None
    if not 1024 <= ports[0] <= ports[1] <= 65535:
        raise ValueError("port_range %r must be unprivileged ports, low to high (1024-65535)"
                         % (text,))
    return list(range(ports[0], ports[1] + 1))


def check_token(token):
    """The run's token, or ValueError (which never quotes it)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise ValueError("the token must be 16 or more visible ASCII characters (no spaces or "
                         "line breaks): the peers send it as the HTTP header %s" % TOKEN_HEADER)
    return token


class PeerServer(ThreadingHTTPServer):
    """One run's server: `staging` (open), `token` (str), at most `max_peers` transfers."""

    daemon_threads = True

    def __init__(self, address, staging, token, max_peers, ssl_context=None):
        self.staging = staging
        self.ssl_context = ssl_context
        self.token = check_token(token).encode("ascii")
        self.stats = TransferStats()
        self.slots = threading.BoundedSemaphore(max_peers)
        self.connections = threading.BoundedSemaphore(max_peers + _SPARE_CONNECTIONS)
        self.stop_requested = threading.Event()
        self.closed = threading.Event()
        self.answered = threading.Event()
        self.answering = False
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, PeerHandler)

    def server_bind(self):
        # HTTPServer's own looks the address up in DNS (getfqdn): nothing here needs a name.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address):
        if not self.connections.acquire(blocking=False):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            if self.ssl_context is not None:
                request.settimeout(PeerHandler.timeout)
                try:
                    request = self.ssl_context.wrap_socket(request, server_side=True)
                except (OSError, ValueError):
                    self.shutdown_request(request)
                    return
            super().process_request_thread(request, client_address)
        finally:
            self.connections.release()

    def handle_error(self, request, client_address):
        # A peer that went away mid-transfer, or a timeout: nothing to tell anyone.
        pass

    def request_stop(self):
        """From a handler: stop, and return the stats once the listener and staging are gone."""
        self.answering = True
        self.stop_requested.set()
        self.closed.wait(STOP_TIMEOUT)
        return self.stats.as_dict()


def open_staging(instances_path, uid, run_id):
    """The run's Staging (open), or PeerServerError when nothing is staged for it."""
    staging = Staging(instances_path, uid, run_id, create=False)
    if not staging.staged():
        staging.close()
        raise PeerServerError("nothing is staged for run %s in %s: stage the images first"
                              % (run_id, staging.path))
    return staging


def bind(address, ports, staging, token, max_peers, ssl_context=None):
    """A PeerServer on the first free port of `ports`; PeerServerError when none is."""
    for port in ports:
        try:
            return PeerServer((address, port), staging, token, max_peers, ssl_context)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                continue
            raise PeerServerError("cannot listen on %s port %d: %s"
                                  % (address, port, err.strerror)) from None
    raise PeerServerError("no free port on %s in %d-%d" % (address, ports[0], ports[-1]))


def serve(server, deadline):
    """Serve until `deadline` (epoch seconds) or a shutdown request; then close the listener,
    remove the run's staging and return the stats."""
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              daemon=True)
    worker.start()
    try:
        server.stop_requested.wait(max(0.0, deadline - time.time()))
    finally:
        server.shutdown()
        worker.join()
        server.server_close()
        try:
            server.staging.remove()
        finally:
            server.staging.close()
            server.closed.set()
            if server.answering:
                # The shutdown's answer is written by a daemon thread: let it finish first.
                server.answered.wait(STOP_TIMEOUT)
    return server.stats.as_dict()


def start_daemon(instances_path, uid, gid, run_id, token, address, ports, deadline, max_peers,
                 ssl_context=None):
    """Start the daemon; {"port", "images"} once it listens, PeerServerError otherwise.
    `ssl_context` (peer_tls.server_context) is made before, as it needs no privilege after."""
    check_token(token)
    groups = supplementary_groups(uid, gid) if must_switch(uid, gid, "serving images") else None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.setsid()
            if os.fork() == 0:
                _daemon(write_end, (uid, gid, groups), (instances_path, run_id, token, address,
                                                        ports, deadline, max_peers, ssl_context))
        finally:
            os._exit(0)  # pylint: disable=protected-access
    os.close(write_end)
    os.waitpid(pid, 0)
    try:
        line = _read_line(read_end, START_TIMEOUT)
    finally:
        os.close(read_end)
    try:
        reply = json.loads(line)
    except ValueError:
        reply = None
    if not isinstance(reply, dict) or not ("port" in reply or "error" in reply):
        raise PeerServerError("the image server on %s did not start (no answer within %d s)"
                              % (address, START_TIMEOUT))
    if "error" in reply:
        raise PeerServerError(str(reply["error"]))
    return reply


def _read_line(fd, timeout):
    data, end = b"", time.monotonic() + timeout
    while b"\n" not in data:
        ready, _w, _x = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        chunk = os.read(fd, 4096) if ready else b""
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace")


def _daemon(pipe, ids, config):
    """The grandchild: never returns."""
    instances_path, run_id, token, address, ports, deadline, max_peers, ssl_context = config
    status, pipe = 1, [pipe]
    try:
        _detach(pipe[0])
        uid, gid, groups = ids
        if groups is not None:
            drop_privileges(uid, gid, groups, die_with_parent=False)
        os.umask(0o077)
        staging = open_staging(instances_path, uid, run_id)
        images = staging.staged()
        try:
            server = bind(address, ports, staging, token, max_peers, ssl_context)
        except BaseException:
            staging.close()
            raise
        signal.signal(signal.SIGTERM, lambda *_args: server.stop_requested.set())
        _report(pipe, {"port": server.server_port, "images": images})
        serve(server, deadline)
        status = 0
    except BaseException as err:  # pylint: disable=broad-except
        _report(pipe, {"error": str(err) or type(err).__name__})
    finally:
        os._exit(status)  # pylint: disable=protected-access


def _detach(pipe):
    """Nothing of the module's session stays open: 0, 1 and 2 are /dev/null, only `pipe` else."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    keep = {0, 1, 2, pipe}
    for name in os.listdir("/proc/self/fd"):
        if int(name) not in keep:
            try:
                os.close(int(name))
            except OSError:
                pass
    os.chdir("/")


def _report(pipe, message):
    """Write the one message of the daemon's pipe (a list holding its fd), then close it; its
    number is free afterwards, so it is forgotten too."""
    if not pipe:
        return
    fd = pipe.pop()
    try:
        os.write(fd, (json.dumps(message) + "\n").encode("utf-8"))
    except OSError:
        pass
    os.close(fd)


def request_shutdown(url, token, fingerprint=None, timeout=STOP_TIMEOUT):
    """Tell the server at `url` to stop: its stats, or None when nothing listens there. An
    https:// server must show the certificate of `fingerprint`."""
    check_token(token)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not parts.port:
        raise PeerServerError("%r is not the http(s)://ADDRESS:PORT that image_serve started"
                              % (url,))
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                                 context=client_context())
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        if parts.scheme == "https":
            connection.connect()
            check_pin(connection.sock, fingerprint)
        connection.request("POST", "/shutdown", headers={TOKEN_HEADER: token})
        response = connection.getresponse()
        body = response.read()
    except ConnectionRefusedError:
        return None
    except (OSError, http.client.HTTPException) as err:
        raise PeerServerError("cannot stop the image server at %s: %s" % (url, err)) from None
    finally:
        connection.close()
    if response.status == 403:
        raise PeerServerError("the image server at %s refused the token: it serves another run"
                              % url)
    try:
        stats = json.loads(body.decode("utf-8"))
    except ValueError:
        stats = None
    if response.status != 200 or not isinstance(stats, dict):
        raise PeerServerError("the image server at %s answered the shutdown with HTTP %d"
                              % (url, response.status))
    return stats
