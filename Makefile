# openstack_ops.precache: one command for the demo, one for every test (see README.md).
SHELL := /bin/bash
VENVS ?= $(HOME)/.cache/openstack_ops.precache/venvs
TESTBED := $(VENVS)/openstack/bin/python tests/testbed/testbed.py

.PHONY: install demo test units sanity lint build integration testbed-up testbed-down testbed-status

install:
	tests/testbed/install.sh

# The main job on the test bed: brings it up when it is not, then runs playbooks/precache.yml.
demo: install
	tests/testbed/demo.sh

test: install units sanity lint build integration

units: install
	tests/checks/units.sh

sanity: install
	tests/checks/sanity.sh

lint: install
	tests/checks/lint.sh

build: install
	tests/checks/galaxy.sh

integration: install
	tests/checks/integration.sh

testbed-up: install
	$(TESTBED) up

testbed-down:
	$(TESTBED) down

testbed-status:
	$(TESTBED) status
