# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A seed's staging folder, in a tree whose links and folders Nova's user may have planted."""

import os
import time

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.cache_files import (
    CacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.site_staging import (
    STAGING_DIR_NAME, Staging, check_image_id, check_run_id, clean_stale_staging)

RUN = "0123456789abcdef0123456789abcdef"
OTHER_RUN = "fedcba9876543210"
IMAGE = "a26887c6-c47b-4654-abb5-dfadf7d3f803"


@pytest.fixture
def instances(tmp_path):
    path = tmp_path / "instances"
    path.mkdir()
    return path


def staging(instances, run_id=RUN, create=True):
    return Staging(str(instances), os.getuid(), run_id, create=create)


def downloaded(tmp_path, data=b"glance's bytes"):
    path = tmp_path / "instances" / ".precache-download"
    path.write_bytes(data)
    return os.open(str(path), os.O_RDONLY)


@pytest.mark.parametrize("run_id", ["", "0123", "../../etc", RUN.upper(), "g" * 16, None,
                                    RUN + "\n"])
def test_run_ids_are_hex_folder_names(run_id):
    with pytest.raises(CacheError):
        check_run_id(run_id)


@pytest.mark.parametrize("image_id", ["../x", IMAGE.upper(), IMAGE + "/", "", 7, IMAGE + "\n"])
def test_only_glance_ids_name_staged_files(image_id):
    with pytest.raises(CacheError):
        check_image_id(image_id)


def test_a_staged_image_is_a_hard_link_in_a_private_folder(tmp_path, instances):
    fd = downloaded(tmp_path)
    with staging(instances) as stage:
        stage.stage(IMAGE, fd)
        folder = instances / STAGING_DIR_NAME / RUN
        assert (folder / IMAGE).stat().st_ino == os.fstat(fd).st_ino
        assert folder.stat().st_mode & 0o777 == 0o700
        assert (instances / STAGING_DIR_NAME).stat().st_mode & 0o777 == 0o700
        served = stage.open_image(IMAGE)
        assert os.read(served, 100) == b"glance's bytes"
        os.close(served)
        assert stage.staged() == [IMAGE]
        assert stage.open_image("b26887c6-c47b-4654-abb5-dfadf7d3f803") is None
        stage.remove()
    assert not (instances / STAGING_DIR_NAME / RUN).exists()
    os.close(fd)


def test_staging_across_filesystems_copies(tmp_path, instances, monkeypatch):
    def cross_device(*args, **kwargs):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    fd = downloaded(tmp_path, b"x" * 3000000)
    with staging(instances) as stage:
        stage.stage(IMAGE, fd)
        copy = instances / STAGING_DIR_NAME / RUN / IMAGE
        assert copy.read_bytes() == b"x" * 3000000
        assert copy.stat().st_ino != os.fstat(fd).st_ino
    os.close(fd)


def test_planted_links_are_refused_not_followed(tmp_path, instances):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(str(elsewhere), str(instances / STAGING_DIR_NAME))
    with pytest.raises(CacheError, match="symbolic link"):
        staging(instances)
    os.unlink(str(instances / STAGING_DIR_NAME))
    with staging(instances) as stage:
        secret = tmp_path / "secret"
        secret.write_text("not an image")
        os.symlink(str(secret), str(instances / STAGING_DIR_NAME / RUN / IMAGE))
        assert stage.open_image(IMAGE) is None
        os.mkfifo(str(instances / STAGING_DIR_NAME / RUN / "b26887c6-c47b-4654-abb5-dfadf7d3f803"))
        assert stage.staged() == []
        stage.remove()
    assert secret.read_text() == "not an image", "the link's target was touched"


def test_a_planted_folder_is_left_in_place(instances):
    with staging(instances) as stage:
        (instances / STAGING_DIR_NAME / RUN / "planted").mkdir()
        with pytest.raises(CacheError, match="none of ours"):
            stage.remove()


def test_read_only_use_creates_nothing(instances):
    with staging(instances, create=False) as stage:
        assert stage.fd is None and stage.staged() == [] and stage.open_image(IMAGE) is None
        stage.remove()
    assert not (instances / STAGING_DIR_NAME).exists()


def test_killed_runs_staging_goes_with_a_later_run(tmp_path, instances):
    fd = downloaded(tmp_path)
    with staging(instances, OTHER_RUN) as old:
        old.stage(IMAGE, fd)
    os.close(fd)
    stale = time.time() - 2 * 86400
    os.utime(str(instances / STAGING_DIR_NAME / OTHER_RUN), (stale, stale))
    (instances / STAGING_DIR_NAME / "not-a-run").mkdir()
    with staging(instances):
        assert clean_stale_staging(str(instances), os.getuid()) == [OTHER_RUN]
        assert clean_stale_staging(str(instances), os.getuid()) == []
    assert sorted(os.listdir(str(instances / STAGING_DIR_NAME))) == [RUN, "not-a-run"]


def test_a_recent_run_is_kept(instances):
    with staging(instances, OTHER_RUN):
        pass
    assert clean_stale_staging(str(instances), os.getuid()) == []
    assert OTHER_RUN in os.listdir(str(instances / STAGING_DIR_NAME))


def test_a_run_that_stages_nothing_cleans_killed_runs_too(tmp_path, instances):
    assert clean_stale_staging(str(instances), os.getuid()) == []
    assert clean_stale_staging(str(tmp_path / "missing"), os.getuid()) == []
    with staging(instances, OTHER_RUN):
        pass
    stale = time.time() - 2 * 86400
    os.utime(str(instances / STAGING_DIR_NAME / OTHER_RUN), (stale, stale))
    assert clean_stale_staging(str(instances), os.getuid()) == [OTHER_RUN]
