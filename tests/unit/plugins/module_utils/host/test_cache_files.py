# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The names in Nova's image cache, and the free space check."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host import cache_files

from ansible_collections.openstack_ops.precache.tests.unit.plugins.module_utils.host.cache_dir_doubles import (
    IMAGE_ID, IMAGE_SHA1)


def test_cache_name_is_novas_sha1():
    assert cache_files.cache_name(IMAGE_ID) == IMAGE_SHA1


def test_free_space_check_says_what_and_how_much():
    cache_files.check_free_space(10, 1, "/x", "image x")
    with pytest.raises(cache_files.CacheError, match=r"not enough space in /x for image x: 1125899906842624 bytes \(1024.0 TiB\) needed, 10 bytes"):
        cache_files.check_free_space(10, 1024 ** 5, "/x", "image x")
    with pytest.raises(cache_files.CacheError, match=r"8 bytes needed plus a reserve of 4 bytes"):
        cache_files.check_free_space(10, 8, "/x", "image x", reserve=4)
