"""Microsoft's JSON schemas for a submission (schemas/ of microsoft/PowerPlatformConnectors), as checks.

The schemas date from 2020 and lag what Microsoft's own repository accepts: apiProperties keys
the repository uses but the schema forbids (KNOWN_SCHEMA_DRIFT) are set aside; everything else
the schema rejects is a problem that blocks the package.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from connectorops.definitions.documents import parse_json
from connectorops.errors import Problem
from connectorops.policy.certification.findings import json_pointer

SWAGGER_SCHEMA = "apiDefinition.swagger.schema.json"
PROPERTIES_SCHEMA = "paconn-apiProperties.schema.json"
# In apiProperties.json `properties`: used by Microsoft's certified connectors, unknown to the schema.
KNOWN_SCHEMA_DRIFT = ("scriptOperations", "connectionParameterSets")
MAX_LISTED = 20


@cache
def _validator(name: str) -> Any:
    data = resources.files("connectorops.policy.certification").joinpath("schemas", name).read_bytes()
    schema = parse_json(data, name, lenient=True)[0]  # the files carry // comments
    return jsonschema.validators.validator_for(schema)(schema)


def schema_problems(document: Any, schema: str, *, file: str) -> list[Problem]:
    """What Microsoft's `schema` rejects in `document`, each at its JSON pointer."""
    if schema == PROPERTIES_SCHEMA and isinstance(document, dict) and isinstance(document.get("properties"), dict):
        kept = {k: v for k, v in document["properties"].items() if k not in KNOWN_SCHEMA_DRIFT}
        document = {**document, "properties": kept}
    errors = sorted(_validator(schema).iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    problems = [
        Problem(
            f"Microsoft's schema {schema} rejects this: {_short(error.message)}",
            file=file,
            field=json_pointer(*error.absolute_path) or "/",
            hint="fix the definition so the submission passes microsoft/PowerPlatformConnectors schemas/",
            code="SubmissionSchema",
        )
        for error in errors[:MAX_LISTED]
    ]
    if len(errors) > MAX_LISTED:
        problems.append(Problem(f"... and {len(errors) - MAX_LISTED} more schema errors", file=file))
    return problems


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
