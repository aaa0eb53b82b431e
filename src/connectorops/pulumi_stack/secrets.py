"""Secret references in a rendered customApi become Pulumi secrets, never plain inputs.

The engine's body holds no secret values; here each `{env: NAME}` reference is read from the
environment and written back at its pointer as `pulumi.Output.secret(value)`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pulumi

from connectorops.engine.secrets import resolve_secret
from connectorops.render import DesiredCustomApi


def _pointer_parts(pointer: str) -> list[str]:
    parts = pointer.strip("/").split("/") if pointer.strip("/") else []
    return [p.replace("~1", "/").replace("~0", "~") for p in parts]


def properties_with_secrets(api: DesiredCustomApi, environ: Mapping[str, str]) -> dict[str, Any]:
    """`api.body["properties"]` with every secret reference filled in as a Pulumi secret Output."""
    properties: dict[str, Any] = copy.deepcopy(api.body.get("properties") or {})
    if not api.secret_refs:
        return properties
    params = properties.setdefault("connectionParameters", {})
    for pointer, ref in sorted(api.secret_refs.items()):
        value = resolve_secret(ref, connector=api.name, pointer=pointer, environ=environ)
        parts = _pointer_parts(pointer)
        if not parts:
            continue
        node: Any = params
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = pulumi.Output.secret(value)
    return properties
