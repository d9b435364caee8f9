"""Barbican: the test bed's key manager, where signed images' certificates live.

Barbican 23 in its own venv under gunicorn, behind the bed's Keystone (keystonemiddleware, the
`barbican` service user), with the simple_crypto secret store and SQLite. Barbican creates its
tables itself on start (`db_auto_create`: the models' create_all and an alembic stamp, quicker
than a separate `barbican-manage db upgrade` that replays every migration). Policy: Barbican's
own defaults.
"""
import base64
import configparser
import os

from bed import common, layout, procs

PORT = layout.PORTS["barbican"]
ENDPOINT = layout.url("barbican")


def _paths():
    return layout.service_paths("barbican")


def _healthy():
    return procs.running(_paths()["pid"]) and procs.http_ok(ENDPOINT + "/healthcheck",
                                                            codes=(200,))


def _kek(paths):
    """simple_crypto's master key: new with new data, the same while the data lives on.

    The secrets are encrypted with project keys that this key wraps: a new one on a restart of
    the same data would leave every stored secret unreadable.
    """
    conf = paths["etc"] / "barbican.conf"
    if (paths["data"] / "prepared").exists() and conf.exists():
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(conf)
        kek = parser.get("simple_crypto_plugin", "kek", fallback=None)
        if kek:
            return kek
    return base64.b64encode(os.urandom(32)).decode()


def _write_config(paths):
    common.write_ini(paths["etc"] / "barbican.conf", {
        "DEFAULT": {
            "debug": "false",
            "host_href": ENDPOINT,
            "db_auto_create": "true",
        },
        "database": {"connection": common.sqlite_url(paths["data"] / "barbican.sqlite")},
        "secretstore": {"enabled_secretstore_plugins": "store_crypto"},
        "crypto": {"enabled_crypto_plugins": "simple_crypto"},
        "simple_crypto_plugin": {"kek": _kek(paths)},
        "keystone_authtoken": common.authtoken("barbican"),
    })
    (paths["etc"] / "barbican.conf").chmod(0o600)


def up(state):
    common.start_wsgi_service("barbican", "barbican", "testbed_barbican", PORT, _paths(),
                              _healthy, _write_config, lambda paths: None,
                              "OS_BARBICAN_CONFIG_DIR", timeout=60)
    state["barbican"] = {"endpoint": ENDPOINT, "pki_dir": str(_paths()["data"] / "pki")}


def down():
    paths = _paths()
    common.stop([paths["pid"]], [PORT])
    common.forget_data(paths["data"])


def status():
    return [common.status_row("barbican", _paths()["pid"], ENDPOINT, _healthy)]
