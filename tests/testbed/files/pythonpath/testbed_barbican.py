"""Barbican's WSGI app from the test bed's config folder (TESTBED_WSGI_APP=testbed_barbican).

barbican.wsgi.api cannot be pointed elsewhere: it loads /etc/barbican/barbican-api-paste.ini.
And Barbican's modules each parse their own options when imported (config.parse_args, plugins
too, loaded later), always from oslo.config's default places (~/.barbican, /etc/barbican) and
never from a command line. So config.parse_args gets OS_BARBICAN_CONFIG_DIR's barbican.conf as
its default before any plugin is imported, the options parsed at import are parsed again, and
the app is built from the paste file installed in the venv, as barbican.api.app does.
"""
import functools
import os
import sys

from barbican.common import config
from paste import deploy

config.parse_args = functools.partial(config.parse_args, default_config_files=[
    os.path.join(os.environ["OS_BARBICAN_CONFIG_DIR"], "barbican.conf")])
config.parse_args(config.CONF)
application = deploy.loadapp("config:" + os.path.join(
    sys.prefix, "etc", "barbican", "barbican-api-paste.ini"))
