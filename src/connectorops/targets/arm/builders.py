"""Typed request builders, one per ARM operation shape the gateway uses.

Each returns an `azure.core.rest.HttpRequest` with the api-version and headers set; the
gateway sends it through the ARM pipeline. Paths are relative to the target's ARM endpoint.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from azure.core.rest import HttpRequest

JSON_HEADERS = {"Accept": "application/json"}


def segment(name: str) -> str:
    """One path segment, percent-encoded (names come from YAML; never let them add segments)."""
    return quote(name, safe="")


def get_resource(resource_id: str, api_version: str) -> HttpRequest:
    return HttpRequest("GET", resource_id, params={"api-version": api_version}, headers=JSON_HEADERS)


def list_collection(collection_path: str, api_version: str, *, filter: str | None = None) -> HttpRequest:
    params = {"api-version": api_version}
    if filter is not None:
        params["$filter"] = filter
    return HttpRequest("GET", collection_path, params=params, headers=JSON_HEADERS)


def next_page(next_link: str) -> HttpRequest:
    """nextLink already carries api-version and the continuation token."""
    return HttpRequest("GET", next_link, headers=JSON_HEADERS)


def put_resource(
    resource_id: str,
    api_version: str,
    body: dict[str, Any],
    *,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> HttpRequest:
    headers = dict(JSON_HEADERS)
    if if_match is not None:
        headers["If-Match"] = if_match
    if if_none_match is not None:
        headers["If-None-Match"] = if_none_match
    return HttpRequest("PUT", resource_id, params={"api-version": api_version}, json=body, headers=headers)


def patch_tags(resource_id: str, api_version: str, tags: dict[str, str]) -> HttpRequest:
    return HttpRequest(
        "PATCH", resource_id, params={"api-version": api_version}, json={"tags": tags}, headers=JSON_HEADERS
    )


def delete_resource(resource_id: str, api_version: str) -> HttpRequest:
    return HttpRequest("DELETE", resource_id, params={"api-version": api_version}, headers=JSON_HEADERS)


def download(url: str) -> HttpRequest:
    return HttpRequest("GET", url, headers={"Accept": "application/json, */*"})
