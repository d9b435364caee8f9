"""Keystone: the test bed's identity service, catalog and the clouds.yaml entries.

Keystone 30 in its own venv, SQLite, fernet tokens, under gunicorn. Once it answers, the
projects, users, roles, services and endpoints the other services and the tests need are
ensured with openstacksdk (idempotent, so `up` on a running Keystone repairs a partial set-up).
"""
import copy
import grp
import os
import pwd

import openstack

from bed import common, layout, procs

PORT = layout.PORTS["keystone"]
AUTH_URL = layout.url("keystone", "/v3")
SERVICE_USERS = ("glance", "nova", "placement", "barbican")
# (service type, name, endpoint URL) of every service in the catalog besides identity.
CATALOG = (
    ("image", "glance", layout.url("glance")),
    ("compute", "nova", layout.url("nova", "/v2.1")),
    ("placement", "placement", layout.url("placement")),
    # The stand-in of bed/neutron.py: Nova reads servers' ports through it.
    ("network", "neutron", layout.url("neutron")),
    ("key-manager", "barbican", layout.url("barbican")),
)


def _paths():
    return layout.service_paths("keystone")


def _cloud(user, project, password):
    return {
        "auth_type": "password",
        "auth": {"auth_url": AUTH_URL, "username": user, "password": password,
                 "project_name": project, "user_domain_name": "Default",
                 "project_domain_name": "Default"},
        "region_name": layout.REGION,
        "identity_api_version": 3,
        "interface": "public",
    }


CLOUDS = {
    "precache-admin": _cloud("admin", "admin", layout.ADMIN_PASSWORD),
    "precache-demo": _cloud("demo", "demo", layout.DEMO_PASSWORD),
}


def connect(cloud="precache-admin"):
    """An openstacksdk connection from the test bed's own clouds, not the user's clouds.yaml."""
    return openstack.connect(load_yaml_config=False, load_envvars=False, **CLOUDS[cloud])


def _healthy():
    return procs.running(_paths()["pid"]) and procs.http_ok(AUTH_URL, codes=(200,))


def _write_config(paths):
    data = paths["data"]
    common.write_ini(paths["etc"] / "keystone.conf", {
        "DEFAULT": {"debug": "false"},
        "database": {"connection": common.sqlite_url(data / "keystone.sqlite")},
        # bcrypt's default cost makes every password check ~0.7 s: pointless on a test bed.
        "identity": {"password_hash_rounds": "4"},
        # Caches token validation and catalog reads in-process (Keystone's default is off).
        "cache": {"enabled": "true", "backend": "dogpile.cache.memory"},
        "token": {"provider": "fernet"},
        "fernet_tokens": {"key_repository": data / "fernet-keys"},
        # Same folder as the tokens': its default is /etc/keystone/fernet-keys.
        "fernet_receipts": {"key_repository": data / "fernet-keys"},
        "credential": {"key_repository": data / "credential-keys"},
    })


def _initialize(paths):
    """A new database, keys and the bootstrap admin: what keystone-manage does."""
    owner = ["--keystone-user", pwd.getpwuid(os.getuid()).pw_name,
             "--keystone-group", grp.getgrgid(os.getgid()).gr_name]

    def manage(*args):
        procs.run([layout.venv_bin("keystone", "keystone-manage"),
                   "--config-file", paths["etc"] / "keystone.conf"] + list(args),
                  paths["log"], env=common.env(), what="keystone-manage " + args[0])

    def database():
        manage("db_sync")
        manage("bootstrap", "--bootstrap-password", layout.ADMIN_PASSWORD,
               "--bootstrap-region-id", layout.REGION, "--bootstrap-admin-url", AUTH_URL,
               "--bootstrap-internal-url", AUTH_URL, "--bootstrap-public-url", AUTH_URL)

    common.parallel(database, lambda: manage("fernet_setup", *owner),
                    lambda: manage("credential_setup", *owner))


def _ensure_resources():
    # Whole lists, then only what is missing: each Keystone request costs tens of ms.
    ident = connect().identity
    domain = ident.find_domain("default", ignore_missing=False)
    projects = {p.name: p for p in ident.projects(domain_id=domain.id)}
    roles = {r.name: r for r in ident.roles()}
    users = {u.name: u for u in ident.users(domain_id=domain.id)}
    services = {s.type: s for s in ident.services()}
    endpoints = {(e.service_id, e.interface): e for e in ident.endpoints(region_id=layout.REGION)}

    for name in ("service", "demo"):
        if name not in projects:
            projects[name] = ident.create_project(name=name, domain_id=domain.id)
    for name in ("admin", "member", "reader", "service"):
        if name not in roles:
            roles[name] = ident.create_role(name=name)
    wanted_users = [(name, layout.SERVICE_PASSWORD, "service", ("admin", "service"))
                    for name in SERVICE_USERS]
    wanted_users.append(("demo", layout.DEMO_PASSWORD, "demo", ("member",)))
    for name, password, project, role_names in wanted_users:
        user = users.get(name) or ident.create_user(
            name=name, password=password, domain_id=domain.id,
            default_project_id=projects[project].id)
        for role in role_names:  # a PUT: assigning again changes nothing
            ident.assign_project_role_to_user(projects[project], user, roles[role])

    for service_type, name, url in CATALOG:
        service = services.get(service_type) or ident.create_service(name=name,
                                                                     type=service_type)
        for interface in ("public", "internal", "admin"):
            if (service.id, interface) not in endpoints:
                ident.create_endpoint(service_id=service.id, interface=interface, url=url,
                                      region_id=layout.REGION)


def up(state):
    common.start_wsgi_service("keystone", "keystone", "keystone.wsgi.api", PORT, _paths(), _healthy, _write_config,
                              _initialize, "OS_KEYSTONE_CONFIG_DIR", timeout=60)
    _ensure_resources()
    state["keystone"] = {"auth_url": AUTH_URL}
    state["clouds"] = copy.deepcopy(CLOUDS)


def down():
    common.stop([_paths()["pid"]], [PORT])
    common.forget_data(_paths()["data"])


def status():
    return [common.status_row("keystone", _paths()["pid"], AUTH_URL, _healthy)]
