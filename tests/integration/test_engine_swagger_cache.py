"""The controller's swagger cache: an unchanged etag means no second download; any write means one."""

from __future__ import annotations

from typing import Any

from connectorops import tags
from connectorops.engine.observe import SwaggerCache, observe
from connectorops.targets.arm import ResourceGroupTarget
from connectorops.targets.arm.gateway import ArmGateway

DOWNLOADS = ("GET", "Microsoft.Web/customApis/apiDefinitions")


def _managed_api(gateway: ArmGateway, name: str, title: str) -> dict[str, Any]:
    body = {
        "location": gateway.target.location,
        "tags": {tags.MANAGED_BY: tags.MANAGED_BY_VALUE},
        "properties": {
            "displayName": name,
            "apiType": "Rest",
            "swagger": {"swagger": "2.0", "info": {"title": title, "version": "1"}, "paths": {}},
        },
    }
    return gateway.put_custom_api(name, body)


def test_unchanged_connectors_are_served_from_the_cache(gateway: ArmGateway) -> None:
    for index in range(3):
        _managed_api(gateway, f"api-{index}", f"title {index}")
    cache = SwaggerCache()

    first = observe(ResourceGroupTarget(gateway), drift=True, swagger_cache=cache)
    downloads_first = gateway.requests.counts[DOWNLOADS]
    second = observe(ResourceGroupTarget(gateway), drift=True, swagger_cache=cache)

    assert downloads_first == 3
    assert gateway.requests.counts[DOWNLOADS] == 3  # nothing downloaded the second time
    names = [f"api-{index}" for index in range(3)]
    assert [second.swagger_of(name) for name in names] == [first.swagger_of(name) for name in names]
    assert second.swagger_of("api-1") == {"swagger": "2.0", "info": {"title": "title 1", "version": "1"}, "paths": {}}
    assert second.swagger_texts and not second.swaggers  # kept as text until a decision reads one


def test_an_out_of_band_write_is_downloaded_again(gateway: ArmGateway) -> None:
    _managed_api(gateway, "api-0", "before")
    cache = SwaggerCache()
    observe(ResourceGroupTarget(gateway), drift=True, swagger_cache=cache)

    _managed_api(gateway, "api-0", "edited in the portal")  # new etag
    after = observe(ResourceGroupTarget(gateway), drift=True, swagger_cache=cache)

    assert gateway.requests.counts[DOWNLOADS] == 2
    assert (after.swagger_of("api-0") or {})["info"]["title"] == "edited in the portal"


def test_cache_hands_out_copies_and_evicts_the_oldest() -> None:
    cache = SwaggerCache(max_entries=2)
    api = {"id": "/x/customApis/a", "etag": "1"}
    cache.put(api, {"paths": {}})
    cache.get(api)["paths"]["/mutated"] = {}  # type: ignore[index]
    assert cache.get(api) == {"paths": {}}

    cache.put({"id": "/x/customApis/b", "etag": "1"}, {})
    cache.put({"id": "/x/customApis/c", "etag": "1"}, {})
    assert cache.get(api) is None and len(cache) == 2
    assert cache.get({"id": "/x/customApis/no-etag"}) is None
    cache.put({"id": "/x/customApis/no-etag"}, {"a": 1})
    assert len(cache) == 2
