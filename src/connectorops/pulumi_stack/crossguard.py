"""The CrossGuard policies (policies/crossguard/): the engine's sharing and certification rules on Pulumi resources.

They check what a stack is about to deploy (resource inputs), not what git says, so a hand-edited
program or an extra RoleAssignment is caught too. Certification enforcement comes from
policies/certification.yaml: mandatory findings go to a MANDATORY policy, advisory ones to an ADVISORY one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from connectorops.pulumi_stack.extra import PulumiExtraMissing

try:
    from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy
except ImportError as missing:
    raise PulumiExtraMissing("the CrossGuard policy pack (policies/crossguard)", missing) from None

from connectorops import tags
from connectorops.definitions.model import ResolvedDefinition
from connectorops.engine.desired import connector_of_scope
from connectorops.errors import Problem, Severity
from connectorops.policy.certification.certify import (
    CertificationPolicy,
    Finding,
    certify_connector,
    load_certification_policy,
)
from connectorops.policy.sharing import SharingPolicy, check_sharing, load_sharing_policy, platform_of
from connectorops.spec.repository import ConnectorInEnvironment, LoadedConnector, Repository
from connectorops.spec.source import SourceTree
from connectorops.targets.arm.render import png_from_data_uri

CUSTOM_API = "azure-native:web:CustomApi"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
CUSTOM_APIS_SEGMENT = "/providers/microsoft.web/customapis/"

# `EnvironmentSource()` -> the stack's connectorops environment (pulumi config), None if unset.
EnvironmentSource = Callable[[], "str | None"]


@dataclass(frozen=True)
class PackInputs:
    """The repository and policies the pack judges against, loaded once per pack process."""

    repository: Repository
    sharing: SharingPolicy | None
    certification: CertificationPolicy
    problems: tuple[Problem, ...]

    def connector_at(self, source_path: str) -> LoadedConnector | None:
        return next((c for c in self.repository.connectors if c.path == source_path), None)

    def connector_named(self, name: str) -> LoadedConnector | None:
        wanted = name.lower()
        return next((c for c in self.repository.connectors if c.name.lower() == wanted), None)


def load_pack_inputs(repository: Repository) -> PackInputs:
    sharing, sharing_problems = load_sharing_policy(repository.tree)
    certification, cert_problems = load_certification_policy(repository.tree)
    return PackInputs(repository, sharing, certification, tuple(sharing_problems + cert_problems))


def _plain(value: Any) -> Any:
    """Resource inputs as plain dicts/lists (the pack hands us read-only proxies)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return value


def _paconn_files(connector: LoadedConnector, tree: SourceTree | None) -> tuple[str, ...]:
    """The files of a paconn folder: findings then name apiDefinition.swagger.json, as the engine's do."""
    folder = connector.document.spec.definition.paconn
    if not folder or tree is None:
        return ()
    base = f"{connector.folder}/{folder.strip('/')}"
    return tuple(f"{base}/{name}" for name in tree.list_dir(base))


def deployed_definition(
    connector: LoadedConnector, properties: Mapping[str, Any], tree: SourceTree | None = None
) -> ResolvedDefinition:
    """What the resource would deploy, shaped like the engine's ResolvedDefinition for the certification rules."""
    swagger = properties.get("swagger")
    params = properties.get("connectionParameters")
    return ResolvedDefinition(
        source_kind=connector.document.spec.definition.kind,
        swagger=swagger if isinstance(swagger, dict) else {},
        connection_parameters=params if isinstance(params, dict) else {},
        icon_brand_color=properties.get("brandColor") if isinstance(properties.get("brandColor"), str) else None,
        icon_png=png_from_data_uri(properties.get("iconUri")),
        source_files=_paconn_files(connector, tree),
    )


def _finding_text(finding: Finding) -> str:
    where = f"{finding.file}{'#' + finding.pointer if finding.pointer else ''}"
    return f"[{finding.rule_id}] {finding.message} ({where}; hint: {finding.hint})"


class RepositoryRules:
    """Validate functions over one repository; `inputs` is loaded on first use, not at import."""

    def __init__(self, load: Callable[[], PackInputs], environment: EnvironmentSource) -> None:
        self._load = load
        self._environment = environment

    @cached_property
    def inputs(self) -> PackInputs:
        return self._load()

    def environment(self, resource_tags: Mapping[str, Any] | None = None) -> str:
        tagged = (resource_tags or {}).get(tags.ENVIRONMENT)
        if isinstance(tagged, str) and tagged:
            return tagged
        return self._environment() or self.inputs.repository.config.default

    def _custom_api_connector(
        self, args: ResourceValidationArgs, report: ReportViolation
    ) -> tuple[ConnectorInEnvironment, dict[str, Any]] | None:
        props = _plain(args.props)
        resource_tags = props.get("tags") or {}
        source = resource_tags.get(tags.SOURCE_PATH)
        if not source:
            return None  # reported by the managed-tags policy
        connector = self.inputs.connector_at(str(source))
        if connector is None:
            report(
                f"customApi {args.name!r}: tag {tags.SOURCE_PATH}={source!r} names no connector in this repository",
                None,
            )
            return None
        return ConnectorInEnvironment.of(connector, self.environment(resource_tags)), props

    # --- azure-native:web:CustomApi ------------------------------------------------------------

    def validate_managed_tags(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != CUSTOM_API:
            return
        resource_tags = _plain(args.props).get("tags") or {}
        if resource_tags.get(tags.MANAGED_BY) != tags.MANAGED_BY_VALUE:
            report(
                f"customApi {args.name!r} lacks tag {tags.MANAGED_BY}={tags.MANAGED_BY_VALUE}: declare it from git",
                None,
            )
        for key in (tags.SOURCE_PATH, tags.ENVIRONMENT, tags.FINGERPRINT):
            if not resource_tags.get(key):
                report(f"customApi {args.name!r} lacks tag {key}: render it with connectorops.targets.arm.render", None)

    def validate_sharing_requests(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != CUSTOM_API:
            return
        found = self._custom_api_connector(args, report)
        if found is None:
            return
        view, _ = found
        platform = platform_of(self.inputs.repository.config.environments.get(view.environment or ""))
        tree = self.inputs.repository.tree
        for problem in check_sharing(view, self.inputs.sharing, tree=tree, platform=platform):
            report(str(problem), None)

    def certification_validator(self, enforcement: str) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
        """Reports the findings whose enforcement (from policies/certification.yaml) is `enforcement`."""

        def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
            if args.resource_type != CUSTOM_API:
                return
            found = self._custom_api_connector(args, report)
            if found is None:
                return
            view, props = found
            resolved = deployed_definition(view.connector, props.get("properties") or {}, self.inputs.repository.tree)
            for finding in certify_connector(view, resolved, self.inputs.certification):
                if finding.enforcement == enforcement:
                    report(_finding_text(finding), None)

        return validate

    # --- azure-native:authorization:RoleAssignment ---------------------------------------------

    def validate_role_assignment(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != ROLE_ASSIGNMENT:
            return
        policy = self.inputs.sharing
        # Principal and role first: they are known even in a preview where the scope is not.
        principal_id = str(args.props.get("principalId") or "")
        role_definition = str(args.props.get("roleDefinitionId") or "")
        if policy is None:
            report(f"role assignment {args.name!r}: there is no policies/sharing.yaml, so no grant is allowed", None)
            return
        principal = policy.principal_name(principal_id)
        role = policy.role_name(role_definition)
        if principal is None:
            report(f"role assignment {args.name!r}: principal {principal_id} is not declared in {policy.file}", None)
        if role is None:
            report(f"role assignment {args.name!r}: role {role_definition} is not a role of {policy.file}", None)
        if principal is None or role is None:
            return
        scope = args.props.get("scope")  # unknown in a preview of a new customApi: the pack skips the rest
        if not isinstance(scope, str) or CUSTOM_APIS_SEGMENT not in scope.lower():
            return  # grants on other resources are not ours to judge
        name = connector_of_scope(scope)
        connector = self.inputs.connector_named(name)
        if connector is None:
            report(f"role assignment {args.name!r} shares customApi {name!r}, which no connector.yaml declares", None)
            return
        environment = self.environment()
        decision = policy.decide(connector, environment, principal, role)
        if not decision.allowed:
            report(
                f"role assignment {args.name!r}: {decision.rule} forbids role {role!r} for {principal!r} "
                f"on connector {connector.name!r} in environment {environment!r}",
                None,
            )


def build_policies(rules: RepositoryRules) -> list[ResourceValidationPolicy]:
    """The pack's policies, in the order `pulumi preview` lists them."""
    return [
        ResourceValidationPolicy(
            name="connectorops-managed-tags",
            description="customApis carry the connectorops ownership tags (managed-by, source, environment).",
            validate=rules.validate_managed_tags,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        ResourceValidationPolicy(
            name="connectorops-sharing-requests",
            description="connector.yaml sharing requests are allowed by policies/sharing.yaml.",
            validate=rules.validate_sharing_requests,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        ResourceValidationPolicy(
            name="connectorops-role-assignments",
            description="Every role assignment on a customApi is a grant policies/sharing.yaml allows.",
            validate=rules.validate_role_assignment,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        ResourceValidationPolicy(
            name="connectorops-certification-mandatory",
            description="Certification rules that policies/certification.yaml makes mandatory.",
            validate=rules.certification_validator("mandatory"),
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        ResourceValidationPolicy(
            name="connectorops-certification-advisory",
            description="Certification rules that policies/certification.yaml makes advisory.",
            validate=rules.certification_validator("advisory"),
            enforcement_level=EnforcementLevel.ADVISORY,
        ),
    ]


def repository_rules(repo_root: Path, environment: EnvironmentSource) -> RepositoryRules:
    """Rules over the working tree at `repo_root` (where `pulumi preview` runs the pack)."""

    def load() -> PackInputs:
        from connectorops.spec.loader import load_repository
        from connectorops.spec.source import FileSystemTree

        inputs = load_pack_inputs(load_repository(FileSystemTree(repo_root)))
        errors = [p for p in inputs.problems if p.severity == Severity.ERROR]
        if errors:
            # A broken policy file must not silently allow everything.
            raise RuntimeError("connectorops policy files are invalid:\n" + "\n".join(str(p) for p in errors))
        return inputs

    return RepositoryRules(load, environment)
