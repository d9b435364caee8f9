"""ImageCachedWeigher beside Nova's RAMWeigher and CPUWeigher: the numbers in README.md.

Four hosts, each 16 GiB of RAM and 16 vCPUs (allocation ratio 1.0); c1 and c2 have the image
cached. RAM and CPU weighers have minval 0, so Nova normalizes them to free / largest free:

    host  cached  free RAM  free vCPUs  RAM   CPU   spreading (RAM + CPU)
    c1    yes      4096      4          0.25  0.25  0.5
    c2    yes     12288     12          0.75  0.75  1.5
    u1    no      16384     16          1.0   1.0   2.0
    u2    no       8192      8          0.5   0.5   1.0

score = spreading + multiplier * (1 if cached else 0).
"""

import pytest

from nova.scheduler import weights
from nova.scheduler.weights import cpu
from nova.scheduler.weights import ram
from nova.tests.unit.scheduler import fakes

from openstack_ops_precache_weigher import ImageCachedWeigher

from conftest import TRAIT
from test_weigher import boot_from_image

# name, free RAM (MiB), vCPUs used, cached
HOSTS = (("c1", 4096, 12, True), ("c2", 12288, 4, True), ("u1", 16384, 0, False),
         ("u2", 8192, 8, False))


def scores(placement, multiplier, flags, hosts=HOSTS):
    flags(ram_weight_multiplier=1.0, cpu_weight_multiplier=1.0,
          image_cached_weight_multiplier=multiplier)
    states = [fakes.FakeHostState(name, name, {
        "uuid": "rp-" + name, "free_ram_mb": free_ram, "total_usable_ram_mb": 16384,
        "vcpus_total": 16, "vcpus_used": used, "cpu_allocation_ratio": 1.0})
        for name, free_ram, used, _cached in hosts]
    placement.traits = {"rp-" + name: {TRAIT} for name, _ram, _used, cached in hosts if cached}
    weighers = [ram.RAMWeigher(), cpu.CPUWeigher(), ImageCachedWeigher()]
    weighed = weights.HostWeightHandler().get_weighed_objects(weighers, states, boot_from_image())
    return [(w.obj.host, round(w.weight, 3)) for w in weighed]


@pytest.mark.parametrize("multiplier, expected", [
    # Off: pure spreading, the emptiest host wins whatever it has cached.
    (0.0, [("u1", 2.0), ("c2", 1.5), ("u2", 1.0), ("c1", 0.5)]),
    # Default: the emptier cached host wins; a nearly full cached host (c1) still yields
    # to a much emptier uncached one (u1).
    (1.0, [("c2", 2.5), ("u1", 2.0), ("c1", 1.5), ("u2", 1.0)]),
    # At the sum of the spreading multipliers (1 + 1) a full cached host ties an empty
    # uncached one; Nova's sort keeps the input order for ties.
    (2.0, [("c2", 3.5), ("c1", 2.5), ("u1", 2.0), ("u2", 1.0)]),
    # Above it every cached host beats every uncached one; RAM and CPU only order hosts
    # within each group. A bigger multiplier changes nothing more.
    (3.0, [("c2", 4.5), ("c1", 3.5), ("u1", 2.0), ("u2", 1.0)]),
    (100.0, [("c2", 101.5), ("c1", 100.5), ("u1", 2.0), ("u2", 1.0)]),
])
def test_cached_hosts_win_while_spreading_among_them(placement, flags, multiplier, expected):
    assert scores(placement, multiplier, flags) == expected


def test_among_otherwise_equal_hosts_any_positive_multiplier_picks_a_cached_one(
        placement, flags):
    equal = (("a", 8192, 8, False), ("b", 8192, 8, True), ("c", 8192, 8, False))
    # Each host's RAM and CPU weights are 1.0 (free / largest free): 2.0 for all, plus 0.1.
    assert scores(placement, 0.1, flags, equal)[0] == ("b", 2.1)
