"""What any target renders from a resolved connector, without the target's own shapes.

`DesiredCustomApi` is one connector as git wants it in one environment (the target's body, its fingerprint
and what plan needs around it); the helpers are the values every target derives the same way (names,
service URL, brand colour, ownership markers). Each target builds its body in its own package: ARM's
customApi body is targets/arm/render.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectorops import tags
from connectorops.canonical import body_fingerprint, canonical_json

if TYPE_CHECKING:  # annotations only: the definitions model pulls in the spec models
    from connectorops.definitions.model import ResolvedConnector

# The Logic Apps designer's own default brand colour for custom connectors.
DEFAULT_BRAND_COLOR = "#007ee5"
# metadata.labels[ADOPT_LABEL] == "true": take over a same-name unmanaged customApi (set by `import`);
# any other value (not "false"): the name the target lists the unmanaged connector by, to adopt it under
# metadata.name (only where the target keeps the name in its own record: Capabilities.adopts_under_another_name).
ADOPT_LABEL = "connectorops/adopt"


@dataclass(frozen=True)
class DesiredCustomApi:
    """One customApi as git wants it in one environment. `body` never holds secret values."""

    name: str
    body: dict[str, Any]
    fingerprint: str
    source_path: str = ""
    environment: str = ""
    deletion_policy: str = "protect"
    # JSON pointer under properties.connectionParameters -> secret reference, filled at apply time
    secret_refs: dict[str, dict[str, Any]] = field(default_factory=dict)
    adopt: bool = False
    # adopt: the name the target lists the unmanaged connector by, when it is not `name` ("" : `name` itself)
    adopt_from: str = ""
    # where connector.yaml's adopt label is (its line), so a plan that cannot adopt says where to fix it
    adopt_line: int | None = None
    # change paths the target takes on create only (Power Platform: properties.displayName): a difference
    # there is shown as a warning, never planned as an update that would silently not happen
    create_only: tuple[str, ...] = ()

    @property
    def swagger(self) -> dict[str, Any]:
        return definition_of(self.body)


# Where a body keeps its OpenAPI document: ARM customApis `swagger`, Power Platform `openApiDefinition`.
DEFINITION_KEYS = ("swagger", "openApiDefinition")


def definition_of(body: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document of a rendered or observed body ({} when it has none)."""
    properties = body.get("properties") or {}
    for key in DEFINITION_KEYS:
        value = properties.get(key) if isinstance(properties, dict) else None
        if isinstance(value, dict) and value:
            return value
    return {}


def derived_service_url(swagger: dict[str, Any]) -> str:
    """backendService.serviceUrl when connector.yaml sets none: scheme://host/basePath of the swagger."""
    schemes = swagger.get("schemes") or ["https"]
    host = swagger.get("host") or ""
    base = swagger.get("basePath") or ""
    return f"{schemes[0]}://{host}{base}" if host else ""


def _info(connector: ResolvedConnector) -> dict[str, Any]:
    raw_info = connector.fitted.swagger.get("info")
    return raw_info if isinstance(raw_info, dict) else {}


def display_name(connector: ResolvedConnector) -> str:
    """connector.yaml's displayName, else the definition's title, else the connector's name."""
    return connector.spec.displayName or str(_info(connector).get("title") or connector.name)


def description(connector: ResolvedConnector) -> str:
    spec = connector.spec
    return spec.description if spec.description is not None else str(_info(connector).get("description") or "")


def service_url(connector: ResolvedConnector) -> str:
    backend = connector.spec.backend
    return backend.serviceUrl if backend else derived_service_url(connector.fitted.swagger)


def brand_color(connector: ResolvedConnector) -> str:
    return connector.spec.brandColor or connector.fitted.icon_brand_color or DEFAULT_BRAND_COLOR


def ownership_markers(connector: ResolvedConnector) -> dict[str, str]:
    """The markers a target keeps with a connector (the fingerprint and commit are added once rendered)."""
    return {
        tags.MANAGED_BY: tags.MANAGED_BY_VALUE,
        tags.SOURCE_PATH: connector.path,
        tags.DELETION_POLICY: connector.spec.lifecycle.deletion,
        tags.ENVIRONMENT: connector.environment or "",
    }


def adopt_label(labels: dict[str, str], name: str) -> tuple[bool, str]:
    """(adopt?, the listed name to adopt when it is not `name`) from connector.yaml's labels."""
    value = str(labels.get(ADOPT_LABEL, "")).strip()
    if value.lower() in ("", "false"):
        return False, ""
    if value.lower() == "true" or value.lower() == name.lower():
        return True, ""
    return True, value


def wants_adoption(connector: ResolvedConnector) -> bool:
    """`import` labelled it: take over the connector that is not ours yet (of its name, or the one named)."""
    return adopt_label(connector.connector.document.metadata.labels, connector.name)[0]


def sealed(
    connector: ResolvedConnector, body: dict[str, Any], *, commit: str | None, create_only: tuple[str, ...] = ()
) -> DesiredCustomApi:
    """What every target's render ends with: `body` (its markers under `tags`) as canonical plain JSON with
    its fingerprint and commit markers added, so equal inputs give equal bytes."""
    secret_refs = {pointer: dict(ref) for pointer, ref in sorted(connector.fitted.secret_refs.items())}
    # Canonical JSON once: the fingerprint's material, and (read back) plain dicts/lists in a stable key order.
    text = canonical_json(body)
    fingerprint = body_fingerprint(body, secret_refs, canonical_text=text)
    canonical_body: dict[str, Any] = json.loads(text)
    body_tags = {**canonical_body["tags"], tags.FINGERPRINT: fingerprint}
    if commit:
        body_tags[tags.SOURCE_COMMIT] = commit
    canonical_body["tags"] = dict(sorted(body_tags.items()))  # as canonical_json orders them
    return DesiredCustomApi(
        name=connector.name,
        body=canonical_body,
        fingerprint=fingerprint,
        source_path=connector.path,
        environment=connector.environment or "",
        deletion_policy=connector.spec.lifecycle.deletion,
        secret_refs=secret_refs,
        adopt=wants_adoption(connector),
        adopt_from=adopt_label(connector.connector.document.metadata.labels, connector.name)[1],
        create_only=create_only,
    )
