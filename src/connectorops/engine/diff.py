"""Field-level differences between a desired customApi body and the deployed resource.

Server-populated fields never show as differences, empty values equal missing ones, and the
swagger is compared as a JSON value (key order and number spelling do not matter), so a
freshly applied connector never shows false drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectorops import tags
from connectorops.canonical import canonical_json
from connectorops.render import DEFINITION_KEYS, definition_of

# properties.* that the service computes or echoes differently from what was sent (ARM; then Power Apps: the
# real apiName, where uploads landed, who published and shares it).
SERVER_PROPERTIES = frozenset(
    {"runtimeUrls", "apiDefinitions", "createdTime", "changedTime", "provisioningState", "metadata"}
    | {"apiName", "isCustomApi", "scriptDefinitionUrl", "uploadedIconUri", "publisher", "permissions", "createdBy"}
)
# Our tags worth comparing; fingerprint and commit describe provenance, not content.
COMPARED_TAGS = (tags.MANAGED_BY, tags.SOURCE_PATH, tags.DELETION_POLICY, tags.ENVIRONMENT)
MAX_CHANGES = 200  # per resource; a swagger rewrite would otherwise produce thousands of lines


@dataclass(frozen=True)
class FieldChange:
    """`path` is dotted from the resource root, e.g. properties.backendService.serviceUrl."""

    path: str
    before: Any = None
    after: Any = None

    @property
    def kind(self) -> str:
        if _is_empty(self.before):
            return "added"
        if _is_empty(self.after):
            return "removed"
        return "changed"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "before": self.before, "after": self.after}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FieldChange:
        return cls(path=data["path"], before=data.get("before"), after=data.get("after"))


def _is_empty(value: Any) -> bool:
    """None, "", [] and {} are all "not set"; so is an object whose members are all not set."""
    if isinstance(value, dict):
        return all(_is_empty(v) for v in value.values())
    return value is None or value == "" or value == []


def _key(segment: str) -> str:
    return segment if segment.replace("_", "").replace("-", "").isalnum() else f"[{segment!r}]"


def _join(path: str, segment: str) -> str:
    key = _key(segment)
    return f"{path}{key}" if key.startswith("[") else f"{path}.{key}" if path else key


def diff_values(path: str, before: Any, after: Any, out: list[FieldChange]) -> None:
    """Recursive diff of two JSON values: dicts key by key, everything else as a whole."""
    if _is_empty(before) and _is_empty(after):
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            diff_values(_join(path, str(key)), before.get(key), after.get(key), out)
        return
    if canonical_json(before) != canonical_json(after):
        out.append(FieldChange(path, before, after))


# oAuthSettings fields ARM may fill in itself (the consent redirect URL, read-only properties):
# compared only when git sets them.
SERVER_OAUTH_FIELDS = frozenset({"redirectUrl", "properties"})


def _comparable_parameters(params: Any, wanted: Any = None) -> Any:
    """connectionParameters without what cannot be compared.

    oAuthSettings.clientSecret is write-only in ARM (secret references are covered by the
    fingerprint); server-filled oAuthSettings fields count only where `wanted` (git) sets them.
    """
    if not isinstance(params, dict):
        return params
    cleaned: dict[str, Any] = {}
    for name, param in params.items():
        if isinstance(param, dict) and isinstance(param.get("oAuthSettings"), dict):
            want_param = wanted.get(name) if isinstance(wanted, dict) else None
            want_settings = (want_param or {}).get("oAuthSettings") if isinstance(want_param, dict) else None
            keep_server = set(want_settings) if isinstance(want_settings, dict) else set()
            settings = {
                k: v
                for k, v in param["oAuthSettings"].items()
                if k != "clientSecret" and (wanted is None or k not in SERVER_OAUTH_FIELDS or k in keep_server)
            }
            param = {**param, "oAuthSettings": settings}
        cleaned[name] = param
    return cleaned


def _diff_files(desired_body: dict[str, Any], observed: dict[str, Any], out: list[FieldChange]) -> None:
    """Uploaded files (Power Platform: icon.png, script.csx) compare by content hash: `files.<name>`."""
    want = desired_body.get("files") or {}
    have = observed.get("files") or {}
    if not isinstance(want, dict) or not isinstance(have, dict):
        return
    for name in sorted(set(want) | set(have)):
        before = (have.get(name) or {}).get("sha256") if isinstance(have.get(name), dict) else None
        after = (want.get(name) or {}).get("sha256") if isinstance(want.get(name), dict) else None
        if before != after:
            out.append(FieldChange(_join("files", str(name)), before, after))


def _pop_definition(properties: dict[str, Any]) -> Any:
    """Remove and return the OpenAPI document, under whichever key the body keeps it (render.DEFINITION_KEYS)."""
    found = [properties.pop(key, None) for key in DEFINITION_KEYS]
    return next((value for value in found if value), None)


def _location(value: Any) -> str:
    return str(value or "").replace(" ", "").lower()


def diff_custom_api(
    desired_body: dict[str, Any],
    observed: dict[str, Any],
    *,
    observed_swagger: dict[str, Any] | None,
) -> tuple[FieldChange, ...]:
    """Changes needed to turn `observed` into `desired_body`.

    `observed_swagger` is the deployed swagger when it was fetched; None means "not fetched,
    assume equal" (the fingerprint tag matched, so nothing changed since our last apply).
    """
    changes: list[FieldChange] = []
    if _location(desired_body.get("location")) != _location(observed.get("location")):
        changes.append(FieldChange("location", observed.get("location"), desired_body.get("location")))
    want_tags = desired_body.get("tags") or {}
    have_tags = observed.get("tags") or {}
    for key in COMPARED_TAGS:
        diff_values(_join("tags", key), have_tags.get(key), want_tags.get(key), changes)
    want = dict(desired_body.get("properties") or {})
    have = dict(observed.get("properties") or {})
    for name in SERVER_PROPERTIES:
        want.pop(name, None)
        have.pop(name, None)
    want_swagger = _pop_definition(want)
    have_swagger = _pop_definition(have) or observed_swagger
    if have.get("wsdlDefinition") in ({}, None):
        have.pop("wsdlDefinition", None)
    have["connectionParameters"] = _comparable_parameters(
        have.get("connectionParameters"), want.get("connectionParameters") or {}
    )
    want["connectionParameters"] = _comparable_parameters(want.get("connectionParameters"))
    diff_values("properties", have, want, changes)
    _diff_files(desired_body, observed, changes)
    swagger_known = observed_swagger is not None or bool(definition_of(observed))
    # One C-speed comparison of the whole document first: walking a large equal swagger is slow.
    if swagger_known and canonical_json(have_swagger) != canonical_json(want_swagger):
        diff_values("properties.swagger", have_swagger, want_swagger, changes)
    if len(changes) > MAX_CHANGES:
        hidden = len(changes) - MAX_CHANGES
        changes = changes[:MAX_CHANGES] + [FieldChange(f"... {hidden} more changes", None, None)]
    return tuple(changes)
