"""A paconn folder (apiDefinition.swagger.json + apiProperties.json [+ icon.png]) -> definition parts.

Quirks tolerated because Microsoft's own tools (paconn, the maker portal) accept them:
- JSON with // or /* */ comments, trailing commas or a UTF-8 BOM (WARNING "LenientJson").
- `apidefinition.swagger.json` in another letter case, or a single `*.swagger.json` under
  another name (WARNING).
- connection parameter type spelled `oAuthSetting` (normalized to `oauthSetting`, WARNING).
- `publisher` and `stackOwner` in apiProperties: accepted and ignored (no target has a field for them).
- `policyTemplateInstances`, `connectionParameterSets`, `scriptOperations` and script.csx are kept
  whole; whether a target can carry them is decided later (definitions.carry), never here.
- `clientSecret: "[[DUMMY]]"` placeholders (the repo's convention): dropped. Any other
  literal clientSecret is an error: secrets belong in connector.yaml as references.
- identityProvider values outside paconn's schema enum (e.g. `DocuSign`): carried as is.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from connectorops.definitions.documents import check_size, parse_json
from connectorops.definitions.model import CustomCode
from connectorops.definitions.paconn_checks import script_size_problem
from connectorops.errors import DefinitionError, Problem, Severity, ValidationFailed
from connectorops.spec.source import SourceTree

API_DEFINITION = "apiDefinition.swagger.json"
API_PROPERTIES = "apiProperties.json"
ICON = "icon.png"
SCRIPT = "script.csx"  # custom code (C#), run by Power Platform for the operations in scriptOperations
SECRET_PLACEHOLDERS = {"", "[[DUMMY]]", "DUMMY", "<client secret>", "****"}


@dataclass(frozen=True)
class PaconnFolder:
    swagger: dict[str, Any]
    swagger_file: str
    properties_file: str | None
    connection_parameters: dict[str, Any] | None  # None: apiProperties.json absent
    connection_parameter_sets: dict[str, Any] | None = None
    capabilities: list[str] = field(default_factory=list)
    policy_template_instances: list[dict[str, Any]] = field(default_factory=list)
    custom_code: CustomCode | None = None
    property_lines: dict[str, int] = field(default_factory=dict)
    properties_data: bytes = b""  # apiProperties.json as read, to name the line of a value in errors
    icon_brand_color: str | None = None
    icon_png: bytes | None = None
    source_files: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = ()


def load_paconn_folder(tree: SourceTree, folder: str) -> PaconnFolder:
    """Read and check a paconn folder; raises DefinitionError naming the file and position."""
    if not tree.is_dir(folder):
        if not tree.exists(folder):
            with suppress(OSError):
                tree.size(folder)  # a symlink loop or a link out of the repository raises its own SpecError
        raise DefinitionError(
            f"paconn folder {folder} does not exist",
            file=folder,
            hint="definition.paconn names a folder holding apiDefinition.swagger.json and apiProperties.json",
        )
    warnings: list[Problem] = []
    entries = tree.list_dir(folder)
    swagger_file = _swagger_file(folder, entries, warnings)
    swagger, lenient = _read_json(tree, swagger_file)
    warnings.extend(lenient)
    if not isinstance(swagger, dict):
        raise DefinitionError("the API definition must be a JSON object", file=swagger_file)
    sources = [swagger_file]
    properties_file = next((f"{folder}/{e}" for e in entries if e.lower() == API_PROPERTIES.lower()), None)
    parameters: dict[str, Any] | None = None
    properties: dict[str, Any] = {}
    lines: dict[str, int] = {}
    data = b""
    if properties_file is not None:
        check_size(tree.size(properties_file), properties_file)
        data = tree.read_bytes(properties_file)
        document, lenient = parse_json(data, properties_file, lenient=True)
        warnings.extend(lenient)
        lines = _key_lines(data)
        sources.append(properties_file)
        if not isinstance(document, dict) or not isinstance(document.get("properties", {}), dict):
            raise DefinitionError(
                'apiProperties.json must be an object with a "properties" object', file=properties_file
            )
        properties = document.get("properties") or {}
        parameters = _connection_parameters(
            properties.get("connectionParameters") or {}, properties_file, "properties.connectionParameters", warnings
        )
    parameter_sets = _parameter_sets(properties.get("connectionParameterSets"), properties_file or "", warnings)
    icon_file = next((f"{folder}/{e}" for e in entries if e.lower() == ICON), None)
    icon_png = None
    if icon_file is not None:
        check_size(tree.size(icon_file), icon_file)
        icon_png = tree.read_bytes(icon_file)
        sources.append(icon_file)
    custom_code = _custom_code(tree, folder, entries, properties, properties_file or "")
    if custom_code is not None and custom_code.file is not None:
        sources.append(custom_code.file)
    color = properties.get("iconBrandColor")
    return PaconnFolder(
        swagger=swagger,
        swagger_file=swagger_file,
        properties_file=properties_file,
        connection_parameters=parameters,
        connection_parameter_sets=parameter_sets,
        capabilities=[str(c) for c in properties.get("capabilities") or [] if isinstance(c, str)],
        policy_template_instances=[p for p in properties.get("policyTemplateInstances") or [] if isinstance(p, dict)],
        custom_code=custom_code,
        property_lines=lines,
        properties_data=data if properties_file is not None else b"",
        icon_brand_color=color if isinstance(color, str) else None,
        icon_png=icon_png,
        source_files=tuple(sources),
        warnings=tuple(warnings),
    )


def _custom_code(
    tree: SourceTree, folder: str, entries: list[str], properties: dict[str, Any], properties_file: str
) -> CustomCode | None:
    """script.csx and scriptOperations; None when the folder has neither."""
    operations = properties.get("scriptOperations")
    if operations is not None and (not isinstance(operations, list) or not all(isinstance(o, str) for o in operations)):
        raise DefinitionError(
            "scriptOperations must be a list of operationIds",
            file=properties_file,
            field="properties.scriptOperations",
            hint='e.g. "scriptOperations": ["GetOrder"]: the operations script.csx runs for',
        )
    script_file = next((f"{folder}/{e}" for e in entries if e.lower() == SCRIPT), None)
    if script_file is None and not operations:
        return None
    script = None
    if script_file is not None:
        too_large = script_size_problem(tree.size(script_file), script_file)
        if too_large is not None:  # refused before reading it; names script.csx, not connector.yaml
            raise ValidationFailed([too_large], summary=f"{script_file} is too large")
        script = tree.read_bytes(script_file)
    return CustomCode(script=script, file=script_file, operations=None if operations is None else list(operations))


# A key at the start of a line: `  "policyTemplateInstances": [` (how paconn and the portal write it).
_KEY_AT_LINE_START = re.compile(rb'^[ \t]*"([A-Za-z]+)"[ \t]*:', re.MULTILINE)


def _key_lines(data: bytes) -> dict[str, int]:
    """Each key's first line in the file: a JSON parser keeps no positions, and errors should name a line."""
    lines: dict[str, int] = {}
    for match in _KEY_AT_LINE_START.finditer(data):
        lines.setdefault(match.group(1).decode("ascii"), data.count(b"\n", 0, match.start()) + 1)
    return lines


def _swagger_file(folder: str, entries: list[str], warnings: list[Problem]) -> str:
    if API_DEFINITION in entries:
        return f"{folder}/{API_DEFINITION}"
    other_case = [e for e in entries if e.lower() == API_DEFINITION.lower()]
    candidates = other_case or [e for e in entries if e.lower().endswith(".swagger.json")]
    if len(candidates) == 1:
        warnings.append(
            Problem(
                f"using {candidates[0]} as the API definition (paconn expects {API_DEFINITION})",
                severity=Severity.WARNING,
                file=f"{folder}/{candidates[0]}",
                code="PaconnFileName",
                hint=f"rename it to {API_DEFINITION}",
            )
        )
        return f"{folder}/{candidates[0]}"
    raise DefinitionError(
        f"no {API_DEFINITION} in {folder}",
        file=folder,
        hint="a paconn folder holds apiDefinition.swagger.json and apiProperties.json (paconn download writes both)",
    )


def _read_json(tree: SourceTree, path: str) -> tuple[Any, list[Problem]]:
    check_size(tree.size(path), path)
    return parse_json(tree.read_bytes(path), path, lenient=True)


def _connection_parameters(value: Any, file: str, where: str, warnings: list[Problem]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DefinitionError("connectionParameters must be an object", file=file, field=where)
    result: dict[str, Any] = {}
    for name, parameter in value.items():
        if not isinstance(parameter, dict):
            raise DefinitionError(
                f"connection parameter {name!r} must be an object", file=file, field=f"{where}.{name}"
            )
        parameter = dict(parameter)
        if parameter.get("type") == "oAuthSetting":
            parameter["type"] = "oauthSetting"
            warnings.append(
                Problem(
                    f"connection parameter {name!r}: type 'oAuthSetting' read as 'oauthSetting'",
                    severity=Severity.WARNING,
                    file=file,
                    field=f"{where}.{name}.type",
                    code="PaconnQuirk",
                )
            )
        settings = parameter.get("oAuthSettings")
        if isinstance(settings, dict) and "clientSecret" in settings:
            secret = settings["clientSecret"]
            if not isinstance(secret, str) or secret.strip() not in SECRET_PLACEHOLDERS:
                raise DefinitionError(
                    "apiProperties.json holds a literal clientSecret",
                    file=file,
                    field=f"{where}.{name}.oAuthSettings.clientSecret",
                    code="LiteralSecret",
                    hint="remove it and set auth.clientSecret: {env: NAME} in connector.yaml",
                )
            parameter["oAuthSettings"] = {k: v for k, v in settings.items() if k != "clientSecret"}
        result[str(name)] = parameter
    return result


def _parameter_sets(value: Any, file: str, warnings: list[Problem]) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("values", []), list):
        raise DefinitionError(
            "connectionParameterSets must be an object with a values list",
            file=file,
            field="properties.connectionParameterSets",
        )
    result = dict(value)
    sets = []
    for index, entry in enumerate(value.get("values") or []):
        if not isinstance(entry, dict):
            raise DefinitionError(
                "each connectionParameterSets value must be an object",
                file=file,
                field=f"properties.connectionParameterSets.values[{index}]",
            )
        entry = dict(entry)
        entry["parameters"] = _connection_parameters(
            entry.get("parameters") or {},
            file,
            f"properties.connectionParameterSets.values[{index}].parameters",
            warnings,
        )
        sets.append(entry)
    result["values"] = sets
    return result
