"""Postman Collection v1 -> the same collection as v2.1, so one converter serves both.

v1 is what the portal's Postman import was documented with. Carried over: requests (method,
URL, headers, body, description, first saved response), folders (nested through
`folders_order`), pre-request scripts (for the auth-script warning) and the auth *type* only.
Credentials (v1 `helperAttributes`, v2-style auth values) are never copied; their values are
returned so the converter can scrub them from every string it writes.
"""

from __future__ import annotations

import re
from typing import Any

V2_1_SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
# v1 `currentHelper` -> v2 auth type.
HELPER_AUTH = {
    "basicAuth": "basic",
    "bearerAuth": "bearer",
    "digestAuth": "digest",
    "oAuth1": "oauth1",
    "oAuth2": "oauth2",
    "hawkAuth": "hawk",
    "awsSigV4": "awsv4",
    "ntlmAuth": "ntlm",
    "akamaiAuth": "edgegrid",
    "normal": "noauth",
}
# Auth settings that name or locate a credential, never one (the v2 converter reads these).
CARRIED_AUTH_SETTINGS = ("key", "in", "authUrl", "accessTokenUrl")
SECRET_SETTING = re.compile(r"token|secret|password|passwd|credential|signature|access_?key|api_?key", re.I)
MIN_SECRET_LENGTH = 4
BODY_MODES = {"raw": "raw", "params": "formdata", "urlencoded": "urlencoded", "binary": "file"}


def v1_to_v2(collection: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The v2.1 form of a v1 collection, and the credential values found in its auth settings."""
    secrets: set[str] = set()
    requests = {str(r.get("id")): r for r in collection.get("requests") or [] if isinstance(r, dict)}
    folders = {str(f.get("id")): f for f in collection.get("folders") or [] if isinstance(f, dict)}
    placed: set[str] = set()

    def request_item(request_id: str) -> dict[str, Any] | None:
        request = requests.get(request_id)
        if request is None or request_id in placed:
            return None
        placed.add(request_id)
        return _request(request, secrets)

    def folder_item(folder_id: str, seen: frozenset[str]) -> dict[str, Any] | None:
        folder = folders.get(folder_id)
        if folder is None or folder_id in seen:
            return None  # unknown or cyclic reference
        inner = seen | {folder_id}
        children = [folder_item(str(f), inner) for f in folder.get("folders_order") or []]
        children += [request_item(str(r)) for r in folder.get("order") or []]
        return {
            "name": str(folder.get("name") or "Untitled folder"),
            "description": str(folder.get("description") or ""),
            "item": [c for c in children if c is not None],
            **({"auth": _auth(folder, secrets)} if _has_auth(folder) else {}),
        }

    nested = {str(sub) for f in folders.values() for sub in f.get("folders_order") or []}
    root_folders = collection.get("folders_order") or [fid for fid in folders if fid not in nested]
    items = [folder_item(str(fid), frozenset()) for fid in root_folders]
    items += [request_item(str(rid)) for rid in collection.get("order") or []]
    items += [request_item(rid) for rid in requests]  # requests no folder or order lists
    converted: dict[str, Any] = {
        "info": {
            "name": str(collection.get("name") or "Postman collection"),
            "description": str(collection.get("description") or ""),
            "schema": V2_1_SCHEMA,
        },
        "item": [i for i in items if i is not None],
    }
    if isinstance(collection.get("variables"), list):
        converted["variable"] = collection["variables"]
    if _has_auth(collection):
        converted["auth"] = _auth(collection, secrets)
    return converted, secrets


def _request(request: dict[str, Any], secrets: set[str]) -> dict[str, Any]:
    body = _body(request)
    v2_request: dict[str, Any] = {
        "method": str(request.get("method") or "GET").upper(),
        "url": str(request.get("url") or ""),
        "header": _headers(request.get("headers")),
        "description": str(request.get("description") or ""),
    }
    if body is not None:
        v2_request["body"] = body
    if _has_auth(request):
        v2_request["auth"] = _auth(request, secrets)
    item: dict[str, Any] = {"name": str(request.get("name") or ""), "request": v2_request}
    script = request.get("preRequestScript")
    if isinstance(script, str) and script.strip():
        item["event"] = [{"listen": "prerequest", "script": {"exec": script.splitlines()}}]
    responses = [_response(r) for r in request.get("responses") or [] if isinstance(r, dict)]
    if responses:
        item["response"] = responses
    return item


def _headers(value: Any) -> list[dict[str, Any]]:
    """v1 headers are one string, "Name: value" per line; newer v1 exports carry headerData too."""
    if isinstance(value, list):
        return [h for h in value if isinstance(h, dict)]
    headers = []
    for line in str(value or "").splitlines():
        name, sep, text = line.partition(":")
        if sep and name.strip():
            disabled = name.strip().startswith("//")
            headers.append({"key": name.strip().lstrip("/").strip(), "value": text.strip(), "disabled": disabled})
    return headers


def _body(request: dict[str, Any]) -> dict[str, Any] | None:
    mode = BODY_MODES.get(str(request.get("dataMode") or ""))
    if mode == "raw":
        return {"mode": "raw", "raw": str(request.get("rawModeData") or "")}
    if mode in ("formdata", "urlencoded"):
        fields = [
            {
                "key": d.get("key"),
                "value": d.get("value"),
                "type": d.get("type", "text"),
                "disabled": d.get("enabled") is False,
            }
            for d in request.get("data") or []
            if isinstance(d, dict)
        ]
        return {"mode": mode, mode: fields}
    if mode == "file":
        return {"mode": "file", "file": {}}
    return None


def _response(response: dict[str, Any]) -> dict[str, Any]:
    code = response.get("responseCode")
    status = code if isinstance(code, dict) else {}
    return {
        "name": str(response.get("name") or ""),
        "code": status.get("code"),
        "status": str(status.get("name") or ""),
        "body": str(response.get("text") or ""),
    }


def _has_auth(node: dict[str, Any]) -> bool:
    return isinstance(node.get("auth"), dict) or str(node.get("currentHelper") or "") in HELPER_AUTH


def _auth(node: dict[str, Any], secrets: set[str]) -> dict[str, Any]:
    """The auth type plus the settings that only name or locate a credential; values go to `secrets`."""
    auth = node.get("auth")
    if isinstance(auth, dict):
        kind = str(auth.get("type") or "noauth")
        settings = auth.get(kind)
        entries = (
            {str(e.get("key")): e.get("value") for e in settings if isinstance(e, dict)}
            if isinstance(settings, list)
            else dict(settings)
            if isinstance(settings, dict)
            else {}
        )
    else:
        kind = HELPER_AUTH[str(node.get("currentHelper"))]
        attributes = node.get("helperAttributes")
        entries = dict(attributes) if isinstance(attributes, dict) else {}
    kept = {k: v for k, v in entries.items() if k in CARRIED_AUTH_SETTINGS and isinstance(v, str)}
    secrets.update(
        v.strip()
        for k, v in entries.items()
        if SECRET_SETTING.search(k) and isinstance(v, str) and len(v.strip()) >= MIN_SECRET_LENGTH
    )
    converted: dict[str, Any] = {"type": kind}
    if kept:
        converted[kind] = [{"key": k, "value": v} for k, v in kept.items()]
    return converted
