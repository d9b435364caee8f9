# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Instances per image from Nova's server list: pages, volumes, hosts, statuses, errors."""

import pytest

from ansible_collections.openstack_ops.precache.plugins.module_utils.controller.popularity import (
    DEFAULT_STATUSES, Census, PopularityError, aggregate_hosts, census, check_options,
    server_image_id)

CIRROS = "0c3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f01"
UBUNTU = "1d3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f02"
WINDOWS = "2e3c2f4e-5d55-4bd5-8cbb-3f3a6f9a2f03"


class SdkImage(dict):
    """openstacksdk's Image as a Server's `image`: a dict that also has attributes."""

    def __init__(self, body):
        super().__init__(body)
        self.id = body["id"]


class SdkServer:
    """openstacksdk's Server made from a record of Nova's GET /servers/detail, as admin sees it.

    Nova shows `"image": ""` for a server booted from a volume, which openstacksdk turns into
    an empty dict; the host is `OS-EXT-SRV-ATTR:host`, openstacksdk's `compute_host`.
    """

    def __init__(self, nova):
        self.id = nova["id"]
        self.status = nova["status"]
        self.compute_host = nova.get("OS-EXT-SRV-ATTR:host")
        self.image = SdkImage(nova["image"]) if nova["image"] else {}


def nova_server(number, image_id, host, status="ACTIVE"):
    """A server record as Nova's API returns it (at 2.100), trimmed to what matters here."""
    image = {"id": image_id, "links": [{"rel": "bookmark",
                                        "href": "http://nova/images/%s" % image_id}]} \
        if image_id else ""
    return {"id": "%08d-aaaa-4000-8000-000000000000" % number, "name": "vm-%d" % number,
            "status": status, "image": image, "tenant_id": "project-%d" % (number % 3),
            "OS-EXT-SRV-ATTR:host": host, "OS-EXT-SRV-ATTR:hypervisor_hostname": host}


class Aggregate:
    def __init__(self, name, hosts):
        self.name = name
        self.hosts = hosts


class ComputeApi:
    """openstacksdk's compute proxy as the census uses it: servers() pages as the SDK does.

    The servers come `page_size` at a time, each page fetched only when the one before is used
    up, as openstacksdk follows Nova's `servers_links`; Nova's status filter is applied.
    """

    def __init__(self, servers, aggregates=(), page_size=2, error=None):
        self.records = list(servers)
        self.aggregates_ = list(aggregates)
        self.page_size = page_size
        self.error = error
        self.listings = []
        self.pages = 0
        self.aggregate_listings = 0

    def servers(self, details=True, all_projects=False, **query):
        self.listings.append(dict(query, details=details, all_projects=all_projects))
        if self.error:
            raise self.error
        wanted = set(query.get("status") or ())
        records = [r for r in self.records if not wanted or r["status"] in wanted]
        for start in range(0, len(records), self.page_size):
            self.pages += 1
            for record in records[start:start + self.page_size]:
                yield SdkServer(record)

    def aggregates(self):
        self.aggregate_listings += 1
        return iter(self.aggregates_)


class HttpError(Exception):
    def __init__(self, status_code):
        super().__init__("HTTP %d" % status_code)
        self.status_code = status_code


def test_every_page_is_counted_from_one_listing_of_all_projects():
    servers = [nova_server(n, CIRROS, "compute1") for n in range(5)] + \
        [nova_server(n, UBUNTU, "compute2") for n in range(5, 8)]
    api = ComputeApi(servers, page_size=3)
    counted = census(api, "cloud", None, DEFAULT_STATUSES)
    assert api.listings == [dict(details=True, all_projects=True, status=["ACTIVE", "SHUTOFF"])]
    assert api.pages == 3
    assert counted.servers == 8
    assert counted.ranking("cloud") == [(CIRROS, 5), (UBUNTU, 3)]
    assert api.aggregate_listings == 0


def test_servers_booted_from_a_volume_are_counted_apart():
    api = ComputeApi([nova_server(1, None, "compute1"), nova_server(2, CIRROS, "compute1"),
                      nova_server(3, None, "compute2")])
    counted = census(api, "cloud", None, DEFAULT_STATUSES)
    assert (counted.servers, counted.from_volume) == (3, 2)
    assert counted.ranking("cloud") == [(CIRROS, 1)]


def test_only_the_statuses_asked_for_are_counted():
    api = ComputeApi([nova_server(1, CIRROS, "compute1", "ACTIVE"),
                      nova_server(2, CIRROS, "compute1", "ERROR"),
                      nova_server(3, UBUNTU, "compute1", "SHELVED_OFFLOADED"),
                      nova_server(4, UBUNTU, "compute1", "SHUTOFF")])
    assert census(api, "cloud", None, ["ACTIVE"]).ranking("cloud") == [(CIRROS, 1)]
    assert census(api, "cloud", None, DEFAULT_STATUSES).ranking("cloud") == [
        (CIRROS, 1), (UBUNTU, 1)]
    assert [listing["status"] for listing in api.listings] == [["ACTIVE"], ["ACTIVE", "SHUTOFF"]]


def test_scope_aggregate_counts_the_instances_on_each_aggregate_s_hosts():
    api = ComputeApi(
        [nova_server(1, CIRROS, "compute1"), nova_server(2, CIRROS, "compute1"),
         nova_server(3, UBUNTU, "compute2"), nova_server(4, UBUNTU, "compute3"),
         nova_server(5, WINDOWS, "compute3"), nova_server(6, WINDOWS, "compute4")],
        aggregates=[Aggregate("edge-1", ["compute1", "compute2"]),
                    Aggregate("gpu", ["compute2", "compute3"]),
                    Aggregate("unused", ["compute9"])])
    counted = census(api, "aggregate", ["gpu", "edge-1"], DEFAULT_STATUSES)
    assert list(counted.groups) == ["gpu", "edge-1"]
    assert counted.ranking("edge-1") == [(CIRROS, 2), (UBUNTU, 1)]
    # compute2 is in both aggregates: its instance counts in each.
    assert counted.ranking("gpu") == [(UBUNTU, 2), (WINDOWS, 1)]
    assert (api.aggregate_listings, len(api.listings)) == (1, 1)


def test_an_unknown_aggregate_is_named_with_those_nova_has():
    api = ComputeApi([], aggregates=[Aggregate("edge-1", ["compute1"]), Aggregate("gpu", None)])
    with pytest.raises(PopularityError) as raised:
        census(api, "aggregate", ["edge-1", "edge-9"], DEFAULT_STATUSES)
    assert str(raised.value) == "Nova has no aggregate named edge-9 (it has edge-1, gpu)"
    assert api.listings == []


def test_an_aggregate_without_hosts_counts_nothing():
    assert aggregate_hosts(ComputeApi([], aggregates=[Aggregate("empty", None)]), ["empty"]) == \
        {"empty": set()}


def test_ties_rank_by_id_so_that_runs_agree():
    api = ComputeApi([nova_server(1, WINDOWS, "c1"), nova_server(2, CIRROS, "c1"),
                      nova_server(3, UBUNTU, "c1")])
    assert [image for image, _used in census(api, "cloud", None, ["ACTIVE"]).ranking("cloud")] \
        == [CIRROS, UBUNTU, WINDOWS]


def test_a_refused_listing_says_it_needs_an_administrator():
    with pytest.raises(PopularityError) as raised:
        census(ComputeApi([], error=HttpError(403)), "cloud", None, ["ACTIVE"])
    assert "needs an administrator" in str(raised.value)


def test_other_errors_are_not_swallowed():
    with pytest.raises(HttpError):
        census(ComputeApi([], error=HttpError(500)), "cloud", None, ["ACTIVE"])


def test_per_aggregate_counts_need_the_hosts_only_admins_see():
    hidden = [dict(nova_server(n, CIRROS, None)) for n in range(2)]
    api = ComputeApi(hidden, aggregates=[Aggregate("edge-1", ["compute1"])])
    with pytest.raises(PopularityError) as raised:
        census(api, "aggregate", ["edge-1"], ["ACTIVE"])
    assert "shows no host for any of the 2 servers" in str(raised.value)
    # The whole cloud's count needs no host.
    assert Census({"cloud": None}).count(api, ["ACTIVE"]).ranking("cloud") == [(CIRROS, 2)]


@pytest.mark.parametrize("image, expected", [
    ({}, None), ("", None), (None, None), (SdkImage({"id": CIRROS}), CIRROS),
    ({"id": CIRROS, "links": []}, CIRROS), (CIRROS, CIRROS)])
def test_the_image_id_of_every_shape_a_server_s_image_takes(image, expected):
    class Server:
        pass
    server = Server()
    server.image = image
    assert server_image_id(server) == expected


def test_options_statuses_are_upper_cased_and_once_each():
    assert check_options(3, 1, "cloud", None, ["active", "SHUTOFF", "Active"]) == \
        ["ACTIVE", "SHUTOFF"]


@pytest.mark.parametrize("top, min_instances, scope, aggregates, statuses, words", [
    (0, 1, "cloud", None, ["ACTIVE"], "popular.top must be 1 or more, not 0"),
    (1, 0, "cloud", None, ["ACTIVE"], "popular.min_instances must be 1 or more, not 0"),
    (1, 1, "aggregate", [], ["ACTIVE"], "scope aggregate needs the names of the aggregates"),
    (1, 1, "cloud", ["edge-1"], ["ACTIVE"], "popular.aggregates is for popular.scope aggregate"),
    (1, 1, "region", None, ["ACTIVE"], "popular.scope must be one of cloud, aggregate"),
    (1, 1, "cloud", None, [], "must name at least one server status"),
    (1, 1, "cloud", None, ["ACTIVE", "RUNNING"], "popular.statuses has RUNNING, not a status"),
])
def test_bad_options_are_named(top, min_instances, scope, aggregates, statuses, words):
    with pytest.raises(PopularityError) as raised:
        check_options(top, min_instances, scope, aggregates, statuses)
    assert words in str(raised.value)


def test_every_bad_option_is_named_at_once():
    with pytest.raises(PopularityError) as raised:
        check_options(0, 0, "cloud", None, ["RUNNING"])
    assert str(raised.value).count(";") == 2
