"""What the test bed's OpenStack services share: config files, gunicorn, Keystone auth."""
import concurrent.futures
import configparser
import shutil
from pathlib import Path

from bed import layout, procs

# sitecustomize.py (SQLite under concurrent writers) and testbed_wsgi.py (gunicorn entry point).
PYTHONPATH = Path(__file__).resolve().parents[1] / "files" / "pythonpath"


def write_ini(path, sections):
    """Write an oslo.config/paste INI file from {section: {option: value}}."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    for section, options in sections.items():
        parser[section] = {key: str(value) for key, value in options.items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        parser.write(handle)


def sqlite_url(path):
    return "sqlite:///%s" % path


def env(**extra):
    """Environment of a service process: the SQLite fix and the gunicorn entry point on its path."""
    return dict(extra, PYTHONPATH=str(PYTHONPATH))


def gunicorn(venv, app, port, threads=8):
    """Command line of one gunicorn serving `app` (a module with `application`) on port.

    One gthread worker: enough for the tests and the quickest to start. A short graceful timeout
    keeps `down` quick (Glance otherwise lingers ~10 s on TERM).
    """
    return [layout.venv_bin(venv, "gunicorn"), "--bind", "%s:%d" % (layout.HOST, port),
            "--workers", "1", "--worker-class", "gthread", "--threads", str(threads),
            "--timeout", "600", "--graceful-timeout", "3", "--no-control-socket",
            "--env", "TESTBED_WSGI_APP=%s" % app, "testbed_wsgi:application"]


def authtoken(user):
    """keystonemiddleware's [keystone_authtoken] for a service user of the test bed's Keystone."""
    return {
        "www_authenticate_uri": layout.url("keystone", "/v3"),
        "auth_url": layout.url("keystone", "/v3"),
        "auth_type": "password",
        "username": user,
        "password": layout.SERVICE_PASSWORD,
        "project_name": "service",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
        "region_name": layout.REGION,
        "service_token_roles_required": "true",
    }


def keystone_session(user):
    """keystoneauth options a service uses to call another one ([placement] in nova.conf)."""
    options = authtoken(user)
    del options["www_authenticate_uri"], options["service_token_roles_required"]
    return options


def parallel(*steps):
    """Run independent set-up steps (callables) at once; raise the first failure."""
    with concurrent.futures.ThreadPoolExecutor(len(steps)) as pool:
        futures = [pool.submit(step) for step in steps]
    for future in futures:
        future.result()


def prepare_data(data_dir, initialize):
    """Give a service new data once per start from `down`: an empty folder, then initialize().

    The marker is written only when initialize() succeeded: a failed set-up is redone from
    nothing, while a service that crashed restarts on its data. forget_data() (from `down`)
    makes the next `up` begin from nothing again.
    """
    marker = Path(data_dir) / "prepared"
    if marker.exists():
        return
    shutil.rmtree(data_dir, ignore_errors=True)
    Path(data_dir).mkdir(parents=True)
    initialize()
    marker.touch()


def start_wsgi_service(name, venv, app, port, paths, healthy, write_config, initialize,
                       config_env, timeout=60):
    """Bring up one gunicorn-served API unless healthy: config, data once, start, wait.

    `paths` holds the service's etc, data, log and pid paths; `config_env` names the variable
    through which the app finds its config folder (e.g. OS_GLANCE_CONFIG_DIR).
    """
    if healthy():
        return
    stop([paths["pid"]], [port])
    write_config(paths)
    prepare_data(paths["data"], lambda: initialize(paths))
    procs.start(name, gunicorn(venv, app, port), paths["log"], paths["pid"],
                env=env(**{config_env: str(paths["etc"])}))
    procs.wait_until(healthy, name, paths["log"], paths["pid"], timeout=timeout)


def forget_data(data_dir):
    (Path(data_dir) / "prepared").unlink(missing_ok=True)


def stop(pid_files, ports=()):
    """Stop processes by their pid files, all at once, then wait until their ports are free."""
    pid_files = list(pid_files)
    if pid_files:
        with concurrent.futures.ThreadPoolExecutor(len(pid_files)) as pool:
            list(pool.map(procs.stop, pid_files))
    for port in ports:
        procs.wait_port_free(layout.HOST, port)


def status_row(what, pid_file, where, check=lambda: True):
    """One row of `testbed.py status`: running by its pid file and passing its health check."""
    pid = procs.read_pid(pid_file)
    if not procs.alive(pid):
        return (what, None, where, False)
    try:
        ok = bool(check())
    except Exception:  # noqa: BLE001 - a failing probe means "not healthy"
        ok = False
    return (what, pid, where, ok)
