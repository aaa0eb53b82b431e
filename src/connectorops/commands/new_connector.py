"""`connectorops new connector NAME --from FILE|DIR|URL`: add one connector folder that validates at once.

FILE is an OpenAPI 2.0 document (JSON or YAML) or a Postman v2.x collection, DIR a paconn
folder, URL an https address (fetched with the SSRF checks of `definition.url`, pinned by
sha256). connector.yaml is filled from the definition; if the result does not validate, the
new folder is removed again and every problem is shown.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from connectorops.commands.certify import certify_repository
from connectorops.commands.context import EXIT_OK, CliContext
from connectorops.commands.validate import validate_repository
from connectorops.definitions.carry import CANNOT_CARRY, CUSTOM_CODE, PARAMETER_SETS, PROPERTY_KEYS
from connectorops.definitions.documents import check_size, parse_document, parse_json
from connectorops.definitions.fetch import FetchOptions, fetch_and_pin, redact
from connectorops.definitions.paconn import load_paconn_folder
from connectorops.definitions.postman import convert_collection
from connectorops.definitions.resolve import environment_cache_dir
from connectorops.errors import ConnectoropsError, DefinitionError, Problem, Severity, SpecError, ValidationFailed
from connectorops.scaffold.connector_yaml import DefinitionSource, connector_yaml
from connectorops.spec.loader import CONFIG_FILE, CONNECTORS_DIR, load_repository, select_environment
from connectorops.spec.models import ARM_NAME_PATTERN, STRIP_ITEMS
from connectorops.spec.source import FileSystemTree

PACONN_FOLDER = "paconn"


@dataclass(frozen=True)
class NewConnector:
    """What goes into the folder: files (relative to it) and the connector.yaml fields."""

    files: dict[str, bytes]
    source: DefinitionSource
    swagger: dict[str, Any]
    auth_from_definition: bool = True


def run(
    ctx: CliContext,
    *,
    name: str,
    source: str,
    service_url: str | None,
    strip: list[str] | None = None,
    parameter_set: str | None = None,
    fetch_options: FetchOptions | None = None,
) -> int:
    folder = create_connector(
        ctx.repo,
        name,
        source,
        service_url=service_url,
        strip=strip or [],
        parameter_set=parameter_set,
        fetch_options=fetch_options,
    )
    relative = folder.relative_to(ctx.repo).as_posix()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        ctx.err_console.print(f"wrote {path.relative_to(ctx.repo).as_posix()}", markup=False, highlight=False)
    _warn_blocking_findings(ctx, name)
    ctx.err_console.print(
        f"\n{name} validates. Edit {relative}/connector.yaml (sharing, icon, auth), then:\n"
        "  connectorops validate\n  connectorops plan\n  connectorops apply --yes",
        markup=False,
        highlight=False,
    )
    return EXIT_OK


def _warn_blocking_findings(ctx: CliContext, name: str) -> None:
    """Valid is not yet plannable: mandatory certification findings of the default environment block `plan`."""
    environment, _ = select_environment(load_repository(FileSystemTree(ctx.repo)), ctx.environment)
    report = certify_repository(ctx.repo, environment, [name])
    blocking = [f for c in report.connectors for f in c.findings if f.blocking]
    if not blocking:
        return
    ctx.err_console.print(
        f"\nnote: {len(blocking)} mandatory certification finding(s) will block `plan` in environment {environment} "
        "until fixed in the definition (or made advisory in policies/certification.yaml):",
        markup=False,
        highlight=False,
    )
    for finding in blocking:
        ctx.err_console.print(f"  {finding.to_problem()}", markup=False, highlight=False)


def create_connector(
    repo: Path,
    name: str,
    source: str,
    *,
    service_url: str | None = None,
    strip: Sequence[str] = (),
    parameter_set: str | None = None,
    fetch_options: FetchOptions | None = None,
) -> Path:
    """Write connectors/<name>/ from `source`; returns the folder. Raises ConnectoropsError, writing nothing."""
    if not (repo / CONFIG_FILE).is_file():
        raise SpecError(
            f"no {CONFIG_FILE} in {repo}", hint="run `connectorops init` first, or pass --repo with the repository root"
        )
    if not re.fullmatch(ARM_NAME_PATTERN, name):
        raise SpecError(
            f"connector name {name!r} is not a valid ARM resource name",
            hint="1-80 letters, digits, '-', '_' or '.', starting with a letter or digit, e.g. orders",
        )
    unknown = [item for item in strip if item not in STRIP_ITEMS]
    if unknown:
        raise SpecError(f"--strip {unknown[0]}: not a strip item", hint=f"one of: {', '.join(STRIP_ITEMS)}")
    folder = repo / CONNECTORS_DIR / name
    if folder.exists() or folder.is_symlink():
        raise SpecError(f"{CONNECTORS_DIR}/{name} already exists", hint="choose another NAME; nothing was overwritten")
    new = _read_source(repo, source, service_url, fetch_options)
    text = connector_yaml(
        name,
        new.swagger,
        new.source,
        origin=redact(source) if "://" in source else Path(source).name,
        service_url=service_url,
        auth_from_definition=new.auth_from_definition,
        strip=list(dict.fromkeys(strip)),
        parameter_set=parameter_set,
    )
    _write(folder, {**new.files, "connector.yaml": text.encode("utf-8")})
    try:
        _check_validates(repo, f"{CONNECTORS_DIR}/{name}/connector.yaml")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # our own new folder: nothing of the user's is lost
        raise
    return folder


def _read_source(repo: Path, source: str, service_url: str | None, options: FetchOptions | None) -> NewConnector:
    if "://" in source:
        return _from_url(repo, source, options)
    path = Path(source).expanduser()
    if path.is_dir():
        return _from_paconn(path)
    if not path.is_file():
        raise SpecError(
            f"--from {source}: no such file or folder",
            hint="pass an OpenAPI 2.0 file, a Postman collection, a paconn folder or an https URL",
        )
    data = path.read_bytes()
    check_size(len(data), str(path))
    # JSON files are read leniently (comments, trailing commas), as paconn and Postman exports need.
    is_json = path.suffix.lower() == ".json"
    document = parse_json(data, str(path), lenient=True)[0] if is_json else parse_document(data, str(path))[0]
    if _is_postman(document):
        swagger, _ = convert_collection(document, file=str(path), default_base_url=service_url)
        return NewConnector({"collection.json": data}, DefinitionSource("postman", "collection.json"), swagger)
    _check_openapi2(document, str(path))
    target = "openapi.json" if path.suffix.lower() == ".json" else "openapi.yaml"
    return NewConnector({target: data}, DefinitionSource("openapi", target), document)


def _from_url(repo: Path, url: str, options: FetchOptions | None) -> NewConnector:
    if not url.startswith("https://"):
        raise SpecError(
            f"--from {redact(url)}: only https:// URLs are fetched",
            hint="download the file and pass its path, or use the https address",
        )
    repository = load_repository(FileSystemTree(repo))
    _, environment = select_environment(repository, None)
    cache_dir = environment_cache_dir(repo, environment)
    data, digest = fetch_and_pin(url, cache_dir=cache_dir, options=options, field="--from")
    shown = redact(url)
    document = parse_json(data, shown)[0] if data.lstrip()[:1] in (b"{", b"[") else parse_document(data, shown)[0]
    _check_openapi2(document, shown)
    return NewConnector({}, DefinitionSource("url", url, sha256=digest), document)


def _from_paconn(path: Path) -> NewConnector:
    files: dict[str, bytes] = {}
    for entry in sorted(path.iterdir()):
        if entry.is_file() and not entry.is_symlink():
            check_size(entry.stat().st_size, str(entry))
            files[f"{PACONN_FOLDER}/{entry.name}"] = entry.read_bytes()
    loaded = load_paconn_folder(FileSystemTree(path), ".")
    has_parameters = bool(loaded.connection_parameters) or loaded.connection_parameter_sets is not None
    return NewConnector(
        files, DefinitionSource("paconn", PACONN_FOLDER), loaded.swagger, auth_from_definition=not has_parameters
    )


def _is_postman(document: Any) -> bool:
    if not isinstance(document, dict) or "swagger" in document:
        return False
    info = document.get("info")
    schema = str(info.get("schema", "")) if isinstance(info, dict) else ""
    return "postman" in schema or ("item" in document and isinstance(info, dict))


def _check_openapi2(document: Any, file: str) -> None:
    if isinstance(document, dict) and str(document.get("swagger")) == "2.0":
        return
    version = document.get("openapi") if isinstance(document, dict) else None
    detail = f"OpenAPI {version}" if version else "neither OpenAPI 2.0 nor a Postman collection"
    raise DefinitionError(
        f"{file} is {detail}",
        file=file,
        hint='custom connectors take OpenAPI 2.0 (swagger: "2.0") or a Postman v2.x collection; '
        "convert OpenAPI 3 documents to 2.0 first",
    )


def _write(folder: Path, files: dict[str, bytes]) -> None:
    try:
        for relative, data in files.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("xb") as handle:
                handle.write(data)
    except OSError as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise ConnectoropsError(f"cannot write {folder}: {error.strerror or error}") from None


def _check_validates(repo: Path, connector_file: str) -> None:
    report = validate_repository(FileSystemTree(repo), repo, None)
    check = next((c for c in report.connectors if c.path == connector_file), None)
    problems = check.problems if check is not None else []
    errors = [p for p in problems if p.severity == Severity.ERROR]
    if errors:
        raise ValidationFailed(
            [_for_new_connector(p) for p in errors],
            summary=f"the new {connector_file} does not validate; nothing was written",
        )


def _for_new_connector(problem: Problem) -> Problem:
    """Hints in terms of this command's flags where one fixes the problem."""
    if problem.field == "spec.backend.serviceUrl":
        return replace(problem, hint="pass --service-url https://... (written as spec.backend.serviceUrl)")
    if problem.code == CANNOT_CARRY and problem.field and problem.field.endswith("connectionParameterSet"):
        return replace(problem, hint=f"pass --connection-parameter-set NAME ({problem.hint})")
    if problem.code == CANNOT_CARRY:
        items = [item for item, key in PROPERTY_KEYS.items() if problem.field == f"/properties/{key}"]
        item = items[0] if items else CUSTOM_CODE  # a script.csx is named by its file, not a key
        flags = f"--strip {item}" + (" --connection-parameter-set NAME" if item == PARAMETER_SETS else "")
        return replace(
            problem,
            hint=f"deploy it to a Power Platform environment (target: powerplatform), or pass {flags} "
            "(written as spec.strip)",
        )
    return problem
