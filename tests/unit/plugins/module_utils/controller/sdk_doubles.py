# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Doubles of openstacksdk for the controller's unit tests: its HTTP errors and Glance's images."""

# The Glance fields openstacksdk's Image has attributes for; it keeps the others in `properties`.
_SDK_FIELDS = {"id", "name", "status", "size", "virtual_size", "disk_format", "container_format",
               "checksum", "os_hash_algo", "os_hash_value", "tags", "visibility", "owner",
               "file", "os_distro", "os_hidden", "protected", "min_disk", "min_ram"}


class FakeImage:
    """Shaped like openstacksdk's Image: to_dict() with known fields, the others in properties."""

    def __init__(self, **glance):
        self.glance = glance

    def to_dict(self, body=True, headers=True, computed=True, ignore_none=False,
                original_names=False):
        assert (headers, computed, ignore_none, original_names) == (False, False, True, True)
        data = {key: value for key, value in self.glance.items() if key in _SDK_FIELDS}
        data["properties"] = {k: v for k, v in self.glance.items() if k not in _SDK_FIELDS}
        return data


class HttpError(Exception):
    """openstacksdk's HttpException as call_api tells it apart: by its status_code."""

    def __init__(self, status_code, message=None):
        super().__init__(message or "HTTP %d" % status_code)
        self.status_code = status_code


class FakeImageApi:
    """openstacksdk's image proxy as the planner uses it: get_image(), images(**filters)."""

    def __init__(self, *images, forbidden=()):
        self.images_ = list(images)
        self.forbidden = set(forbidden)
        self.calls = []

    def get_image(self, image_id):
        self.calls.append(("get_image", image_id))
        if image_id in self.forbidden:
            raise HttpError(403)
        for image in self.images_:
            if image.glance["id"] == image_id:
                return image
        raise HttpError(404)

    def images(self, name=None, tag=None):
        self.calls.append(("images", name, tag))
        for image in self.images_:
            if name is not None and image.glance.get("name") != name:
                continue
            if tag is not None and not set(tag) <= set(image.glance.get("tags", ())):
                continue
            yield image
