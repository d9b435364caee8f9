# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Module results shaped as cache_image returns them (its RETURN), for the tests of the code
that reads them: the progress callback and plugin_utils."""

IMG_A = "c3b84ecf-43e9-4c6c-adfd-ab6db0e2bca2"
IMG_B = "4d8c2a1e-0b7e-4a39-9d51-0f3c6a4c1b22"


def image(image_id, action, transferred=0, msg=""):
    return {"id": image_id, "action": action, "path": "/var/lib/nova/instances/_base/x",
            "format": "raw", "size": 3, "bytes_transferred": transferred, "seconds": 0.5,
            "msg": msg}


def ok_result(cached, transferred=1048576, check=False):
    images = [image(i, "downloaded", 0 if check else transferred, "downloaded") for i in cached]
    return {"changed": True, "images": images, "images_cached": list(cached),
            "images_failed": [], "images_unsupported": [], "stale_temps_removed": [],
            "cache_dir": "/var/lib/nova/instances/_base",
            "invocation": {"module_args": {"images": [{"id": i} for i in cached]}}}


def rbd_result(store="site-b"):
    """cache_image on an rbd host: every image unsupported locally, the host's store named."""
    msg = "this host uses [libvirt] images_type = rbd"
    images = [dict(image(i, "unsupported", 0, msg), path=None, store=store)
              for i in (IMG_A, IMG_B)]
    return {"changed": False, "images": images, "images_cached": [], "images_failed": [],
            "images_unsupported": [IMG_A, IMG_B], "images_type": "rbd", "glance_store": store,
            "invocation": {"module_args": {"images": [{"id": IMG_A}, {"id": IMG_B}]}}}
