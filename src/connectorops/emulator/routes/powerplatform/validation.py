"""`POST objectIds/{oid}/validateApiSwagger` (api-version 2016-11-01): the project's OpenAPI 2.0
checks (definitions/openapi.py) as the service's structural validation; the certification rules
(`enableConnectorCertificationRules`) are not emulated."""

from __future__ import annotations

from connectorops.definitions.openapi import validate_openapi
from connectorops.emulator.protocol import ArmRequest, ArmResponse
from connectorops.emulator.routes.context import RouteContext, method_not_allowed
from connectorops.emulator.routes.powerplatform.common import APIS_VERSION, require_version
from connectorops.errors import Severity


def validate_api_swagger(ctx: RouteContext, request: ArmRequest) -> ArmResponse:
    """200 {"errors": [], "warnings": [...]}, or 400 with the errors; each {"message", "path"}."""
    require_version(request, APIS_VERSION)
    if request.method != "POST":
        raise method_not_allowed(request.method, "validateApiSwagger", ("POST",))
    problems = validate_openapi(request.json_body(), "swagger")
    errors = [_entry(p.message, p.field) for p in problems if p.severity == Severity.ERROR]
    warnings = [_entry(p.message, p.field) for p in problems if p.severity != Severity.ERROR]
    return ArmResponse(400 if errors else 200, {"errors": errors, "warnings": warnings})


def _entry(message: str, field: str | None) -> dict[str, str]:
    return {"message": message, "path": field or ""}
