"""gunicorn's entry point for the OpenStack WSGI apps of the test bed.

Keystone, Nova, Placement and Glance parse sys.argv with oslo.config while they load, and under
gunicorn that is gunicorn's own command line: drop it first. TESTBED_WSGI_APP names the module
that builds `application`; the service finds its config through its OS_*_CONFIG_DIR variable.
"""
import importlib
import os
import sys

sys.argv = sys.argv[:1]
application = importlib.import_module(os.environ["TESTBED_WSGI_APP"]).application
