"""ARM error answers turned into `GatewayError`s that say what failed and what to do.

ARM's envelope is {"error": {"code", "message", ...}}; only code and message are kept (they
never contain our credentials).
"""

from __future__ import annotations

import json
from typing import Any

from azure.core.rest import HttpResponse

from connectorops.errors import AuthenticationError, GatewayError

_HINTS: dict[int, str] = {
    400: "ARM rejected the request body or parameters; check the resource definition",
    401: "the credential was not accepted: log in again (az login), refresh $CONNECTOROPS_ARM_TOKEN, "
    "or restart the emulator",
    403: "the identity lacks permission on this scope (e.g. needs Logic App Contributor / User Access Administrator)",
    404: "the resource or its resource group does not exist",
    409: "a conflicting operation is running or the resource is in a conflicting state; retry later",
    412: "the resource changed since it was read (etag mismatch); read it again and retry",
    429: "ARM throttled the requests beyond the retry budget; wait and run again",
}


def arm_error_of(response: HttpResponse) -> tuple[str | None, str]:
    """(ARM code, message) from an error response, tolerating non-JSON bodies."""
    try:
        body: Any = json.loads(response.text() or "null")
    except (ValueError, UnicodeDecodeError):
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message")
        return (str(code) if code else None, str(message) if message else "")
    return None, (response.reason or "")


def gateway_error(
    response: HttpResponse, action: str, *, service: str = "ARM", hints: dict[int, str] | None = None
) -> GatewayError:
    """`action` names what we tried, e.g. "PUT Microsoft.Web/customApis/orders"; `service` who answered
    (another API with the same error envelope, such as Power Apps, passes its name and its own hints)."""
    code, message = arm_error_of(response)
    status = response.status_code
    text = f"{action}: {service} answered {status}{f' {code}' if code else ''}" + (f": {message}" if message else "")
    hint = (
        (hints or {}).get(status)
        or _HINTS.get(status)
        or ("the service failed; retry later" if status >= 500 else None)
    )
    if status == 401:
        return AuthenticationError(text, status=status, arm_code=code, hint=hint)
    return GatewayError(text, status=status, arm_code=code, hint=hint)
