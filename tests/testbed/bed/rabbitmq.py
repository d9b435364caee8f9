"""RabbitMQ, Nova's RPC bus and notification transport: Debian's server, started by hand.

Debian's policy-rc.d keeps the packaged service from starting, and the test bed wants its own
node anyway: loopback only, its own ports, its own HOME (Erlang cookie), mnesia, logs and pid.
"""
import shutil
import subprocess

from bed import common, layout, procs

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
# Not /usr/sbin/rabbitmqctl: that wrapper switches to the rabbitmq user, whose HOME has
# another Erlang cookie.
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"
NODE = "precache@localhost"
LOOPBACK_DIST = "-kernel inet_dist_use_interface {127,0,0,1}"
PORTS = [layout.PORTS[name] for name in ("rabbitmq", "rabbitmq_dist", "epmd")]
# guest is allowed from loopback only, which is all the test bed uses.
TRANSPORT_URL = "rabbit://guest:guest@%s:%d/" % (layout.HOST, layout.PORTS["rabbitmq"])


def _paths():
    base = layout.service_dir("rabbitmq")
    return {"base": base, "log": base / "rabbitmq.log", "pid": base / "server.pid",
            "node_pid": base / "node.pid", "mnesia": base / "mnesia"}


def _env():
    paths = _paths()
    base = paths["base"]
    for name in ("rabbitmq-env.conf", "rabbitmq.conf", "enabled_plugins"):
        # Empty files of our own, so that nothing in /etc/rabbitmq applies.
        (base / name).touch()
    return {
        "HOME": str(base),
        "RABBITMQ_NODENAME": NODE,
        "RABBITMQ_NODE_IP_ADDRESS": layout.HOST,
        "RABBITMQ_NODE_PORT": str(layout.PORTS["rabbitmq"]),
        "RABBITMQ_DIST_PORT": str(layout.PORTS["rabbitmq_dist"]),
        "ERL_EPMD_ADDRESS": layout.HOST,
        "ERL_EPMD_PORT": str(layout.PORTS["epmd"]),
        "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(paths["mnesia"]),
        "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_LOGS": "-",
        "RABBITMQ_PID_FILE": str(paths["node_pid"]),
        # Erlang distribution (the server's and rabbitmqctl's) listens on all addresses unless told.
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": LOOPBACK_DIST,
        "RABBITMQ_CTL_ERL_ARGS": LOOPBACK_DIST,
    }


def _healthy():
    return (procs.running(_paths()["pid"])
            and procs.port_open(layout.HOST, layout.PORTS["rabbitmq"]))


def up(state):
    paths = _paths()
    if not _healthy():
        down()
        # A new node each start: queues left by an earlier bed mean nothing.
        shutil.rmtree(paths["mnesia"], ignore_errors=True)
        env = _env()
        procs.start("rabbitmq", [SERVER], paths["log"], paths["pid"], env=env)
        procs.run([CTL, "wait", "--timeout", "120", paths["node_pid"]], paths["log"], env=env,
                  what="rabbitmqctl wait")
        procs.wait_until(_healthy, "rabbitmq", paths["log"], paths["pid"], timeout=30)
    state["rabbitmq"] = {"transport_url": TRANSPORT_URL}


def restart_app():
    """Restart the broker in its running node, as a restart looks to its clients: every
    connection drops and the transient queues go. Nova's services reconnect by themselves."""
    paths, env = _paths(), _env()
    for action in ("stop_app", "start_app"):
        procs.run([CTL, action], paths["log"], env=env, what="rabbitmqctl " + action, timeout=60)
    procs.wait_until(_healthy, "rabbitmq", paths["log"], paths["pid"], timeout=30)


def queues():
    """The names of the broker's queues."""
    listed = subprocess.run([CTL, "list_queues", "--quiet", "--no-table-headers", "name"],
                            env=procs.environ(_env()), capture_output=True, text=True,
                            timeout=60, check=True)
    return listed.stdout.split()


def down():
    paths = _paths()
    env = _env()
    if procs.running(paths["pid"]):
        try:
            procs.run([CTL, "shutdown"], paths["log"], env=env, what="rabbitmqctl shutdown",
                      timeout=60)
        except procs.TestbedError:
            pass  # a node that no longer answers: the TERM below stops it
    procs.stop(paths["pid"])
    # epmd daemonizes out of the server's process group: stop the one on our port.
    if procs.port_open(layout.HOST, layout.PORTS["epmd"]):
        procs.run(["epmd", "-port", str(layout.PORTS["epmd"]), "-kill"], paths["log"], env=env,
                  what="epmd -kill")
    for port in PORTS:
        procs.wait_port_free(layout.HOST, port)


def status():
    where = "amqp %s:%d" % (layout.HOST, layout.PORTS["rabbitmq"])
    return [common.status_row("rabbitmq", _paths()["pid"], where, _healthy)]
