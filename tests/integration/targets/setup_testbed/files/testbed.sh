# shellcheck shell=bash
# The test bed's facts for a target's runme.sh: `source ../setup_testbed/files/testbed.sh`.
# ansible-test copies tests/integration/integration_config.yml (the test bed's facts) to
# ../../integration_config.yml; `setting KEY...` prints one of them (keys under "testbed").
# shellcheck disable=SC2034 # config is for the runme.sh that sources this
config=../../integration_config.yml
setting() {
    python -c 'import json, sys; v = json.load(open(sys.argv[1]))["testbed"]
for key in sys.argv[2:]: v = v[key]
print(v)' "$config" "$@"
}
