"""A bounded schemathesis run over the Microsoft.Web 2016-06-01 customApis/connections spec against a
running emulator: generated requests (subscription and resource group pinned to the emulator's,
so they reach the handlers), checked for server errors and response-schema conformance.

Two adjustments make the run about the emulator, not about known spec or generator artefacts:
- ResourceDefinition (id, name, type, location, etag, tags) says additionalProperties: false and
  every resource model (itself additionalProperties: false) includes it through allOf; read
  literally, JSON Schema then rejects every resource body Azure returns (each part calls the
  other's keys additional). Autorest reads it as "the composed model is closed", which draft-4
  JSON Schema cannot say, so the keyword is dropped from ResourceDefinition and from the models
  that compose it. Nested closed models (properties, apiDefinitions, backendService...) stay closed.
- PUT bodies get a location when the generator left it out: ARM requires one (LocationRequired),
  and without it no PUT would ever reach the code that builds a 200 response.

Used by test_schemathesis.py; `python tests/fidelity/schemathesis_run.py [N]` prints the figures.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import checks

SPEC = Path(__file__).resolve().parent / "microsoft_web_2016_06_01.json"
PATHS = r"/(customApis|connections)"
API_VERSION = "2016-06-01"


@dataclass
class RunFigures:
    requests: int = 0
    server_errors: int = 0
    schema_violations: int = 0
    examples: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "server_errors": self.server_errors,
            "schema_violations": self.schema_violations,
            "statuses": dict(sorted(self.statuses.items())),
            "examples": self.examples[:10],
        }


def run(
    base_url: str, token: str, ca_path: str, subscription: str, resource_group: str, per_operation: int
) -> RunFigures:
    raw = json.loads(SPEC.read_text(encoding="utf-8"))
    for name, definition in raw["definitions"].items():
        if name == "ResourceDefinition" or "allOf" in definition:
            definition.pop("additionalProperties", None)
    schema = schemathesis.openapi.from_dict(raw).include(path_regex=PATHS)
    figures = RunFigures()
    session = requests.Session()
    session.verify = ca_path
    for result in schema.get_all_operations():
        operation = result.ok()
        _exercise(operation, figures, session, base_url, token, subscription, resource_group, per_operation)
    return figures


def _exercise(
    operation: Any,
    figures: RunFigures,
    session: requests.Session,
    base_url: str,
    token: str,
    subscription: str,
    resource_group: str,
    examples: int,
) -> None:
    @hypothesis.given(case=operation.as_strategy())
    @hypothesis.settings(
        max_examples=examples,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case: Any) -> None:
        if "subscriptionId" in case.path_parameters:
            case.path_parameters["subscriptionId"] = subscription
        if "resourceGroupName" in case.path_parameters:
            case.path_parameters["resourceGroupName"] = resource_group
        case.query = {**(case.query or {}), "api-version": API_VERSION}
        if case.method == "PUT" and isinstance(case.body, dict) and not case.body.get("location"):
            case.body = {**case.body, "location": "westeurope"}
        response = case.call(
            base_url=base_url, session=session, headers={"Authorization": f"Bearer {token}"}, verify=session.verify
        )
        figures.requests += 1
        key = f"{case.method} {response.status_code}"
        figures.statuses[key] = figures.statuses.get(key, 0) + 1
        for check, counter in (
            (checks.not_a_server_error, "server_errors"),
            (checks.response_schema_conformance, "schema_violations"),
        ):
            try:
                case.validate_response(response, checks=[check])
            except (AssertionError, BaseExceptionGroup) as failure:
                setattr(figures, counter, getattr(figures, counter) + 1)
                figures.examples.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {str(failure)[:300]}"
                )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exercise()


if __name__ == "__main__":
    import sys
    import time

    from connectorops.emulator.server import EmulatorServer

    with EmulatorServer() as server:
        info = server.info
        assert info is not None
        if hasattr(server, "ensure_resource_group"):
            server.ensure_resource_group(info.subscription_id, "rg-fuzz", "westeurope")
        started = time.monotonic()
        figures = run(
            info.base_url,
            info.token,
            info.ca_path,
            info.subscription_id,
            "rg-fuzz",
            int(sys.argv[1]) if len(sys.argv) > 1 else 25,
        )
        print(json.dumps({**figures.to_dict(), "seconds": round(time.monotonic() - started, 1)}, indent=1))
