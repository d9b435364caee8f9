"""Start, watch and stop the test bed's processes: by pid file, never by name."""
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


class TestbedError(Exception):
    """A service did not come up or go down; the message carries its log tail."""


def log_tail(log_path, lines=30):
    path = Path(log_path)
    if not path.exists():
        return "(no log at %s)" % path
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - 16384))
        text = handle.read().decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])


def read_pid(pid_file):
    try:
        return int(Path(pid_file).read_text().strip())
    except (OSError, ValueError):
        return None


def alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def running(pid_file):
    return alive(read_pid(pid_file))


def environ(env=None):
    """This process's environment with `env` on top: what the bed's commands run with."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return full_env


def start(name, argv, log_path, pid_file, env=None, cwd=None):
    """Start a daemon in its own session, output to its log, pid recorded. Idempotent."""
    if running(pid_file):
        return read_pid(pid_file)
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    full_env = environ(env)
    with open(log_path, "ab") as log:
        log.write(("\n==== %s starting: %s\n" % (name, " ".join(map(str, argv)))).encode())
        log.flush()
        proc = subprocess.Popen(
            [str(a) for a in argv], stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=full_env, cwd=cwd, start_new_session=True)
    Path(pid_file).write_text("%d\n" % proc.pid)
    return proc.pid


def stop(pid_file, timeout=20):
    """Stop the process group recorded in pid_file: TERM, then KILL after timeout."""
    pid = read_pid(pid_file)
    if alive(pid):
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            except PermissionError:
                os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if not alive(pid):
                break
    Path(pid_file).unlink(missing_ok=True)


def port_open(host, port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(check, what, log_path, pid_file=None, timeout=120, interval=0.5):
    """Poll check() until it is true; fail with the log tail if the process died or time ran out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except TestbedError:  # a probe that knows waiting is pointless (a process died)
            raise
        except Exception:  # noqa: BLE001 - any other failure of a probe means "not yet"
            pass
        if pid_file and not running(pid_file):
            raise TestbedError("%s exited while starting; log %s:\n%s"
                               % (what, log_path, log_tail(log_path)))
        if time.monotonic() > deadline:
            raise TestbedError("%s not ready after %ds; log %s:\n%s"
                               % (what, timeout, log_path, log_tail(log_path)))
        time.sleep(interval)


def wait_port_free(host, port, timeout=30):
    deadline = time.monotonic() + timeout
    while port_open(host, port):
        if time.monotonic() > deadline:
            raise TestbedError("port %s:%d is still in use by a process this test bed did not "
                               "start; stop it or set another port" % (host, port))
        time.sleep(0.5)


def http_ok(url, codes=(200, 300, 401)):
    """True when url answers with one of codes (a 401 still proves the server is up)."""
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return resp.status in codes
    except urllib.error.HTTPError as err:
        return err.code in codes


def run(argv, log_path, env=None, cwd=None, what=None, timeout=600):
    """Run a set-up command to completion, its output appended to log_path; fail with the tail."""
    full_env = environ(env)
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(("\n==== %s\n" % " ".join(map(str, argv))).encode())
        log.flush()
        result = subprocess.run([str(a) for a in argv], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=full_env, cwd=cwd, timeout=timeout,
                                check=False)
    if result.returncode != 0:
        raise TestbedError("%s failed (exit %d); log %s:\n%s" % (
            what or argv[0], result.returncode, log_path, log_tail(log_path)))
