"""What a target cannot carry from a resolved definition: refused, or stripped because connector.yaml says so.

An ARM customApi (target local/azure) has no field for policy templates, custom code or
connectionParameterSets; a Power Platform environment has. Dropping them silently would deploy
a connector that behaves differently, so on ARM each one is an error unless `strip` names it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from connectorops.definitions.model import ResolvedDefinition
from connectorops.errors import Problem, Severity
from connectorops.spec.repository import ConnectorInEnvironment, LoadedConnector

CANNOT_CARRY = "TargetCannotCarry"
STRIPPED = "StrippedForTarget"
STRIP_UNUSED = "StripUnused"
POLICY_TEMPLATES, CUSTOM_CODE, PARAMETER_SETS = "policyTemplates", "customCode", "connectionParameterSets"
# strip item -> the apiProperties.json key that carries it
PROPERTY_KEYS = {
    POLICY_TEMPLATES: "policyTemplateInstances",
    CUSTOM_CODE: "scriptOperations",
    PARAMETER_SETS: "connectionParameterSets",
}


# strip item -> the Capabilities field that says a target carries it
CARRIED_BY = {
    POLICY_TEMPLATES: "policy_templates",
    CUSTOM_CODE: "custom_code",
    PARAMETER_SETS: "connection_parameter_sets",
}


class Carries(Protocol):
    """What a target can carry of a definition (engine.target.Capabilities has these fields; definitions sits
    below the engine, so it names the fields it reads instead of importing the engine)."""

    @property
    def policy_templates(self) -> bool: ...

    @property
    def custom_code(self) -> bool: ...

    @property
    def connection_parameter_sets(self) -> bool: ...


def carries(capabilities: Carries, item: str) -> bool:
    return bool(getattr(capabilities, CARRIED_BY[item]))


@dataclass(frozen=True)
class Extra:
    """One thing of a definition only a Power Platform target carries, and where it was written."""

    item: str  # a strip item: policyTemplates | customCode | connectionParameterSets
    description: str  # for people: "policy templates dynamichosturl, setqueryparameter"
    file: str | None
    field: str | None  # JSON pointer in `file`
    line: int | None


def extras_of(resolved: ResolvedDefinition) -> list[Extra]:
    """Policy templates, custom code and connectionParameterSets of the definition, in that order."""
    found: list[Extra] = []
    if resolved.policy_template_instances:
        ids = ", ".join(str(p.get("templateId", "?")) for p in resolved.policy_template_instances)
        found.append(_extra(resolved, POLICY_TEMPLATES, f"policy templates ({ids})"))
    code = resolved.custom_code
    if code is not None:
        script = code.file or "no script.csx"
        runs_for = f" for operations {', '.join(code.operations)}" if code.operations else ""
        extra = _extra(resolved, CUSTOM_CODE, f"custom code ({script}{runs_for})")
        if not code.operations:  # a script.csx that apiProperties.json does not mention: name the script
            extra = replace(extra, file=code.file, field=None, line=None)
        found.append(extra)
    if resolved.connection_parameter_sets is not None:
        names = ", ".join(parameter_set_names(resolved))
        found.append(_extra(resolved, PARAMETER_SETS, f"connectionParameterSets ({names})"))
    return found


def parameter_set_names(resolved: ResolvedDefinition) -> list[str]:
    sets = (resolved.connection_parameter_sets or {}).get("values") or []
    return [str(s.get("name", "?")) for s in sets if isinstance(s, dict)]


def _extra(resolved: ResolvedDefinition, item: str, description: str) -> Extra:
    key = PROPERTY_KEYS[item]
    return Extra(
        item=item,
        description=description,
        file=resolved.properties_file,
        field=f"/properties/{key}",
        line=resolved.property_lines.get(key),
    )


def fit_for_target(
    view: ConnectorInEnvironment, resolved: ResolvedDefinition, target: str, capabilities: Carries
) -> tuple[ResolvedDefinition, list[Problem]]:
    """The definition the target gets, and why: an error per extra it cannot carry, a warning for what is stripped.

    A target that carries all of them (Power Platform) gets `resolved` unchanged, and `strip` (which is about
    ARM targets) does not apply to it. So do connectors with no extras: their ARM body is byte for byte what
    it was before this check existed. `target` names the target kind in messages (local, azure).
    """
    if all(carries(capabilities, item) for item in CARRIED_BY):
        return resolved, []
    extras = [e for e in extras_of(resolved) if not carries(capabilities, e.item)]
    connector, environment, spec = view.connector, view.environment or "", view.spec
    strip_field = _field(connector, environment, "strip")
    problems = [_unused(connector, item, strip_field) for item in spec.strip if item not in {e.item for e in extras}]
    refused = [_refusal(connector, e, environment, target) for e in extras if e.item not in spec.strip]
    stripped = [e for e in extras if e.item in spec.strip]
    if refused or not stripped:
        return resolved, problems + refused
    fitted = replace(
        resolved,
        policy_template_instances=[] if POLICY_TEMPLATES in spec.strip else resolved.policy_template_instances,
        custom_code=None if CUSTOM_CODE in spec.strip else resolved.custom_code,
    )
    notes = [e.description for e in stripped]
    if any(e.item == PARAMETER_SETS for e in stripped):
        chosen, problem = _chosen_set(view, resolved, strip_field)
        if problem is not None:
            return resolved, [*problems, problem]
        fitted = replace(fitted, connection_parameter_sets=None)
        if spec.auth is None:
            fitted = replace(fitted, connection_parameters=chosen)
            notes[-1] += f"; set {spec.connectionParameterSet!r} is deployed as connectionParameters"
        else:
            notes[-1] += "; connectionParameters come from connector.yaml auth"
    warning = Problem(
        f"not deployed to environment {environment!r} (target {target}), stripped as connector.yaml says: "
        + "; ".join(notes),
        severity=Severity.WARNING,
        file=connector.path,
        field=strip_field,
        code=STRIPPED,
        hint="a Power Platform environment carries them; remove them from strip when you target one",
    )
    return fitted, [*problems, warning]


def _refusal(connector: LoadedConnector, extra: Extra, environment: str, target: str) -> Problem:
    how = f"{_field(connector, environment, 'strip')}: [{extra.item}] in {connector.path}"
    if extra.item == PARAMETER_SETS:
        how += f" with {_field(connector, environment, 'connectionParameterSet')}: NAME (the set to deploy)"
    return Problem(
        f"{extra.description} cannot be deployed to environment {environment!r}: target {target} "
        "(an ARM customApi) has no field for them, and nothing is dropped silently",
        file=extra.file,
        line=extra.line,
        field=extra.field,
        code=CANNOT_CARRY,
        hint="deploy it to a Power Platform environment (target: powerplatform in connectorops.yaml), or strip "
        f"them explicitly for this environment: {how}",
    )


def _chosen_set(
    view: ConnectorInEnvironment, resolved: ResolvedDefinition, strip_field: str
) -> tuple[dict[str, Any], Problem | None]:
    """The parameters of the set connector.yaml chose; ARM has room for exactly one set."""
    connector, environment, name = view.connector, view.environment or "", view.spec.connectionParameterSet
    names = parameter_set_names(resolved)
    sets = (resolved.connection_parameter_sets or {}).get("values") or []
    chosen = next((s for s in sets if isinstance(s, dict) and s.get("name") == name), None)
    if chosen is not None:
        parameters = chosen.get("parameters")
        return (dict(parameters) if isinstance(parameters, dict) else {}), None
    if name:
        where = _field(connector, environment, "connectionParameterSet")
    else:  # set nowhere: ask for it next to the strip that needs it
        where = strip_field.removesuffix("strip") + "connectionParameterSet"
    said = f"names {name!r}, which is not a set of {resolved.properties_file}" if name else "is not given"
    return {}, Problem(
        f"connectionParameterSets are stripped, but {where} {said}: an ARM customApi holds the "
        "parameters of one set only",
        file=connector.path,
        field=where,
        code=CANNOT_CARRY,
        hint=f"set {where} to one of: {', '.join(names) or '(none)'}",
    )


def _unused(connector: LoadedConnector, item: str, strip_field: str) -> Problem:
    return Problem(
        f"strip lists {item}, but the definition has none",
        severity=Severity.WARNING,
        file=connector.path,
        field=strip_field,
        code=STRIP_UNUSED,
        hint=f"remove {item} from strip",
    )


def _field(connector: LoadedConnector, environment: str, name: str) -> str:
    """Where connector.yaml sets `name` for the environment: its override, else spec."""
    override = connector.document.spec.environments.get(environment)
    if override is not None and getattr(override, name) is not None:
        return f"spec.environments.{environment}.{name}"
    if getattr(connector.document.spec, name):
        return f"spec.{name}"
    return f"spec.environments.{environment}.{name}"
