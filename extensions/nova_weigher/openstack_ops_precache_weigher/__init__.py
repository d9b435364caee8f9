"""A Nova scheduler weigher preferring hosts that have the requested image pre-cached.

Enable it with [filter_scheduler] weight_classes =
nova.scheduler.weights.all_weighers,openstack_ops_precache_weigher.ImageCachedWeigher
"""

from openstack_ops_precache_weigher.weigher import ImageCachedWeigher

__all__ = ["ImageCachedWeigher"]
