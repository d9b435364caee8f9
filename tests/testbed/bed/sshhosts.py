"""Compute "hosts" reached over real SSH, each with Nova's file layout of its own.

Each host is an sshd listening on its own 127.0.0.x address, started inside private mount and
UTS namespaces (its own host name) in which per-host folders are bind-mounted over the standard paths (/etc/nova,
/var/lib/nova, and the Kolla paths), so a module running there sees that host's nova.conf and
instances dir while the controller does not. The mounts end with the namespace, when sshd stops.
"""
import glob
import grp
import os
import pwd
import shutil
from pathlib import Path

from bed import layout, procs

NOVA_UID_KOLLA = 42436

# Mount points on the real machine: (path in the host, folder under the host's dir).
MOUNTS = [
    ("/etc/nova", "etc-nova"),
    ("/var/lib/nova", "var-lib-nova"),
    ("/etc/kolla", "etc-kolla"),
    ("/var/lib/docker/volumes/nova_compute", "docker-volume-nova_compute"),
]

# The deployment flavours the hosts cycle through: where nova.conf and the instances live.
FLAVOURS = [
    {"name": "packages", "nova_conf": "/etc/nova/nova.conf",
     "instances": "/var/lib/nova/instances", "owner": "nova", "python": "3.9",
     "extra": "", "base": "_base", "with_base": True},
    {"name": "kolla", "nova_conf": "/etc/kolla/nova-compute/nova.conf",
     "instances": "/var/lib/docker/volumes/nova_compute/_data/instances",
     "owner": NOVA_UID_KOLLA, "python": "system", "extra": "", "base": "_base",
     "with_base": False},
    {"name": "packages-subdir", "nova_conf": "/etc/nova/nova.conf",
     "instances": "/var/lib/nova/instances", "owner": "nova", "python": "3.12",
     "extra": "\n[image_cache]\nsubdirectory_name = _base_$my_ip\n", "base": "_base_{address}",
     "with_base": False},
]

# Each host's nova.conf (str.format: name, address, flavour, extra); the settings unit tests
# read it too.
NOVA_CONF = (Path(__file__).parent / "nova.conf.template").read_text()

SSHD_CONFIG = """\
Port {port}
ListenAddress {address}
HostKey {hostdir}/ssh_host_ed25519_key
PidFile {hostdir}/sshd.pid
AuthorizedKeysFile {keydir}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp /usr/lib/openssh/sftp-server
"""


def _keydir():
    return layout.service_dir("ssh")


def _hostdir(index):
    return layout.service_dir("hosts") / layout.compute_name(index)


def _flavour(index):
    return FLAVOURS[(index - 1) % len(FLAVOURS)]


def _python(version):
    if version == "system":
        return "/usr/bin/python3"
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    found = sorted(glob.glob("%s/versions/%s.*/bin/python%s" % (pyenv_root, version, version)))
    return found[-1] if found else "/usr/bin/python3"


def _nova_user():
    """The packaged layout's nova user and group, created once like a distribution would."""
    try:
        pwd.getpwnam("nova")
    except KeyError:
        procs.run(["useradd", "--system", "--user-group", "--home-dir", "/var/lib/nova",
                   "--no-create-home", "--shell", "/usr/sbin/nologin", "nova"],
                  layout.WORK / "ssh" / "setup.log", what="useradd nova")
    return pwd.getpwnam("nova").pw_uid, grp.getgrnam("nova").gr_gid


def _keygen(path):
    if not Path(path).exists():
        procs.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path],
                  layout.WORK / "ssh" / "setup.log", what="ssh-keygen")


def _mount_points():
    """Create the missing mount points, remembering them so that down() removes them again."""
    record = layout.service_dir("hosts") / "created-mount-points"
    created = record.read_text().split() if record.exists() else []
    for target, _folder in MOUNTS:
        missing = []
        path = Path(target)
        while not path.exists():
            missing.append(str(path))
            path = path.parent
        for folder in reversed(missing):
            os.mkdir(folder)
            created.append(folder)
    record.write_text("\n".join(created) + "\n")


def _remove_mount_points():
    record = layout.service_dir("hosts") / "created-mount-points"
    if not record.exists():
        return
    for folder in reversed(record.read_text().split()):
        try:
            os.rmdir(folder)
        except OSError:
            pass  # not empty or already gone: not ours to remove
    record.unlink()


def _prepare_host(index, nova_ids):
    name, address = layout.compute_name(index), layout.compute_address(index)
    flavour = _flavour(index)
    hostdir = _hostdir(index)
    for _target, folder in MOUNTS:
        (hostdir / folder).mkdir(parents=True, exist_ok=True)

    def on_host(path):
        for target, folder in MOUNTS:
            if path == target or path.startswith(target + "/"):
                return hostdir / folder / path[len(target) + 1:]
        raise ValueError(path)

    conf = on_host(flavour["nova_conf"])
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(NOVA_CONF.format(name=name, address=address, flavour=flavour["name"],
                                     extra=flavour["extra"]))
    uid, gid = (flavour["owner"],) * 2 if isinstance(flavour["owner"], int) else nova_ids
    instances = on_host(flavour["instances"])
    instances.mkdir(parents=True, exist_ok=True)
    os.chown(instances, uid, gid)
    if flavour["with_base"]:
        (instances / "_base").mkdir(exist_ok=True)
        os.chown(instances / "_base", uid, gid)
    _keygen(str(hostdir / "ssh_host_ed25519_key"))
    (hostdir / "sshd_config").write_text(SSHD_CONFIG.format(
        port=layout.SSH_PORT, address=address, hostdir=hostdir, keydir=_keydir()))
    return {
        "name": name, "address": address, "port": layout.SSH_PORT,
        "flavour": flavour["name"], "nova_conf": flavour["nova_conf"],
        "instances_path": flavour["instances"],
        "cache_dir": "%s/%s" % (flavour["instances"], flavour["base"].format(address=address)),
        "owner_uid": uid, "owner_gid": gid,
        "python": _python(flavour["python"]), "hostdir": str(hostdir),
        "host_key": (hostdir / "ssh_host_ed25519_key.pub").read_text().split()[:2],
    }


def _start_host(host):
    hostdir = Path(host["hostdir"])
    binds = " && ".join("mount --bind %s %s" % (hostdir / folder, target)
                        for target, folder in MOUNTS)
    procs.start(
        "sshd " + host["name"],
        ["unshare", "--mount", "--uts", "--propagation", "private", "sh", "-c",
         "hostname %s && %s && exec /usr/sbin/sshd -D -e -f %s"
         % (host["name"], binds, hostdir / "sshd_config")],
        hostdir / "sshd.log", hostdir / "daemon.pid")


def up(state):
    Path("/run/sshd").mkdir(exist_ok=True)
    keydir = _keydir()
    _keygen(str(keydir / "id_ed25519"))
    shutil.copyfile(keydir / "id_ed25519.pub", keydir / "authorized_keys")
    _mount_points()
    nova_ids = _nova_user()
    hosts = [_prepare_host(i, nova_ids) for i in range(1, state["computes"] + 1)]
    for host in hosts:
        _start_host(host)
    for host in hosts:
        hostdir = Path(host["hostdir"])
        procs.wait_until(lambda h=host: procs.port_open(h["address"], h["port"]),
                         "sshd of %s" % host["name"], hostdir / "sshd.log",
                         hostdir / "daemon.pid", timeout=30)
    known_hosts = keydir / "known_hosts"
    known_hosts.write_text("".join("[%s]:%d %s %s\n" % (h["address"], h["port"], *h["host_key"])
                                   for h in hosts))
    state["ssh"] = {"private_key": str(keydir / "id_ed25519"), "known_hosts": str(known_hosts),
                    "user": "root", "port": layout.SSH_PORT}
    state["ssh_hosts"] = hosts


def down():
    for hostdir in sorted(layout.service_dir("hosts").glob("compute*")):
        procs.stop(hostdir / "daemon.pid")
    _remove_mount_points()


def status():
    rows = []
    for hostdir in sorted(layout.service_dir("hosts").glob("compute*")):
        address = (hostdir / "sshd_config").read_text().split("ListenAddress ")[1].split()[0]
        pid = procs.read_pid(hostdir / "daemon.pid")
        ok = procs.alive(pid) and procs.port_open(address, layout.SSH_PORT)
        rows.append(("sshd " + hostdir.name, pid, "%s:%d" % (address, layout.SSH_PORT), ok))
    return rows
