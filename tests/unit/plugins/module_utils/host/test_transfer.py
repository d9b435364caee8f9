# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""One download's attempts: the backoff between retries.

Retries and resumption against a real server are tested through download(), in test_download.
"""

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import (
    transfer as attempts)


def test_backoff_grows_jittered_and_capped():
    for failures, low, high in ((1, 0.5, 1), (2, 1, 2), (3, 2, 4), (5, 8, 16), (9, 15, 30)):
        for dummy in range(50):
            assert low <= attempts._backoff(failures) <= high
