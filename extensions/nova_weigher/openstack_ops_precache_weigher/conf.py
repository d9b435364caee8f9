"""The weigher's options, in nova.conf's [filter_scheduler] beside Nova's own multipliers."""

from oslo_config import cfg

GROUP = "filter_scheduler"

# oslo-config-generator wraps each help line itself: one line per paragraph.
OPTS = [
    cfg.FloatOpt(
        "image_cached_weight_multiplier",
        default=1.0,
        help="Multiplier of openstack_ops_precache_weigher.ImageCachedWeigher. A host whose "
             "compute node has the requested image pre-cached (its resource provider carries "
             "the trait CUSTOM_IMAGE_CACHED_<image id, upper case, '-' as '_'>) weighs 1.0, any "
             "other host 0.0, and the scheduler adds that times this multiplier to the other "
             "weighers' scores. Nova's RAM and CPU weighers give each host at most 1.0 times "
             "their own multiplier (1.0 each by default): a multiplier of 1.0 to 2.0 prefers a "
             "cached host unless it is much fuller than an uncached one; one above the sum of "
             "the spreading multipliers sends every boot of the image to a cached host while one "
             "passes the filters. Either way they still spread among the cached hosts. 0.0 "
             "disables the weigher and its Placement query. The aggregate metadata key "
             "image_cached_weight_multiplier overrides it per aggregate (the smallest value "
             "wins for a host in several)."),
    cfg.IntOpt(
        "image_cached_cache_seconds",
        default=10,
        min=0,
        help="Seconds ImageCachedWeigher keeps Placement's answer to 'which compute nodes have "
             "image X cached' before asking again; 0 asks at every weighing. A boot of N "
             "instances weighs the hosts N times and asks once. A failed query is kept as long, "
             "as 'no host', so a Placement outage costs at most one query per image per period."),
]


def register_opts(conf):
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    """The oslo.config.opts entry point, for oslo-config-generator."""
    return [(GROUP, OPTS)]
