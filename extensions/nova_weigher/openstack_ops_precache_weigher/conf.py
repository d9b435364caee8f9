"""The weigher's options, in nova.conf's [filter_scheduler] beside Nova's own multipliers."""

from oslo_config import cfg

GROUP = "filter_scheduler"

OPTS = [
    cfg.FloatOpt(
        "image_cached_weight_multiplier",
        default=1.0,
        help="""
Multiplier of ImageCachedWeigher (openstack_ops_precache_weigher).

A host whose compute node has the requested image in Nova's image cache (its resource
provider carries the trait CUSTOM_IMAGE_CACHED_<image id>) weighs 1.0, any other host 0.0;
the scheduler adds that times this multiplier to the other weighers' scores. Nova's RAM and
CPU weighers give each host at most 1.0 times their own multiplier, so with their defaults
(1.0 each) a multiplier between 1.0 and 2.0 prefers cached hosts while still spreading among
them, and a multiplier above the sum of the spreading multipliers sends every boot of the
image to a cached host as long as one passes the filters. 0.0 disables the weigher (and its
Placement query). The aggregate metadata key of the same name overrides it per aggregate.
"""),
    cfg.IntOpt(
        "image_cached_cache_seconds",
        default=10,
        min=0,
        help="""
Seconds ImageCachedWeigher keeps Placement's answer to "which compute nodes have image X
cached" before asking again (0: ask at every weighing). One boot of N instances weighs the
hosts N times and asks once. A failed query is kept as long, as "no host", so a Placement
outage costs at most one query per image per period.
"""),
]


def register_opts(conf):
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    """The oslo.config.opts entry point, for oslo-config-generator."""
    return [(GROUP, OPTS)]
