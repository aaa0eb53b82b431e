"""What a paconn folder's policy templates and custom code name must exist: template ids and operationIds.

Power Platform applies a policy template or script.csx to operations by operationId; a misspelt
or removed id is silently applied to nothing, so it is refused here, with the line and close ids.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from typing import Any

from connectorops.definitions.operations import HTTP_METHODS
from connectorops.errors import Problem

# The policy template ids of Microsoft's schemas/paconn-apiProperties.schema.json (commit 8bff86e) ...
SCHEMA_TEMPLATE_IDS = (
    "convertarraytoobject",
    "convertobjecttoarray",
    "dynamichosturl",
    "encodepropertyvalue",
    "pollingtrigger",
    "routerequesttoendpoint",
    "setheader",
    "setproperty",
    "setqueryparameter",
    "setvaluefromurl",
    "stringreplace",
    "stringtoarray",
    "updatenextlink",
)
# ... plus ids the 2020 schema lags behind: used by certified connectors (dynamicsubdomain: AlisQI).
KNOWN_TEMPLATE_IDS = frozenset({*SCHEMA_TEMPLATE_IDS, "dynamicsubdomain"})
OPERATION_NAMES = "x-ms-apimTemplate-operationName"
MAX_SCRIPT_BYTES = 1_048_576  # Power Platform's limit for a connector's custom code
UNKNOWN_TEMPLATE = "UnknownPolicyTemplate"
UNKNOWN_OPERATION = "UnknownOperationId"
SCRIPT_TOO_LARGE = "ScriptTooLarge"


def operation_ids(swagger: dict[str, Any]) -> list[str]:
    """The operationIds of an OpenAPI 2.0 document, in path order."""
    found: list[str] = []
    for item in (swagger.get("paths") or {}).values():
        if not isinstance(item, dict):
            continue
        for method, operation in item.items():
            identifier = operation.get("operationId") if isinstance(operation, dict) else None
            if str(method).lower() in HTTP_METHODS and isinstance(identifier, str):
                found.append(identifier)
    return found


def script_size_problem(size: int, file: str) -> Problem | None:
    """script.csx over the 1 MB limit, or None."""
    if size <= MAX_SCRIPT_BYTES:
        return None
    return Problem(
        f"script.csx is {size:,} bytes, over the 1 MB limit for custom code ({MAX_SCRIPT_BYTES:,} bytes)",
        file=file,
        code=SCRIPT_TOO_LARGE,
        hint="Power Platform refuses a larger script: move logic to the backend API or split the connector",
    )


def paconn_reference_problems(
    swagger: dict[str, Any],
    *,
    templates: list[dict[str, Any]],
    script_operations: list[str] | None,
    properties_file: str,
    properties_data: bytes,
) -> list[Problem]:
    """Unknown template ids, and operationIds in templates or scriptOperations that `swagger` does not define."""
    known = operation_ids(swagger)
    locate = _Locator(properties_data)
    problems: list[Problem] = []
    for index, template in enumerate(templates):
        template_id = template.get("templateId")
        title = template.get("title")
        name = f"policy template {index}" + (f" {title!r}" if isinstance(title, str) else "")
        where = f"/properties/policyTemplateInstances/{index}"
        if template_id not in KNOWN_TEMPLATE_IDS:
            close = difflib.get_close_matches(str(template_id), sorted(KNOWN_TEMPLATE_IDS), n=1)
            problems.append(
                Problem(
                    f"{name} has templateId {template_id!r}, which is not a Power Platform policy template"
                    + (f"; did you mean {close[0]!r}?" if close else ""),
                    file=properties_file,
                    line=locate.template_line(index),
                    field=f"{where}/templateId",
                    code=UNKNOWN_TEMPLATE,
                    hint="use one of: " + ", ".join(sorted(KNOWN_TEMPLATE_IDS)),
                )
            )
        parameters = template.get("parameters")
        names = parameters.get(OPERATION_NAMES) if isinstance(parameters, dict) else None
        listed = [names] if isinstance(names, str) else names if isinstance(names, list) else []
        for position, operation in enumerate(listed):
            if isinstance(operation, str) and operation not in known:
                problems.append(
                    Problem(
                        f"{name} ({template_id}) names operationId {operation!r} in {OPERATION_NAMES}, "
                        "which the API definition does not define" + _did_you_mean(operation, known),
                        file=properties_file,
                        line=locate.value_line(operation, after=locate.template_line(index)),
                        field=f"{where}/parameters/{OPERATION_NAMES}/{position}",
                        code=UNKNOWN_OPERATION,
                        hint=f"fix or remove {operation!r} in that list (an empty list applies the template to all "
                        f"operations); {_defined(known)}",
                    )
                )
    for position, operation in enumerate(script_operations or []):
        if operation not in known:
            problems.append(
                Problem(
                    f"scriptOperations names operationId {operation!r}, which the API definition does not define"
                    + _did_you_mean(operation, known),
                    file=properties_file,
                    line=locate.value_line(operation, after=locate.key_line("scriptOperations")),
                    field=f"/properties/scriptOperations/{position}",
                    code=UNKNOWN_OPERATION,
                    hint=f"fix or remove {operation!r} (script.csx runs for the listed operations; empty: all); "
                    + _defined(known),
                )
            )
    return problems


def _did_you_mean(operation: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(operation, list(known), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _defined(known: list[str], shown: int = 10) -> str:
    listed = ", ".join(known[:shown]) + (f", ... ({len(known) - shown} more)" if len(known) > shown else "")
    return f"the definition defines: {listed}" if known else "the definition defines no operationId"


class _Locator:
    """Lines in apiProperties.json as paconn and the portal write it (pretty-printed); None when not found.

    A JSON parser keeps no positions, so values are found by text: the n-th `"templateId"` after
    `"policyTemplateInstances"` starts template n, and an id is the next line holding it as a string.
    """

    def __init__(self, data: bytes) -> None:
        self._lines = data.decode("utf-8-sig", errors="replace").splitlines()

    def key_line(self, key: str) -> int | None:
        pattern = re.compile(rf'"{re.escape(key)}"\s*:')
        return next((n for n, text in enumerate(self._lines, 1) if pattern.search(text)), None)

    def template_line(self, index: int) -> int | None:
        start = self.key_line("policyTemplateInstances")
        if start is None:
            return None
        pattern = re.compile(r'"templateId"\s*:')
        starts = [n for n, text in enumerate(self._lines, 1) if n >= start and pattern.search(text)]
        return starts[index] if index < len(starts) else start

    def value_line(self, value: str, *, after: int | None) -> int | None:
        quoted = json.dumps(value)
        first = after or 1
        found = next((n for n, text in enumerate(self._lines[first - 1 :], first) if quoted in text), None)
        return found if found is not None else after
