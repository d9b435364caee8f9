"""Glance behind Keystone with two file stores, so that copy-image between sites is real.

glance-api is gone as a standalone server: glance.wsgi.api runs under gunicorn (gthread; uwsgi
breaks chunked uploads). Stores `site-a` (default) and `site-b` are folders of our own.
"""
from bed import common, layout, procs

PORT = layout.PORTS["glance"]
ENDPOINT = layout.url("glance")
STORES = ["site-a", "site-b"]
# Glance's own paste pipelines, as installed with it; `flavor = keystone` picks authtoken.
PASTE_INI = layout.VENVS / "openstack" / "etc" / "glance" / "glance-api-paste.ini"


def _paths():
    return layout.service_paths("glance")


def _dirs(paths):
    return {name: paths["data"] / name for name in STORES + ["staging", "tasks", "locks"]}


def _healthy():
    return procs.running(_paths()["pid"]) and procs.http_ok(ENDPOINT + "/healthcheck",
                                                            codes=(200,))


def _write_config(paths):
    dirs = _dirs(paths)
    sections = {
        "DEFAULT": {
            "debug": "false",
            "enabled_backends": ", ".join("%s:file" % store for store in STORES),
            "enabled_import_methods": "[glance-direct,web-download,copy-image]",
            "worker_self_reference_url": ENDPOINT,
            "public_endpoint": ENDPOINT,
        },
        "glance_store": {"default_backend": STORES[0]},
        "os_glance_staging_store": {"filesystem_store_datadir": dirs["staging"]},
        "os_glance_tasks_store": {"filesystem_store_datadir": dirs["tasks"]},
        "database": {"connection": common.sqlite_url(paths["data"] / "glance.sqlite")},
        "oslo_concurrency": {"lock_path": dirs["locks"]},
        "image_import_opts": {"image_import_plugins": "[]"},
        "paste_deploy": {"flavor": "keystone", "config_file": PASTE_INI},
        "keystone_authtoken": common.authtoken("glance"),
    }
    for store in STORES:
        sections[store] = {"filesystem_store_datadir": dirs[store]}
    common.write_ini(paths["etc"] / "glance-api.conf", sections)


def _initialize(paths):
    # A missing staging folder only logs "Imports will fail!": make every folder up front.
    for path in _dirs(paths).values():
        path.mkdir()
    procs.run([layout.venv_bin("openstack", "glance-manage"),
               "--config-file", paths["etc"] / "glance-api.conf", "db_sync"],
              paths["log"], env=common.env(), what="glance-manage db_sync")


def up(state):
    common.start_wsgi_service("glance", "openstack", "glance.wsgi.api", PORT, _paths(), _healthy, _write_config,
                              _initialize, "OS_GLANCE_CONFIG_DIR", timeout=90)
    state["glance"] = {"endpoint": ENDPOINT, "stores": list(STORES)}


def down():
    paths = _paths()
    common.stop([paths["pid"]], [PORT])
    common.forget_data(paths["data"])


def status():
    return [common.status_row("glance", _paths()["pid"],
                              ENDPOINT + " stores " + ",".join(STORES), _healthy)]
