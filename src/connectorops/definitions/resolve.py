"""Entry point: a connector's definition source + environment -> the exact OpenAPI 2.0 document to deploy.

Loads the source (openapi file, pinned url, Postman collection or paconn folder), inlines
file $refs, validates, then applies the backend URL and `auth:` for the environment.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectorops.definitions.auth import apply_auth
from connectorops.definitions.backend import apply_service_url
from connectorops.definitions.carry import Carries, fit_for_target
from connectorops.definitions.documents import check_size, parse_document, parse_json, parse_yaml
from connectorops.definitions.model import ResolvedConnector, ResolvedDefinition, SourceKind
from connectorops.definitions.openapi import validate_openapi
from connectorops.definitions.paconn import PaconnFolder, load_paconn_folder
from connectorops.definitions.paconn_checks import paconn_reference_problems
from connectorops.definitions.refs import bundle_refs
from connectorops.definitions.verdict_cache import DEFAULT_STATE_DIR, VerdictCache, verdict_cache_at, verdict_key
from connectorops.errors import ConnectoropsError, DefinitionError, Problem, Severity, ValidationFailed
from connectorops.spec.models import Environment, LocalEnvironment
from connectorops.spec.repository import ConnectorInEnvironment, LoadedConnector
from connectorops.spec.source import SourceTree, normalize_relative

if TYPE_CHECKING:  # url fetching and Postman conversion are imported by the connectors that use them
    from connectorops.definitions.fetch import FetchOptions

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEFAULT_ICON = "icon.png"


@dataclass
class _Loaded:
    kind: SourceKind
    swagger: Any
    file: str
    source_files: list[str]
    warnings: list[Problem] = field(default_factory=list)
    paconn: PaconnFolder | None = None


def resolve_connector(
    view: ConnectorInEnvironment,
    tree: SourceTree,
    *,
    target: tuple[str, Carries] | None = None,
    cache_dir: Path | None = None,
    allow_private_urls: bool = False,
    fetch_options: FetchOptions | None = None,
) -> ResolvedConnector:
    """The connector resolved once for its environment: its merged spec, its definition, and what `target` (the
    environment's `target:` and what that target carries; None: no target) gets of it. Raises like
    `resolve_definition`."""
    definition = _resolve(view, tree, cache_dir, allow_private_urls, fetch_options)
    return fitted_connector(view, definition, target)


def fitted_connector(
    view: ConnectorInEnvironment, definition: ResolvedDefinition, target: tuple[str, Carries] | None
) -> ResolvedConnector:
    """`definition` (resolved now or remembered) with what `target` gets of it."""
    fitted, carried = fit_for_target(view, definition, *target) if target is not None else (definition, [])
    return ResolvedConnector(
        connector=view.connector,
        environment=view.environment,
        spec=view.spec,
        definition=definition,
        fitted=fitted,
        carried=tuple(carried),
    )


def resolve_definition(
    connector: LoadedConnector,
    tree: SourceTree,
    environment: str,
    *,
    cache_dir: Path | None = None,
    allow_private_urls: bool = False,
    fetch_options: FetchOptions | None = None,
) -> ResolvedDefinition:
    """The validated, normalized definition for `environment`; raises ValidationFailed or DefinitionError.

    `fetch_options` (tests, corporate CAs) replaces the URL-fetch defaults; `allow_private_urls`
    lifts only the private-address check for `url:` sources.
    """
    view = ConnectorInEnvironment.of(connector, environment)
    return _resolve(view, tree, cache_dir, allow_private_urls, fetch_options)


def _resolve(
    view: ConnectorInEnvironment,
    tree: SourceTree,
    cache_dir: Path | None,
    allow_private_urls: bool,
    fetch_options: FetchOptions | None,
) -> ResolvedDefinition:
    connector, spec = view.connector, view.spec
    cache_dir = cache_dir or default_cache_dir(tree)
    loaded = _load_source(view, tree, cache_dir, fetch_options, allow_private_urls)
    problems = list(loaded.warnings)
    if not isinstance(loaded.swagger, dict):
        raise DefinitionError("the definition must be a mapping (an OpenAPI 2.0 document)", file=loaded.file, field="/")
    verdicts = verdict_cache_at(cache_dir)
    read = _reader(tree, verdicts)
    swagger = bundle_refs(loaded.swagger, file=loaded.file, folder=_ref_folder(connector, loaded), read=read)
    problems.extend(cached_validate_openapi(swagger, loaded.file, verdicts))
    problems.extend(_paconn_problems(swagger, loaded.paconn))
    if any(p.severity == Severity.ERROR for p in problems):
        raise ValidationFailed(problems, summary=f"definition of {connector.name} is invalid")

    swagger = _apply_backend(swagger, view, problems)
    existing = loaded.paconn.connection_parameters if loaded.paconn else None
    if spec.auth is None and existing is None and _declares_oauth(swagger):
        problems.append(_missing_oauth_settings(connector))
    applied = apply_auth(
        swagger, spec.auth, existing_parameters=existing, connector_file=connector.path, definition_file=loaded.file
    )
    problems.extend(applied.warnings)
    icon_png, icon_file = _icon(connector, tree, spec.icon, loaded.paconn)
    source_files = [*loaded.source_files, *([icon_file] if icon_file else [])]
    paconn = loaded.paconn
    return ResolvedDefinition(
        source_kind=loaded.kind,
        swagger=_normalized(applied.swagger),
        connection_parameters=_normalized(applied.connection_parameters),
        capabilities=list(paconn.capabilities) if paconn else [],
        policy_template_instances=_normalized(paconn.policy_template_instances) if paconn else [],
        connection_parameter_sets=_normalized(paconn.connection_parameter_sets)
        if paconn and paconn.connection_parameter_sets is not None
        else None,
        custom_code=paconn.custom_code if paconn else None,
        properties_file=paconn.properties_file if paconn else None,
        property_lines=dict(paconn.property_lines) if paconn else {},
        icon_brand_color=paconn.icon_brand_color if paconn else None,
        icon_png=icon_png,
        source_files=tuple(dict.fromkeys(source_files)),
        warnings=tuple(problems),
        secret_refs=dict(applied.secret_refs),
    )


def parsed_document(data: bytes, path: str, cache: VerdictCache | None) -> tuple[Any, list[Problem]]:
    """parse_document; a YAML file's value comes from the cache when these exact bytes were parsed before.

    Stored as JSON, which is exact: parse_yaml returns JSON-compatible values only. JSON files are
    parsed directly (the C parser is as fast as reading a cache entry). A bad file is never cached.
    """
    if cache is None or path.lower().endswith(".json"):
        return parse_document(data, path)
    key = verdict_key("yaml-document", data, path)
    cached = cache.get(key) if key is not None else None
    if cached is not None:
        return cached, []
    value, warnings = parse_document(data, path)
    if key is not None and not warnings:
        cache.put(key, value)
    return value, warnings


def cached_validate_openapi(swagger: dict[str, Any], file: str, cache: VerdictCache | None) -> list[Problem]:
    """validate_openapi, answered from the verdict cache when this exact document was judged before."""
    key = verdict_key("openapi", swagger, file) if cache is not None else None
    if cache is None or key is None:
        return validate_openapi(swagger, file)
    cached = cache.get(key)
    if isinstance(cached, list):
        try:
            return [Problem.from_dict(p) for p in cached]
        except (TypeError, ValueError, KeyError, AttributeError):
            pass  # a corrupt entry: judge again
    problems = validate_openapi(swagger, file)
    cache.put(key, [p.to_dict() for p in problems])
    return problems


def _paconn_problems(swagger: dict[str, Any], paconn: PaconnFolder | None) -> list[Problem]:
    """Template ids and the operationIds templates and scriptOperations name, against the bundled definition."""
    if paconn is None or paconn.properties_file is None:
        return []
    code = paconn.custom_code
    return paconn_reference_problems(
        swagger,
        templates=paconn.policy_template_instances,
        script_operations=code.operations if code is not None else None,
        properties_file=paconn.properties_file,
        properties_data=paconn.properties_data,
    )


def _apply_backend(swagger: dict[str, Any], view: ConnectorInEnvironment, problems: list[Problem]) -> dict[str, Any]:
    connector, backend = view.connector, view.spec.backend
    if backend is not None:
        field_name = _backend_field(connector, view.environment)
        return apply_service_url(swagger, backend.serviceUrl, file=connector.path, field=field_name)
    if not swagger.get("host"):
        missing = Problem(
            "the definition has no host and connector.yaml sets no backend.serviceUrl",
            file=connector.path,
            field="spec.backend.serviceUrl",
            hint="set spec.backend.serviceUrl to the API's base URL",
        )
        raise ValidationFailed([*problems, missing], summary=f"definition of {connector.name} is invalid")
    return swagger


def _missing_oauth_settings(connector: LoadedConnector) -> Problem:
    return Problem(
        "the definition declares OAuth 2.0 but connector.yaml has no auth: connections cannot sign in",
        severity=Severity.WARNING,
        file=connector.path,
        field="spec.auth",
        hint="add auth: {type: oauth2, identityProvider: ..., clientId: ...}",
    )


def environment_cache_dir(repo_root: Path, environment: Environment | None) -> Path:
    """Where fetched definitions are cached: under a local environment's stateDir, else .connectorops/."""
    state = environment.stateDir if isinstance(environment, LocalEnvironment) else DEFAULT_STATE_DIR
    return repo_root / state / "cache"


def default_cache_dir(tree: SourceTree) -> Path:
    """<repo>/.connectorops/cache for a working tree or a git revision of a local repository."""
    root = getattr(tree, "root", None)
    if root is None:
        commit = getattr(tree, "commit", None)
        working = getattr(getattr(commit, "repo", None), "working_tree_dir", None)
        root = Path(working) if working else Path.cwd()
    return Path(root) / DEFAULT_STATE_DIR / "cache"


def definition_json(swagger: dict[str, Any]) -> str:
    """The bytes `connectorops definition` prints: sorted keys, 2-space indent."""
    return json.dumps(swagger, sort_keys=True, indent=2, ensure_ascii=False)


def _load_source(
    view: ConnectorInEnvironment,
    tree: SourceTree,
    cache_dir: Path,
    fetch_options: FetchOptions | None,
    allow_private_urls: bool,
) -> _Loaded:
    connector = view.connector
    definition = connector.document.spec.definition
    kind = definition.kind
    if kind == "url":
        from connectorops.definitions.fetch import FetchOptions, fetch_pinned, redact

        assert definition.url is not None and definition.sha256 is not None
        options = fetch_options or FetchOptions(allow_private_urls=allow_private_urls)
        data = fetch_pinned(
            definition.url,
            definition.sha256,
            cache_dir=cache_dir,
            options=options,
            field="spec.definition.url",
            file=connector.path,
        )
        shown = redact(definition.url)
        swagger = parse_json(data, shown)[0] if data.lstrip()[:1] in (b"{", b"[") else parse_yaml(data, shown)
        return _Loaded(kind="url", swagger=swagger, file=shown, source_files=[connector.path])
    if kind == "paconn":
        folder = _inside_folder(connector, definition.paconn or "", "spec.definition.paconn")
        with blamed_on(connector.path, "spec.definition.paconn"):
            paconn = load_paconn_folder(tree, folder)
        return _Loaded(
            kind="paconn",
            swagger=paconn.swagger,
            file=paconn.swagger_file,
            source_files=list(paconn.source_files),
            warnings=list(paconn.warnings),
            paconn=paconn,
        )
    field_name = f"spec.definition.{kind}"
    path = _inside_folder(connector, getattr(definition, kind) or "", field_name)
    if tree.is_dir(path):
        raise DefinitionError(f"{path} is a folder, not a file", file=connector.path, field=field_name)
    with blamed_on(connector.path, field_name, path):
        check_size(tree.size(path), path)  # size: SpecError for symlinks that leave the repository or loop
        data = tree.read_bytes(path)
    if kind == "postman":
        from connectorops.definitions.postman import convert_collection

        collection, warnings = parse_json(data, path, lenient=True)
        backend = view.spec.backend
        swagger, conversion_warnings = convert_collection(
            collection,
            file=path,
            variables=definition.variables,
            default_base_url=backend.serviceUrl if backend else None,
        )
        warnings.extend(conversion_warnings)
        return _Loaded(kind="postman", swagger=swagger, file=path, source_files=[path], warnings=warnings)
    swagger, warnings = parsed_document(data, path, verdict_cache_at(cache_dir))
    return _Loaded(kind="openapi", swagger=swagger, file=path, source_files=[path], warnings=warnings)


def _inside_folder(connector: LoadedConnector, relative: str, field_name: str) -> str:
    """The repo-relative path of a file named in connector.yaml; it must stay in the connector folder."""
    path = normalize_relative(relative, base=connector.folder, field=field_name, file=connector.path)
    if path != connector.folder and not path.startswith(connector.folder.rstrip("/") + "/"):
        raise DefinitionError(
            f"{relative!r} is outside the connector folder {connector.folder}",
            file=connector.path,
            field=field_name,
            code="PathEscape",
            hint="keep definition files inside the connector folder",
        )
    return path


@contextmanager
def blamed_on(file: str, field_name: str, path: str | None = None) -> Iterator[None]:
    """Errors about a whole file (unreadable, too big, a FIFO) also name the connector.yaml field that chose it.

    An error that already has a line or field inside its own file is more precise and passes unchanged.
    """
    try:
        yield
    except ValidationFailed:
        raise
    except FileNotFoundError:
        shown = path or "a file it names"
        raise DefinitionError(f"{shown} does not exist", file=file, field=field_name, code="MissingFile") from None
    except OSError as error:
        shown = path or "a file it names"
        if error.errno in (errno.ENAMETOOLONG, errno.ENOTDIR):  # no such file can exist there
            message, code = f"{shown} does not exist ({error.strerror})", "MissingFile"
        else:
            message, code = f"cannot read {shown}: {error.strerror or error}", "UnreadableFile"
        raise DefinitionError(message, file=file, field=field_name, code=code) from None
    except ConnectoropsError as error:
        problem = error.problem
        if problem.line is not None or problem.field is not None:
            raise
        shown = problem.message
        if problem.file and problem.file not in shown:
            shown = f"{problem.file}: {shown}"
        raise DefinitionError(shown, file=file, field=field_name, hint=problem.hint, code=problem.code) from None


def _ref_folder(connector: LoadedConnector, loaded: _Loaded) -> str:
    # A fetched document has no folder: any file $ref in it is refused as outside the folder.
    return connector.folder if loaded.kind != "url" else "\x00no-folder"


def _reader(tree: SourceTree, cache: VerdictCache | None) -> Any:
    def read(path: str) -> Any:
        try:
            size = tree.size(path)  # SpecError for a symlink loop or a link leaving the repository
        except OSError:
            raise DefinitionError(f"$ref target {path} does not exist", file=path, code="BadRef") from None
        check_size(size, path)
        return parsed_document(tree.read_bytes(path), path, cache)[0]

    return read


def _icon(
    connector: LoadedConnector, tree: SourceTree, icon: str | None, paconn: PaconnFolder | None
) -> tuple[bytes | None, str | None]:
    if icon and icon.startswith("https://"):
        return None, None  # render passes icon URLs through
    if icon:
        path = _inside_folder(connector, icon, "spec.icon")
    elif paconn and paconn.icon_png is not None:
        return paconn.icon_png, None
    else:
        path = f"{connector.folder}/{DEFAULT_ICON}"
        if not tree.exists(path):
            return None, None
    if not tree.exists(path):
        raise DefinitionError(f"icon {path} does not exist", file=connector.path, field="spec.icon")
    with blamed_on(connector.path, "spec.icon", path):
        check_size(tree.size(path), path)
        data = tree.read_bytes(path)
    if not data.startswith(PNG_SIGNATURE):
        raise DefinitionError(f"icon {path} is not a PNG file", file=connector.path, field="spec.icon")
    return data, path


def _declares_oauth(swagger: dict[str, Any]) -> bool:
    definitions = swagger.get("securityDefinitions") or {}
    return isinstance(definitions, dict) and any(
        isinstance(v, dict) and v.get("type") == "oauth2" for v in definitions.values()
    )


def _backend_field(connector: LoadedConnector, environment: str | None) -> str:
    override = connector.document.spec.environments.get(environment) if environment else None
    if override is not None and override.backend is not None:
        return f"spec.environments.{environment}.backend.serviceUrl"
    return "spec.backend.serviceUrl"


def _normalized(value: Any) -> Any:
    """A deep, JSON-only copy: what is deployed is exactly what `definition` prints.

    Key order is kept: the service uses the *first* securityDefinition when there are several.
    """
    return json.loads(json.dumps(value))
