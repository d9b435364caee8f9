"""Prefer hosts that already hold the requested image in Nova's image cache.

openstack_ops.precache marks each compute node's resource provider with the trait
CUSTOM_IMAGE_CACHED_<image id> for every image it has pre-cached there. This weigher asks
Placement once which providers carry the requested image's trait and gives those hosts 1.0,
the others 0.0.
"""

import threading
import time

from oslo_log import log as logging

import nova.conf
from nova.scheduler.client import report
from nova.scheduler import utils
from nova.scheduler import weights

from openstack_ops_precache_weigher import conf

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF
conf.register_opts(CONF)

TRAIT_PREFIX = "CUSTOM_IMAGE_CACHED_"
# The first Placement microversion whose GET /resource_providers takes `required`.
PLACEMENT_VERSION = "1.18"


def image_trait(image_id):
    """The trait openstack_ops.precache sets on a provider that has image_id cached."""
    return TRAIT_PREFIX + str(image_id).upper().replace("-", "_")


def requested_image_id(spec_obj):
    """The image a request boots from, or None for a volume-backed or image-less request."""
    if _field(spec_obj, "is_bfv"):
        return None
    image = _field(spec_obj, "image")
    return _field(image, "id") if image is not None else None


def _field(obj, name):
    # Nova's objects raise on fields that were never set; Nova's own tests pass {} as the
    # weight properties. Both read here as "not given".
    is_set = getattr(obj, "obj_attr_is_set", None)
    if is_set is None or not is_set(name):
        return None
    return getattr(obj, name)


class PlacementQueryFailed(Exception):
    pass


class ImageCachedWeigher(weights.BaseHostWeigher):
    # Weights are already 0.0 or 1.0: pinning the range keeps Nova's normalization from
    # turning "every host is cached" into "no host is".
    minval = 0.0
    maxval = 1.0

    def __init__(self):
        self._lock = threading.Lock()
        # trait -> (monotonic expiry, frozenset of resource provider uuids)
        self._answers = {}
        self._failing = False

    def weight_multiplier(self, host_state):
        return utils.get_weight_multiplier(
            host_state, "image_cached_weight_multiplier",
            CONF.filter_scheduler.image_cached_weight_multiplier)

    def weigh_objects(self, weighed_obj_list, weight_properties):
        """Weigh all hosts of one request with a single (cached) Placement answer."""
        hosts = [weighed.obj for weighed in weighed_obj_list]
        image_id = requested_image_id(weight_properties)
        if image_id is None or not any(self.weight_multiplier(host) for host in hosts):
            return [0.0] * len(hosts)
        providers = self._providers_with(image_id, weight_properties)
        return [1.0 if host.uuid in providers else 0.0 for host in hosts]

    def _weigh_object(self, host_state, weight_properties):
        return self.weigh_objects([weights.WeighedHost(host_state, 0.0)], weight_properties)[0]

    def _providers_with(self, image_id, spec_obj):
        trait = image_trait(image_id)
        now = time.monotonic()
        with self._lock:
            answer = self._answers.get(trait)
        if answer is not None and answer[0] > now:
            return answer[1]
        try:
            providers = self._ask_placement(trait, spec_obj)
        # The weigher must never fail a boot: keystoneauth, the HTTP layer and the JSON
        # decoder each raise their own exceptions, and every one of them means "no host
        # is known to have it cached".
        except Exception as error:
            providers = frozenset()
            self._note_failure(image_id, trait, error)
        else:
            self._note_success()
        expiry = now + CONF.filter_scheduler.image_cached_cache_seconds
        with self._lock:
            self._answers = {key: value for key, value in self._answers.items() if value[0] > now}
            self._answers[trait] = (expiry, providers)
        return providers

    @staticmethod
    def _ask_placement(trait, spec_obj):
        context = getattr(spec_obj, "_context", None)
        resp = report.report_client_singleton().get(
            "/resource_providers?required=%s" % trait, version=PLACEMENT_VERSION,
            global_request_id=getattr(context, "global_id", None))
        if resp is None:
            # SchedulerReportClient returns None when keystoneauth could not connect.
            raise PlacementQueryFailed("no response")
        if resp.status_code == 400 and "No such trait" in resp.text:
            # Placement knows no trait that no provider ever had: not cached anywhere yet.
            return frozenset()
        if resp.status_code != 200:
            raise PlacementQueryFailed("HTTP %s: %s" % (resp.status_code, resp.text[:200]))
        return frozenset(rp["uuid"] for rp in resp.json()["resource_providers"])

    def _note_failure(self, image_id, trait, error):
        with self._lock:
            first, self._failing = not self._failing, True
        log = LOG.warning if first else LOG.debug
        log("ImageCachedWeigher: cannot ask Placement which compute nodes have image %(image)s "
            "cached (GET /resource_providers?required=%(trait)s: %(error)s); every host gets "
            "weight 0 from this weigher until Placement answers again. Further failures are "
            "logged at debug level. Check Placement and nova.conf's [placement] section.",
            {"image": image_id, "trait": trait, "error": error})

    def _note_success(self):
        with self._lock:
            recovered, self._failing = self._failing, False
        if recovered:
            LOG.info("ImageCachedWeigher: Placement answers again; cached hosts are preferred.")
