"""What `up` leaves for users and tests: clouds.yaml, an inventory, an env file, a JSON record.

integration_config.yml is copied into the collection under test as
tests/integration/integration_config.yml, which ansible-test passes to every target as extra vars.
"""
import json
import shlex
from pathlib import Path

from bed import layout


def _inventory(state):
    ssh = state["ssh"]
    hosts = {h["name"]: {"ansible_host": h["address"],
                         "ansible_python_interpreter": h["python"],
                         "testbed_flavour": h["flavour"],
                         "testbed_nova_conf": h["nova_conf"],
                         "testbed_instances_path": h["instances_path"],
                         "testbed_cache_dir": h["cache_dir"],
                         "testbed_owner_uid": h["owner_uid"],
                         "testbed_hostdir": h["hostdir"]}
             for h in state["ssh_hosts"]}
    return {"all": {"children": {"testbed_computes": {"hosts": hosts, "vars": {
        "ansible_port": ssh["port"],
        "ansible_user": ssh["user"],
        "ansible_ssh_private_key_file": ssh["private_key"],
        "ansible_ssh_common_args": "-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes"
                                   % ssh["known_hosts"],
    }}}}}


def write(state):
    clouds = layout.WORK / "clouds.yaml"
    inventory = layout.WORK / "inventory.yml"
    # JSON is YAML: no YAML library needed in this venv, and the files stay exact.
    clouds.write_text(json.dumps({"clouds": state["clouds"]}, indent=2) + "\n")
    clouds.chmod(0o600)
    inventory.write_text(json.dumps(_inventory(state), indent=2) + "\n")
    # code_dir: the bed's own code (tests/testbed), for targets that act on its services.
    state.update(clouds_yaml=str(clouds), inventory=str(inventory),
                 code_dir=str(Path(__file__).resolve().parents[1]))
    (layout.WORK / "testbed.json").write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    env = {"OS_CLIENT_CONFIG_FILE": str(clouds), "OS_CLOUD": "precache-admin",
           "ANSIBLE_INVENTORY": str(inventory)}
    (layout.WORK / "env").write_text("".join(
        "export %s=%s\n" % (k, shlex.quote(v)) for k, v in env.items()))
    (layout.WORK / "integration_config.yml").write_text(json.dumps({"testbed": state}, indent=2, sort_keys=True) + "\n")
