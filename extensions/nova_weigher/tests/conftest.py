"""Fixtures: Nova's config with test overrides, a fake Placement, a clock the tests move."""

from unittest import mock

import pytest
from oslo_config import fixture as config_fixture

import nova.conf
from nova import objects
from nova.scheduler.client import report

from openstack_ops_precache_weigher import weigher as weigher_module

objects.register_all()

IMAGE = "4d8c2b3e-6f0a-4c1e-9a57-0c6f1e2d3b4a"
TRAIT = "CUSTOM_IMAGE_CACHED_4D8C2B3E_6F0A_4C1E_9A57_0C6F1E2D3B4A"


@pytest.fixture
def flags():
    """Set nova.conf options for one test: flags(ram_weight_multiplier=2.0)."""
    fixture = config_fixture.Config(nova.conf.CONF)
    fixture.setUp()
    yield lambda **kwargs: fixture.config(group="filter_scheduler", **kwargs)
    fixture.cleanUp()


class FakePlacement:
    """Answers GET /resource_providers?required=<trait> like Placement, and counts calls."""

    def __init__(self):
        self.traits = {}
        self.calls = []
        self.error = None

    def get(self, url, version=None, global_request_id=None):
        self.calls.append((url, version))
        if self.error is not None:
            if isinstance(self.error, Exception):
                raise self.error
            return mock.Mock(status_code=self.error, text="Service Unavailable")
        trait = url.split("required=", 1)[1]
        providers = [uuid for uuid, traits in self.traits.items() if trait in traits]
        if not providers and not any(trait in traits for traits in self.traits.values()):
            return mock.Mock(status_code=400, text="No such trait(s): %s." % trait)
        return mock.Mock(
            status_code=200, text="",
            json=lambda: {"resource_providers": [{"uuid": uuid} for uuid in providers]})


@pytest.fixture
def placement():
    fake = FakePlacement()
    with mock.patch.object(report, "report_client_singleton", return_value=fake):
        yield fake


@pytest.fixture
def clock():
    now = [1000.0]
    with mock.patch.object(weigher_module, "time", mock.Mock(monotonic=lambda: now[0])):
        yield now
