"""The folder Microsoft reviews for certification (microsoft/PowerPlatformConnectors layout), as bytes.

Pure: the connector, its definition resolved for the base spec (no environment override: the
production host) and its findings in; {file name: bytes} out, or SubmissionRefused listing
every mandatory finding. The files round-trip: `definition: {paconn: DIR}` on them renders the
same customApi body, because each field is the value render_custom_api would deploy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from connectorops.definitions.model import ResolvedDefinition
from connectorops.definitions.operations import HTTP_METHODS
from connectorops.definitions.paconn import API_DEFINITION, API_PROPERTIES, ICON, SCRIPT
from connectorops.errors import Problem, ValidationFailed
from connectorops.policy.certification.findings import Finding
from connectorops.policy.certification.submission_schemas import PROPERTIES_SCHEMA, SWAGGER_SCHEMA, schema_problems
from connectorops.render import DEFAULT_BRAND_COLOR
from connectorops.secret_refs import without_secret_refs
from connectorops.spec.repository import LoadedConnector

README = "readme.md"
# The base spec, without any environment's overrides: what Microsoft publishes is production.
BASE_ENVIRONMENT = ""
# Microsoft's readme template (templates/certified-connectors/readme.md): the required sections.
README_SECTIONS = (
    "Publisher",
    "Prerequisites",
    "Supported Operations",
    "Obtaining Credentials",
    "Known Issues and Limitations",
    "Deployment Instructions",
)
# Keys whose values are secrets wherever they appear (parameter *names* such as "password" are not).
SECRET_KEYS = frozenset({"clientsecret"})


class SubmissionRefused(ValidationFailed):
    """A mandatory finding (or missing submission data) blocks the package; every one is listed."""


def submission_package(
    connector: LoadedConnector,
    resolved: ResolvedDefinition,
    findings: Iterable[Finding],
    *,
    definition_file: str,
) -> dict[str, bytes]:
    """The submission files; raises SubmissionRefused while a mandatory finding remains.

    `definition_file` names the user's file in messages; a paconn folder's custom code (script.csx and
    scriptOperations, kept in `resolved`) travels with the submission.
    """
    code = resolved.custom_code
    script = code.script if code is not None else None
    spec = connector.document.spec
    blocking = [f for f in findings if f.blocking]
    certification = spec.certification
    if certification is None or not certification.publisher:
        blocking_problems = [
            Problem(
                'the submission needs a publisher (apiProperties.json `publisher`, readme "Publisher:")',
                file=connector.path,
                field="spec.certification.publisher",
                hint="add certification: {publisher: Your Company, stackOwner: Service Owner} to spec",
            )
        ]
    else:
        blocking_problems = []
    if blocking or blocking_problems:
        problems = [f.to_problem() for f in blocking] + blocking_problems
        headline = Problem(
            f"{connector.name} is not packaged for certification: {len(problems)} mandatory finding(s) remain",
            file=connector.path,
            hint="fix each finding below (or mark the rule advisory in policies/certification.yaml), then rerun",
        )
        raise SubmissionRefused([headline, *problems], summary=f"certification package of {connector.name}")
    assert certification is not None and certification.publisher is not None
    swagger = _without_secrets(resolved.swagger)
    properties: dict[str, Any] = {
        "connectionParameters": without_secret_refs(resolved.connection_parameters) or {},
        "iconBrandColor": spec.brandColor or resolved.icon_brand_color or DEFAULT_BRAND_COLOR,
        "capabilities": list(resolved.capabilities),
        "publisher": certification.publisher,
        "stackOwner": certification.stackOwner or certification.publisher,
    }
    if resolved.policy_template_instances:
        properties["policyTemplateInstances"] = resolved.policy_template_instances
    if resolved.connection_parameter_sets is not None:
        properties["connectionParameterSets"] = without_secret_refs(resolved.connection_parameter_sets)
    if script is not None and code is not None and code.operations is not None:
        properties["scriptOperations"] = list(code.operations)
    api_properties = {"properties": _without_secrets(properties)}
    mismatches = schema_problems(swagger, SWAGGER_SCHEMA, file=definition_file)
    mismatches += schema_problems(api_properties, PROPERTIES_SCHEMA, file=f"{API_PROPERTIES} (generated)")
    if mismatches:
        headline = Problem(
            f"{connector.name} is not packaged for certification: Microsoft's schemas reject "
            f"{len(mismatches)} thing(s) in the submission",
            file=connector.path,
            hint="fix each one below in the definition (the schemas are in microsoft/PowerPlatformConnectors/schemas)",
        )
        raise SubmissionRefused([headline, *mismatches], summary=f"certification package of {connector.name}")
    files = {
        API_DEFINITION: _json(swagger),
        API_PROPERTIES: _json(api_properties),
        README: readme(connector, swagger, properties, has_icon=resolved.icon_png is not None).encode("utf-8"),
    }
    if resolved.icon_png is not None:
        files[ICON] = resolved.icon_png
    if script is not None:
        files[SCRIPT] = script
    return files


def readme(connector: LoadedConnector, swagger: dict[str, Any], properties: dict[str, Any], *, has_icon: bool) -> str:
    """readme.md with every section Microsoft's template requires, written from the definition."""
    spec = connector.document.spec
    info = swagger.get("info") if isinstance(swagger.get("info"), dict) else {}
    assert isinstance(info, dict)
    title = spec.displayName or str(info.get("title") or connector.name)
    description = spec.description if spec.description is not None else str(info.get("description") or "")
    certification = spec.certification
    prerequisites = (certification.prerequisites if certification else None) or (
        f"An account with {title} and, to use the connector, a Microsoft Power Automate, Power Apps or "
        "Logic Apps plan that includes custom or certified connectors."
    )
    known = (certification.knownIssues if certification else None) or "None known."
    lines = [
        f"# {title}",
        description.strip() or f"The {title} connector.",
        "",
        f"## Publisher: {properties['publisher']}",
        "",
        "## Prerequisites",
        prerequisites.strip(),
        "",
        "## Supported Operations",
    ]
    operations = list(_operations(swagger))
    if not operations:
        lines.append("None.")
    for heading, text in operations:
        lines += [f"### {heading}", text, ""]
    lines += [
        "## Obtaining Credentials",
        _credentials(swagger, properties.get("connectionParameters") or {}, title),
        "",
        "## Known Issues and Limitations",
        known.strip(),
        "",
        "## Deployment Instructions",
        "Deploy this folder as a custom connector with the Power Platform connector CLI: "
        f"`paconn create --api-def {API_DEFINITION} --api-prop {API_PROPERTIES}"
        + (f" --icon {ICON}`" if has_icon else "`")
        + ", or with `pac connector create`. With connectorops, put the folder next to a connector.yaml "
        "whose `definition` is `{paconn: <folder>}` and run `connectorops apply`.",
        "",
    ]
    return "\n".join(lines)


def _operations(swagger: dict[str, Any]) -> Iterable[tuple[str, str]]:
    paths = swagger.get("paths") if isinstance(swagger.get("paths"), dict) else {}
    assert isinstance(paths, dict)
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method, operation in item.items():
            if str(method).lower() not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            if operation.get("x-ms-visibility") == "internal" or operation.get("deprecated") is True:
                continue
            summary = str(operation.get("summary") or operation.get("operationId") or f"{method.upper()} {path}")
            heading = f"{summary.strip()} (trigger)" if operation.get("x-ms-trigger") else summary.strip()
            yield heading, str(operation.get("description") or summary).strip()


def _credentials(swagger: dict[str, Any], parameters: dict[str, Any], title: str) -> str:
    kinds = [str(p.get("type")) for p in parameters.values() if isinstance(p, dict)]
    definitions = swagger.get("securityDefinitions") if isinstance(swagger.get("securityDefinitions"), dict) else {}
    assert isinstance(definitions, dict)
    declared = [str(d.get("type")) for d in definitions.values() if isinstance(d, dict)]
    if "oauthSetting" in kinds or "oauth2" in declared:
        return (
            f"The connector signs in with OAuth 2.0: when you create a connection, sign in with your {title} "
            "account and consent to the permissions the connector asks for. No key or secret is entered by hand."
        )
    if "basic" in declared:
        return f"The connector uses basic authentication: enter the username and password of your {title} account."
    if "apiKey" in declared or "securestring" in kinds:
        return (
            f"The connector uses an API key: create one in your {title} account settings and enter it when "
            "you create a connection."
        )
    return "The API needs no credentials."


def _without_secrets(value: Any) -> Any:
    """A deep copy without keys that hold secrets (a clientSecret placeholder, a default password)."""
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if str(k).lower() not in SECRET_KEYS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
