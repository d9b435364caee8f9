"""Nova with fake compute hosts: the real API, conductor and scheduler, N nova-computes.

Each nova-compute runs `fake.FakeDriverWithCaching` (the plain FakeDriver cannot cache images)
with a nova.conf of its own naming its host (computeN), its my_ip (the hypervisor's host_ip, the
address its SSH host listens on) and its own state_path. Tokens are checked by the test bed's
Keystone through Nova's stock api-paste `keystone` pipeline. Versioned notifications go to
RabbitMQ, where the collection's tests listen for aggregate.cache_images.*.
"""
import shutil

from bed import common, keystone, layout, placement, procs, rabbitmq

PORT = layout.PORTS["nova"]
ENDPOINT = layout.url("nova", "/v2.1")
API_PASTE = layout.VENVS / "openstack" / "etc" / "nova" / "api-paste.ini"
DAEMONS = ("nova-conductor", "nova-scheduler")


def _paths():
    base = layout.service_dir("nova")
    return {"base": base, "etc": base / "etc", "data": base / "data", "logs": base / "logs"}


def _log(name):
    return _paths()["logs"] / ("%s.log" % name)


def _pid(name):
    return _paths()["base"] / ("%s.pid" % name)


def _compute_process(index):
    return "nova-compute-%s" % layout.compute_name(index)


def _started_count():
    """How many nova-computes up() last started: down() stops them even if the count changed."""
    try:
        return int((_paths()["base"] / "computes-started").read_text())
    except (OSError, ValueError):
        return 0


def _processes(count):
    return ["nova-api"] + list(DAEMONS) + [_compute_process(i) for i in range(1, count + 1)]


def _api_healthy():
    return procs.running(_pid("nova-api")) and procs.http_ok(ENDPOINT + "/", codes=(200,))


def _check_running(count):
    """Fail at once, with its log, when one of Nova's processes has died."""
    for name in _processes(count):
        if not procs.running(_pid(name)):
            raise procs.TestbedError("%s exited; log %s:\n%s" % (
                name, _log(name), procs.log_tail(_log(name))))


def _healthy(count):
    return (_started_count() == count and _api_healthy()
            and all(procs.running(_pid(name)) for name in _processes(count)))


def _common_config():
    """What every Nova process of the test bed shares."""
    return {
        "DEFAULT": {
            "debug": "false",
            "transport_url": rabbitmq.TRANSPORT_URL,
            # Every process, nova-manage too, on native threads: no eventlet monkey patching.
            "concurrency_backend": "threading",
        },
        "placement": common.keystone_session("nova"),
        # The stand-in Neutron (bed/neutron.py), found in the catalog. Reading and deleting
        # servers booted with `networks: none` still asks it for their ports, as the nova
        # service user too (nova-compute's delete), which needs these credentials.
        "neutron": common.keystone_session("nova"),
        "glance": {"endpoint_override": layout.url("glance")},
        "notifications": {"notification_format": "versioned"},
        "oslo_messaging_notifications": {"driver": "messagingv2"},
    }


def _write_config(paths, count):
    etc, data = paths["etc"], paths["data"]
    # The API reads its paste pipelines and nova.conf from one folder: Nova's stock file.
    etc.mkdir(parents=True, exist_ok=True)
    shutil.copy(API_PASTE, etc / "api-paste.ini")
    controller = _common_config()
    controller["DEFAULT"].update(host="controller", my_ip=layout.HOST,
                                 state_path=data / "controller")
    controller.update({
        "api_database": {"connection": common.sqlite_url(data / "nova_api.sqlite")},
        "database": {"connection": common.sqlite_url(data / "nova_cell1.sqlite")},
        "keystone_authtoken": common.authtoken("nova"),
        # Hosts are mapped by up() itself: the scheduler's periodic discovery collided with
        # the other writers of the SQLite API database.
        "scheduler": {"discover_hosts_in_cells_interval": "-1", "workers": "1"},
        "conductor": {"workers": "1"},
        "oslo_concurrency": {"lock_path": data / "controller" / "locks"},
    })
    common.write_ini(etc / "nova.conf", controller)
    # nova-manage db sync --local_cell syncs [database]: point it at cell0 for that one run.
    common.write_ini(etc / "cell0.conf", {
        "database": {"connection": common.sqlite_url(data / "nova_cell0.sqlite")}})
    # A compute's own nova.conf has no database, as in a real cell: given the API database,
    # nova-compute 34 checks service versions in cell0 and cell1 from two threads at start
    # and sometimes dies in that race ("dictionary changed size during iteration").
    for index in range(1, count + 1):
        name = layout.compute_name(index)
        compute = _common_config()
        compute["DEFAULT"].update(host=name, my_ip=layout.compute_address(index),
                                  state_path=data / name,
                                  compute_driver="fake.FakeDriverWithCaching")
        compute["oslo_concurrency"] = {"lock_path": data / name / "locks"}
        common.write_ini(etc / ("%s.conf" % name), compute)


def _manage(*args):
    return [layout.venv_bin("openstack", "nova-manage"),
            "--config-file", _paths()["etc"] / "nova.conf"] + list(args)


def _initialize_databases(paths):
    log, env = _log("nova-manage"), common.env()
    cell0_url = common.sqlite_url(paths["data"] / "nova_cell0.sqlite")

    def manage(what, *args):
        procs.run(_manage(*args), log, env=env, what="nova-manage " + what)

    def api_database():
        manage("api_db sync", "api_db", "sync")
        manage("cell_v2 map_cell0", "cell_v2", "map_cell0", "--database_connection", cell0_url)
        manage("cell_v2 create_cell", "cell_v2", "create_cell", "--name", "cell1")

    # The cell databases are synced on their own (--local_cell), alongside the API database.
    common.parallel(
        api_database,
        lambda: manage("db sync (cell1)", "db", "sync", "--local_cell"),
        lambda: manage("db sync (cell0)", "--config-file", paths["etc"] / "cell0.conf",
                       "db", "sync", "--local_cell"))


def _start(paths, count):
    (paths["base"] / "computes-started").write_text("%d\n" % count)
    procs.start("nova-api", common.gunicorn("openstack", "nova.wsgi.osapi_compute", PORT),
                _log("nova-api"), _pid("nova-api"),
                env=common.env(OS_NOVA_CONFIG_DIR=str(paths["etc"])))
    for name in DAEMONS:
        procs.start(name, [layout.venv_bin("openstack", name),
                           "--config-file", paths["etc"] / "nova.conf"],
                    _log(name), _pid(name), env=common.env())
    for index in range(1, count + 1):
        name = _compute_process(index)
        procs.start(name, [layout.venv_bin("openstack", "nova-compute"), "--config-file",
                           paths["etc"] / ("%s.conf" % layout.compute_name(index))],
                    _log(name), _pid(name), env=common.env())


def _wait_for_computes(count):
    """Wait until every nova-compute reports up, then map their hosts into cell1."""
    conn = keystone.connect()
    hosts = {layout.compute_name(i) for i in range(1, count + 1)}

    def services_up():
        _check_running(count)
        return hosts <= {s.host for s in conn.compute.services(binary="nova-compute")
                         if s.state == "up"}

    procs.wait_until(services_up, "nova-compute services", _log("nova-api"), timeout=120)

    def hypervisors_mapped():
        # Compute nodes appear a moment after their services: map again until all are in.
        procs.run(_manage("cell_v2", "discover_hosts"), _log("nova-manage"),
                  env=common.env(), what="nova-manage cell_v2 discover_hosts")
        return hosts <= {h.name for h in conn.compute.hypervisors()}

    procs.wait_until(hypervisors_mapped, "nova hypervisors", _log("nova-manage"), timeout=90,
                     interval=1)


def up(state):
    count = state.setdefault("computes", layout.COMPUTE_COUNT)
    paths = _paths()
    if not _healthy(count):
        # Always from nothing: a fake compute refuses to restart on its old database (it keeps
        # no local node identity), and another number of computes would leave stale ones.
        down()
        # Placement's providers belong to the computes of the database just dropped: left
        # there, they clash by name (409) with the new compute nodes'.
        if any(keystone.connect().placement.resource_providers()):
            placement.down()
            placement.up(state)
        _write_config(paths, count)
        common.prepare_data(paths["data"], lambda: _initialize_databases(paths))
        _start(paths, count)
        procs.wait_until(_api_healthy, "nova-api", _log("nova-api"), _pid("nova-api"),
                         timeout=90)
        _wait_for_computes(count)
    state["nova"] = {"endpoint": ENDPOINT}


def down():
    names = _processes(_started_count())
    common.stop([_pid(name) for name in names], [PORT])
    (_paths()["base"] / "computes-started").unlink(missing_ok=True)
    common.forget_data(_paths()["data"])


def status():
    rows = [common.status_row("nova-api", _pid("nova-api"), ENDPOINT, _api_healthy)]
    rows += [common.status_row(name, _pid(name), "host controller") for name in DAEMONS]
    for index in range(1, _started_count() + 1):
        rows.append(common.status_row(
            "nova-compute " + layout.compute_name(index), _pid(_compute_process(index)),
            "my_ip " + layout.compute_address(index)))
    return rows
