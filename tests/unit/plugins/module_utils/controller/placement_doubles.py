# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A Placement double behind openstacksdk's placement proxy: get()/put() answering responses.

It keeps Placement's rules that the traits code relies on: a provider's traits are replaced as a
whole, only with the generation last read (else 409, as placement.handlers.trait answers), each
write moves the generation, only existing traits can be set (else 400), custom traits are
created with PUT /traits/{name} (201, or 204 when they exist), and traits need microversion 1.6.
"""

import json
import re
from urllib.parse import parse_qs, unquote, urlsplit

STANDARD = {"COMPUTE_NET_ATTACH_INTERFACE", "COMPUTE_VOLUME_EXTEND", "HW_CPU_X86_AVX2"}
_CUSTOM = re.compile(r"^CUSTOM_[A-Z0-9_]{1,248}$")


class Response:

    def __init__(self, status_code, body=None):
        self.status_code = status_code
        self.body = body
        self.text = "" if body is None else json.dumps(body)
        self.headers = {}

    def json(self):
        if self.body is None:
            raise ValueError("no JSON body")
        return self.body


def _error(status, detail):
    return Response(status, {"errors": [{"status": status, "title": "Error", "detail": detail}]})


class FakePlacement:
    """Providers {uuid: {name, generation, traits}}; `calls` logs (method, path).

    `before_put` holds callables, one run before each provider trait PUT is handled, as a
    concurrent writer (nova-compute's resource tracker) would get in between a read and a write.
    """

    def __init__(self):
        self.providers = {}
        self.traits = set(STANDARD)
        self.calls = []
        self.before_put = []

    def add_provider(self, uuid, name, traits=(), generation=1):
        self.traits.update(traits)
        self.providers[uuid] = {"name": name, "generation": generation, "traits": set(traits)}

    def set_traits(self, uuid, traits):
        """A write by someone else: the traits set, the generation moved."""
        self.traits.update(traits)
        provider = self.providers[uuid]
        provider["traits"] = set(traits)
        provider["generation"] += 1

    def get(self, path, microversion=None):
        self.calls.append(("GET", path))
        url = urlsplit(path)
        query = dict((k, v[0]) for k, v in parse_qs(url.query).items())
        parts = url.path.strip("/").split("/")
        if parts == ["resource_providers"]:
            found = [dict(uuid=uuid, name=p["name"], generation=p["generation"])
                     for uuid, p in sorted(self.providers.items())
                     if "name" not in query or p["name"] == query["name"]]
            return Response(200, {"resource_providers": found})
        assert microversion and tuple(map(int, microversion.split("."))) >= (1, 6), microversion
        if parts == ["traits"]:
            operator, _sep, value = query.get("name", "startswith:").partition(":")
            assert operator == "startswith"
            return Response(200, {"traits": sorted(t for t in self.traits if t.startswith(value))})
        if len(parts) == 3 and parts[0] == "resource_providers" and parts[2] == "traits":
            provider = self.providers.get(parts[1])
            if provider is None:
                return _error(404, "No resource provider with uuid %s found" % parts[1])
            return Response(200, {"traits": sorted(provider["traits"]),
                                  "resource_provider_generation": provider["generation"]})
        raise AssertionError("unexpected GET %s" % path)

    def put(self, path, json=None, microversion=None):
        self.calls.append(("PUT", path))
        assert microversion and tuple(map(int, microversion.split("."))) >= (1, 6), microversion
        parts = urlsplit(path).path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "traits":
            name = unquote(parts[1])
            if not _CUSTOM.match(name):
                return _error(400, "The trait is invalid.")
            if name in self.traits:
                return Response(204)
            self.traits.add(name)
            return Response(201)
        if len(parts) == 3 and parts[0] == "resource_providers" and parts[2] == "traits":
            if self.before_put:
                self.before_put.pop(0)()
            provider = self.providers.get(parts[1])
            if provider is None:
                return _error(404, "No resource provider with uuid %s found" % parts[1])
            assert set(json) == {"traits", "resource_provider_generation"}, json
            if json["resource_provider_generation"] != provider["generation"]:
                return _error(409, "Resource provider's generation already changed. Please "
                                   "update the generation and try again.")
            unknown = set(json["traits"]) - self.traits
            if unknown:
                return _error(400, "No such trait %s" % ", ".join(sorted(unknown)))
            provider["traits"] = set(json["traits"])
            provider["generation"] += 1
            return Response(200, {"traits": sorted(provider["traits"]),
                                  "resource_provider_generation": provider["generation"]})
        raise AssertionError("unexpected PUT %s" % path)

    def puts(self, prefix="/resource_providers/"):
        return [path for method, path in self.calls if method == "PUT" and path.startswith(prefix)]
