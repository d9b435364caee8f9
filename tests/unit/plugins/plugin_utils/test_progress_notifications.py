# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The notifications' sender: oslo.messaging, optional."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.plugin_utils import _progress_notifications

PUBLISHER = "ansible-precache:controller"


def test_make_notifier_needs_oslo_messaging():
    try:
        import oslo_messaging  # noqa: F401 pylint: disable=unused-import
    except ImportError:
        with pytest.raises(ImportError):
            _progress_notifications.make_notifier(
                "rabbit://127.0.0.1:5672/", "versioned_notifications", "nova", PUBLISHER)
    else:
        pytest.skip("oslo.messaging is installed; the test bed's bus test covers it")
