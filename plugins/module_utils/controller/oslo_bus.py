# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Nova's pre-cache notifications on the bus: their event names and oslo.messaging, imported once.

The listener (notification_watch.py) and the progress callback's sender
(plugin_utils/_progress_notifications.py) both use these.
"""

import warnings

EVENT_PREFIX = "aggregate.cache_images."


def import_oslo_messaging():
    """(oslo_messaging, oslo_config.cfg); ImportError without oslo.messaging."""
    with warnings.catch_warnings():
        # Its dependencies warn on import (eventlet's deprecation, as a plain Warning), which
        # nobody running a playbook can act on.
        warnings.simplefilter("ignore")
        import oslo_messaging
        from oslo_config import cfg
    return oslo_messaging, cfg
