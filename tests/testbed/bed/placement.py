"""Placement, where the fake computes report their resources and the scheduler looks for room.

placement.wsgi.api under gunicorn, SQLite, tokens checked by the test bed's Keystone (the
`placement` service user); Nova finds it in the catalog.
"""
from bed import common, layout, procs

PORT = layout.PORTS["placement"]
ENDPOINT = layout.url("placement")


def _paths():
    return layout.service_paths("placement")


def _healthy():
    # The root document answers without a token once the app has loaded.
    return procs.running(_paths()["pid"]) and procs.http_ok(ENDPOINT + "/", codes=(200,))


def _write_config(paths):
    common.write_ini(paths["etc"] / "placement.conf", {
        "DEFAULT": {"debug": "false"},
        "api": {"auth_strategy": "keystone"},
        "keystone_authtoken": common.authtoken("placement"),
        "placement_database": {
            "connection": common.sqlite_url(paths["data"] / "placement.sqlite")},
    })


def _initialize(paths):
    procs.run([layout.venv_bin("openstack", "placement-manage"),
               "--config-file", paths["etc"] / "placement.conf", "db", "sync"],
              paths["log"], env=common.env(), what="placement-manage db sync")


def up(state):
    common.start_wsgi_service("placement", "openstack", "placement.wsgi.api", PORT, _paths(), _healthy, _write_config,
                              _initialize, "OS_PLACEMENT_CONFIG_DIR", timeout=60)
    state["placement"] = {"endpoint": ENDPOINT}


def down():
    paths = _paths()
    common.stop([paths["pid"]], [PORT])
    common.forget_data(paths["data"])


def status():
    return [common.status_row("placement", _paths()["pid"], ENDPOINT, _healthy)]
