"""Postman Collection v2.0 / v2.1 -> one OpenAPI 2.0 document (v1 is first turned into v2.1 by postman_v1).

Mapping: folders -> tags, request name -> summary, description -> description, `:id` and
`{{var}}` path segments -> path parameters, query/header -> parameters, raw JSON body ->
body parameter with a schema inferred from the example (types only), first saved example
-> response schema, collection/folder/request auth -> security (the kind only). No values
are copied from requests: tokens, API keys, passwords and Authorization/Cookie headers
never reach the document. `{{baseUrl}}`-style variables in hosts and path segments come from
the collection's variables, overridden by connector.yaml `definition.variables`; a host that
stays unresolved or empty takes backend.serviceUrl; path variables without a value become path
parameters.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from connectorops.definitions.postman_v1 import v1_to_v2
from connectorops.errors import DefinitionError, Problem, Severity

HOST = re.compile(r"^[^{}/ :\\]+(?::\d+)?$")  # what the OpenAPI validator accepts as `host`
VARIABLE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
# Headers that carry credentials or that OpenAPI expresses elsewhere (consumes/produces).
DROPPED_HEADERS = {"authorization", "proxy-authorization", "cookie", "content-type", "accept", "content-length", "host"}
BODYLESS_METHODS = {"GET", "HEAD"}
METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH"}
# Script statements that show a pre-request script provides auth the connector will not run.
AUTH_SCRIPT = re.compile(r"authorization|bearer|access_?token|api[-_]?key|pm\.request\.headers|setHeader", re.I)
MAX_SUMMARY = 80
# Auth settings that name or locate a credential but are not one.
NON_SECRET_AUTH_KEYS = {
    "key",
    "in",
    "username",
    "algorithm",
    "signatureMethod",
    "version",
    "realm",
    "headerPrefix",
    "tokenType",
    "grant_type",
    "authUrl",
    "accessTokenUrl",
    "redirect_uri",
    "callbackUrl",
    "scope",
    "client_authentication",
    "addParamsToHeader",
    "addEmptyParamsToSign",
    "nonceCount",
    "qop",
    "useBrowser",
    "saveHelperData",
    "showPassword",
    "tokenName",
    "challengeAlgorithm",
    "state",
    "service",
    "region",
    "type",
    "disableRetryRequest",
}
CREDENTIAL_HEADERS = {
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "api-key",
    "apikey",
    "x-auth-token",
}
SECRET_NAME = re.compile(r"token|secret|password|passwd|api[-_]?key|credential|authorization", re.I)
MIN_SECRET_LENGTH = 4


@dataclass
class _Request:
    name: str
    method: str
    scheme: str
    netloc: str
    base_path: str
    segments: list[str]
    query: list[dict[str, Any]]
    headers: list[dict[str, Any]]
    body: Any
    description: str
    folders: tuple[str, ...]
    auth: str | None  # kind: "basic", "apikey:header:X-Key", "bearer", "oauth2", "none", or unsupported name
    example: dict[str, Any] | None


@dataclass
class _Conversion:
    file: str
    variables: dict[str, str]
    default_base_url: str | None = None
    problems: list[Problem] = field(default_factory=list)
    auth_details: dict[str, dict[str, Any]] = field(default_factory=dict)

    def warn(self, message: str, hint: str | None = None, code: str = "PostmanConversion") -> None:
        self.problems.append(Problem(message, severity=Severity.WARNING, file=self.file, hint=hint, code=code))


def convert_collection(
    collection: Any,
    *,
    file: str,
    variables: Mapping[str, str] | None = None,
    default_base_url: str | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """The OpenAPI 2.0 document for a Postman v2.x collection plus WARNING problems; raises DefinitionError.

    `default_base_url` (the connector's backend.serviceUrl) stands in for a host that is one
    variable without a value, e.g. an empty `{{baseUrl}}` in a shared collection.
    """
    v1_secrets: set[str] = set()
    if is_postman_v1(collection):
        collection, v1_secrets = v1_to_v2(collection)
    _check_version(collection, file)
    state = _Conversion(
        file=file,
        variables={**_collection_variables(collection), **dict(variables or {})},
        default_base_url=default_base_url,
    )
    _warn_auth_scripts(collection, state, where="the collection")
    root_auth = _auth_kind(collection.get("auth"), state, inherited=None)
    requests = list(_walk(collection.get("item") or [], (), root_auth, state))
    if not requests:
        raise DefinitionError(
            "the collection has no requests",
            file=file,
            field="item",
            hint="add at least one request, then export it again",
        )
    info = collection.get("info") or {}
    document = _document(info, requests, root_auth, state)
    return redact_secrets(document, secret_values(collection) | v1_secrets), state.problems


def secret_values(collection: Any) -> set[str]:
    """Every literal credential in the collection: auth settings, credential headers, secret-looking variables.

    Collections often repeat them in prose ("send `Authorization: Basic ...`"), so the
    converter scrubs them from every string it writes, not only from headers.
    """
    found: set[str] = set()
    stack: list[Any] = [collection]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        auth = node.get("auth")
        if isinstance(auth, dict):
            for kind, settings in auth.items():
                if kind == "type":
                    continue
                for name, secret in _auth_settings(settings).items():
                    if name not in NON_SECRET_AUTH_KEYS and isinstance(secret, str):
                        found.add(secret)
        headers = node.get("header")
        for header in headers if isinstance(headers, list) else []:
            if isinstance(header, dict) and str(header.get("key", "")).lower() in CREDENTIAL_HEADERS:
                value = str(header.get("value") or "")
                found.add(value)
                found.add(value.split(" ", 1)[-1])
        key = node.get("key")
        if isinstance(key, str) and SECRET_NAME.search(key) and isinstance(node.get("value"), str):
            found.add(node["value"])
        stack.extend(v for k, v in node.items() if k != "auth")
    return {v.strip() for v in found if len(v.strip()) >= MIN_SECRET_LENGTH and not VARIABLE.fullmatch(v.strip())}


def redact_secrets(value: Any, secrets: set[str]) -> Any:
    """`value` with every occurrence of a secret in a string replaced by [redacted]."""
    if not secrets:
        return value
    ordered = sorted(secrets, key=len, reverse=True)  # longest first: a secret may contain another
    pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def scrub(node: Any) -> Any:
        if isinstance(node, str):
            return pattern.sub("[redacted]", node)
        if isinstance(node, list):
            return [scrub(v) for v in node]
        if isinstance(node, dict):
            return {k: scrub(v) for k, v in node.items()}
        return node

    return scrub(value)


def is_postman_v1(collection: Any) -> bool:
    return isinstance(collection, dict) and "requests" in collection and "info" not in collection


def _check_version(collection: Any, file: str) -> None:
    if not isinstance(collection, dict) or not isinstance(collection.get("info"), dict):
        raise DefinitionError(
            "not a Postman collection (no info)",
            file=file,
            field="info",
            hint="export the collection as v2.1 from Postman",
        )
    schema = str(collection["info"].get("schema", ""))
    if schema and not re.search(r"/v2\.[01]\.\d+/", schema):
        raise DefinitionError(
            f"unsupported Postman collection schema {schema!r}",
            file=file,
            field="info.schema",
            hint="export as Collection v2.1 from Postman",
        )
    if not isinstance(collection.get("item"), list):
        raise DefinitionError("the collection has no item list", file=file, field="item")


def _collection_variables(collection: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key in ("variable", "variables"):
        entries = collection.get(key)
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict) and isinstance(entry.get("key"), str) and not entry.get("disabled"):
                    value = entry.get("value")
                    found[entry["key"]] = "" if value is None else str(value)
    return found


def _walk(
    items: list[Any], folders: tuple[str, ...], inherited_auth: str | None, state: _Conversion, where: str = "item"
) -> Iterator[_Request]:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        name = str(item.get("name") or "").strip()
        if isinstance(item.get("item"), list):
            folder = name or "Untitled folder"
            _warn_auth_scripts(item, state, where=f"folder {folder!r}")
            folder_auth = _auth_kind(item.get("auth"), state, inherited=inherited_auth)
            yield from _walk(item["item"], (*folders, folder), folder_auth, state, f"{where}[{index}].item")
            continue
        request = item.get("request")
        if request is None:
            continue
        _warn_auth_scripts(item, state, where=f"request {name!r}")
        converted = _request(name, item, request, folders, inherited_auth, state, f"{where}[{index}].request")
        if converted is not None:
            yield converted


def _request(
    name: str,
    item: dict[str, Any],
    request: Any,
    folders: tuple[str, ...],
    inherited_auth: str | None,
    state: _Conversion,
    where: str,
) -> _Request | None:
    if isinstance(request, str):
        request = {"url": request, "method": "GET"}
    if not isinstance(request, dict):
        return None
    method = str(request.get("method") or "GET").upper()
    if method not in METHODS:
        state.warn(f"request {name!r}: method {method} cannot be expressed in OpenAPI 2.0; skipped")
        return None
    location = _url_parts(request.get("url"), name, state, f"{where}.url")
    if location is None:
        return None
    scheme, netloc, base_path, segments, query = location
    auth = _auth_kind(request.get("auth"), state, inherited=inherited_auth)
    responses = item.get("response")
    example = responses[0] if isinstance(responses, list) and responses and isinstance(responses[0], dict) else None
    return _Request(
        name=name,
        method=method,
        scheme=scheme,
        netloc=netloc,
        base_path=base_path,
        segments=segments,
        query=query,
        headers=[h for h in (request.get("header") or []) if isinstance(h, dict)]
        if isinstance(request.get("header"), list)
        else [],
        body=request.get("body"),
        description=_text(request.get("description")) or _text(item.get("description")),
        folders=folders,
        auth=auth,
        example=example,
    )


def _url_parts(
    url: Any, name: str, state: _Conversion, field: str
) -> tuple[str, str, str, list[str], list[dict[str, Any]]] | None:
    """(scheme, netloc, base path from host variables, path segments, query entries)."""
    if isinstance(url, dict):
        raw = str(url.get("raw") or "")
        host_value = url.get("host")
        host = ".".join(str(h) for h in host_value) if isinstance(host_value, list) else str(host_value or "")
        protocol = str(url.get("protocol") or "")
        port = str(url.get("port") or "")
        path_value = url.get("path")
        if isinstance(path_value, list):
            segments = [str(p.get("value", "")) if isinstance(p, dict) else str(p) for p in path_value]
        elif isinstance(path_value, str):
            segments = path_value.split("/")
        else:
            segments = _split_raw(raw)[1]
        if not host:
            host = _split_raw(raw)[0]
        elif port:
            host = f"{host}:{port}"
        if protocol and "://" not in host:
            host = f"{protocol}://{host}"
        query = [q for q in (url.get("query") or []) if isinstance(q, dict)]
    elif isinstance(url, str):
        host, segments, query = _split_raw(url)
    else:
        state.warn(f"request {name!r} has no URL; skipped")
        return None
    resolved = _substitute(host, state).strip()
    if state.default_base_url and (not resolved or VARIABLE.search(resolved)):
        resolved = state.default_base_url  # what the hint promises: serviceUrl stands in for the host
    if VARIABLE.search(resolved):
        missing = ", ".join(repr(v) for v in sorted(set(VARIABLE.findall(resolved))))
        raise DefinitionError(
            f"request {name!r}: the host uses the variable(s) {missing}, which have no value here",
            file=state.file,
            field=field,
            hint="give them values under definition.variables in connector.yaml (Postman environments are not "
            "part of the collection), or set backend.serviceUrl to the API's base URL",
            code="PostmanHostVariable",
        )
    if not resolved:
        raise DefinitionError(
            f"request {name!r} has no host in its URL",
            file=state.file,
            field=field,
            hint="write the full URL (https://host/path) in Postman and export again, or set backend.serviceUrl "
            "in connector.yaml to the API's base URL",
            code="PostmanNoHost",
        )
    if "://" not in resolved:
        resolved = "https://" + resolved
    parts = urlsplit(resolved)
    if not HOST.match(parts.netloc):
        raise DefinitionError(
            f"request {name!r}: {parts.netloc!r} is not a host name",
            file=state.file,
            hint="the host must be a name or address with an optional :port (no spaces, braces or paths); fix "
            "the URL or the variable's value, or set backend.serviceUrl",
            code="PostmanBadHost",
        )
    base_path = parts.path.rstrip("/")
    return parts.scheme or "https", parts.netloc, base_path, _resolved_segments(segments, state), query


def _resolved_segments(segments: list[str], state: _Conversion) -> list[str]:
    """Path segments with every variable that has a value filled in (a value may hold several segments);
    the rest stay {{var}} and become path parameters."""
    resolved: list[str] = []
    for segment in segments:
        # a secret-looking variable ({{apiKey}}) stays a parameter: its value must not reach the path
        filled = VARIABLE.sub(
            lambda m: m.group(0) if SECRET_NAME.search(m.group(1)) else (state.variables.get(m.group(1)) or m.group(0)),
            segment,
        )
        resolved.extend(filled.split("/"))
    return [s for s in resolved if s != ""]


def _split_raw(raw: str) -> tuple[str, list[str], list[dict[str, Any]]]:
    """Split a raw Postman URL (may hold {{vars}}, may lack a scheme) into host, path segments, query."""
    rest, _, query_text = raw.partition("?")
    rest = rest.split("#", 1)[0]
    scheme = ""
    if "://" in rest:
        scheme, _, rest = rest.partition("://")
        scheme += "://"
    host, _, path = rest.partition("/")
    query = [{"key": k, "value": v} for k, v in parse_qsl(query_text, keep_blank_values=True)]
    return scheme + host, path.split("/"), query


def _substitute(text: str, state: _Conversion) -> str:
    # An empty value is no value: shared collections ship `baseUrl: ""` for each user to fill in.
    return VARIABLE.sub(lambda m: state.variables.get(m.group(1)) or m.group(0), text)


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("content")
    return value.strip() if isinstance(value, str) else ""


# --- auth ------------------------------------------------------------------------------------


def _auth_kind(auth: Any, state: _Conversion, *, inherited: str | None) -> str | None:
    """The auth kind a request uses; only names and locations are read, never values."""
    if not isinstance(auth, dict) or not auth.get("type") or auth.get("type") == "inherit":
        return inherited
    kind = str(auth["type"]).lower()
    if kind == "noauth":
        return "none"
    if kind == "apikey":
        settings = _auth_settings(auth.get("apikey"))
        where = "query" if str(settings.get("in", "header")).lower() == "query" else "header"
        name = str(settings.get("key") or "X-API-Key")
        if VARIABLE.search(name):
            name = _substitute(name, state)
        key = f"apikey:{where}:{name}"
        state.auth_details[key] = {"type": "apiKey", "in": where, "name": name}
        return key
    if kind == "bearer":
        state.auth_details[kind] = {"type": "apiKey", "in": "header", "name": "Authorization"}
        return kind
    if kind == "basic":
        state.auth_details[kind] = {"type": "basic"}
        return kind
    if kind == "oauth2":
        settings = _auth_settings(auth.get("oauth2"))
        if _public_url(settings.get("authUrl"), "") == "" or _public_url(settings.get("accessTokenUrl"), "") == "":
            state.warn(
                "OAuth 2.0 endpoints in the collection are not literal https URLs; placeholders are used",
                hint="set auth: {type: oauth2, ...} in connector.yaml",
                code="PostmanOAuthPlaceholder",
            )
        state.auth_details[kind] = {
            "type": "oauth2",
            "flow": "accessCode",
            "authorizationUrl": _public_url(settings.get("authUrl"), "https://login.example.com/authorize"),
            "tokenUrl": _public_url(settings.get("accessTokenUrl"), "https://login.example.com/token"),
            "scopes": {},
        }
        return kind
    state.warn(
        f"Postman auth type {kind!r} has no OpenAPI 2.0 equivalent; requests using it get no security",
        hint="set auth: in connector.yaml",
        code="PostmanUnsupportedAuth",
    )
    return f"unsupported:{kind}"


def _auth_settings(value: Any) -> dict[str, Any]:
    """v2.1 stores auth settings as [{key, value}], v2.0 as a mapping."""
    if isinstance(value, list):
        return {str(e.get("key")): e.get("value") for e in value if isinstance(e, dict)}
    return dict(value) if isinstance(value, dict) else {}


def _public_url(value: Any, fallback: str) -> str:
    """Authorization/token endpoints are public URLs, but only literal https ones are copied."""
    if isinstance(value, str) and value.startswith("https://") and not VARIABLE.search(value) and "?" not in value:
        return value
    return fallback


def _security_name(kind: str) -> str:
    if kind.startswith("apikey:"):
        return "api_key" if kind.count(":") >= 2 else kind
    return {"bearer": "bearer_auth", "basic": "basic_auth", "oauth2": "oauth2_auth"}.get(kind, kind)


def _warn_auth_scripts(item: dict[str, Any], state: _Conversion, *, where: str) -> None:
    for event in item.get("event") or []:
        if not isinstance(event, dict) or event.get("listen") != "prerequest":
            continue
        script = event.get("script") or {}
        lines = script.get("exec") if isinstance(script, dict) else None
        text = "\n".join(lines) if isinstance(lines, list) else str(lines or "")
        if AUTH_SCRIPT.search(text):
            state.warn(
                f"a pre-request script in {where} sets auth; connectors do not run Postman scripts",
                hint="configure the connector's auth: in connector.yaml instead (oauth2, apiKey or basic)",
                code="PostmanScriptAuth",
            )


# --- document --------------------------------------------------------------------------------


def _document(
    info: dict[str, Any], requests: list[_Request], root_auth: str | None, state: _Conversion
) -> dict[str, Any]:
    origins = Counter((r.scheme, r.netloc, r.base_path) for r in requests)
    (scheme, netloc, base_path), _ = origins.most_common(1)[0]
    other_hosts = sorted({r.netloc for r in requests if r.netloc != netloc})
    if other_hosts:
        state.warn(
            f"requests to {', '.join(other_hosts)} are kept, but a connector has one host: {netloc}",
            hint="split the collection, or set backend.serviceUrl",
        )
    paths: dict[str, dict[str, Any]] = {}
    templates: dict[str, str] = {}  # path shape ({} for every parameter) -> first template seen
    operation_ids: set[str] = set()
    tags: dict[str, str] = {}
    used_auth: set[str] = set()
    for request in requests:
        foreign = (request.netloc, request.base_path) != (netloc, base_path)
        template, path_params = _path_template(request, include_base=foreign)
        shape = re.sub(r"\{[^/{}]*\}", "{}", template)
        if shape in templates and templates[shape] != template:
            template, path_params = templates[shape], _rename_params(templates[shape])
        templates.setdefault(shape, template)
        item = paths.setdefault(template, {})
        method = request.method.lower()
        if method in item:
            state.warn(f"request {request.name!r} repeats {request.method} {template}; the first one is kept")
            continue
        operation = _operation(request, path_params, operation_ids, state)
        if request.folders:
            tag = " / ".join(request.folders)
            operation["tags"] = [tag]
            tags.setdefault(tag, "")
        if request.auth and not request.auth.startswith("unsupported:"):
            used_auth.add(request.auth)
        if request.auth != root_auth:
            operation["security"] = _security(request.auth)
        item[method] = operation
    document: dict[str, Any] = {
        "swagger": "2.0",
        "info": {
            "title": str(info.get("name") or "Postman collection")[:128],
            "description": _text(info.get("description")) or str(info.get("name") or "Converted from Postman"),
            "version": str(info.get("version") or "1.0.0") if not isinstance(info.get("version"), dict) else "1.0.0",
        },
        "host": netloc,
        "basePath": base_path or "/",
        "schemes": [scheme],
        "consumes": [],
        "produces": ["application/json"],
        "paths": paths,
        "definitions": {},
        "parameters": {},
        "responses": {},
        "securityDefinitions": {
            _security_name(kind): state.auth_details[kind] for kind in sorted(used_auth) if kind != "none"
        },
        "security": _security(root_auth),
        "tags": [{"name": name} for name in sorted(tags)],
    }
    return document


def _security(kind: str | None) -> list[dict[str, list[str]]]:
    if kind is None or kind == "none" or kind.startswith("unsupported:"):
        return []
    return [{_security_name(kind): []}]


def _path_template(request: _Request, *, include_base: bool) -> tuple[str, list[str]]:
    # Requests outside the document's host/basePath keep their own base path in the path.
    prefix = [s for s in request.base_path.split("/") if s] if include_base else []
    parts: list[str] = []
    params: list[str] = []
    for segment in [*prefix, *request.segments]:
        if segment.startswith(":") and len(segment) > 1:
            name = _unique(_param_name(segment[1:]), params)
            params.append(name)
            parts.append("{" + name + "}")
            continue
        pieces: list[str] = []
        position = 0
        for match in VARIABLE.finditer(segment):
            pieces.append(_literal(segment[position : match.start()]))
            name = _unique(_param_name(match.group(1)), params)
            params.append(name)
            pieces.append("{" + name + "}")
            position = match.end()
        pieces.append(_literal(segment[position:]))
        text = "".join(pieces)
        if text:
            parts.append(text)
    return "/" + "/".join(parts), params


def _rename_params(template: str) -> list[str]:
    return re.findall(r"\{([^/{}]*)\}", template)


def _literal(text: str) -> str:
    return re.sub(r"[{}\s]", "", text)


def _param_name(raw: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", raw.strip()).strip("_.") or "param"
    return cleaned.replace(".", "_")


def _unique(name: str, taken: list[str] | set[str]) -> str:
    candidate, counter = name, 2
    while candidate in taken:
        candidate = f"{name}{counter}"
        counter += 1
    return candidate


def _operation(request: _Request, path_params: list[str], taken_ids: set[str], state: _Conversion) -> dict[str, Any]:
    operation_id = _unique(_operation_id(request), taken_ids)
    taken_ids.add(operation_id)
    fallback = f"{request.method} /{'/'.join(request.segments)}"
    summary = request.name[:MAX_SUMMARY].rstrip(". ") or fallback  # certification: no trailing punctuation
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "description": request.description or request.name or fallback,
        "parameters": [],
        "responses": _responses(request),
    }
    seen: set[tuple[str, str]] = set()
    parameters: list[dict[str, Any]] = operation["parameters"]
    for name in path_params:
        seen.add((name, "path"))
        # single encoding: what the certification rules ask for, and what a path segment needs
        parameters.append(
            {"name": name, "in": "path", "required": True, "type": "string", "x-ms-url-encoding": "single"}
        )
    for entry in request.query:
        _add_simple(parameters, seen, entry, "query", _apikey_names(request.auth, "query"))
    for entry in request.headers:
        _add_simple(parameters, seen, entry, "header", _apikey_names(request.auth, "header") | DROPPED_HEADERS)
    consumes = _body(request, parameters, seen, state)
    if consumes:
        operation["consumes"] = [consumes]
    return operation


def _operation_id(request: _Request) -> str:
    words = re.findall(r"[A-Za-z0-9]+", request.name)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name:
        path_words = re.findall(r"[A-Za-z0-9]+", "/".join(request.segments))
        name = request.method.title() + "".join(w.title() for w in path_words)
    if name[0].isdigit():
        name = "Op" + name
    return name[:64]


def _apikey_names(kind: str | None, where: str) -> set[str]:
    if kind and kind.startswith(f"apikey:{where}:"):
        return {kind.split(":", 2)[2].lower()}
    return set()


def _add_simple(
    parameters: list[dict[str, Any]],
    seen: set[tuple[str, str]],
    entry: dict[str, Any],
    where: str,
    dropped: set[str],
) -> None:
    name = entry.get("key")
    if not isinstance(name, str) or not name.strip() or entry.get("disabled"):
        return
    name = name.strip()
    if name.lower() in dropped or VARIABLE.search(name) or (name, where) in seen:
        return
    seen.add((name, where))
    parameter: dict[str, Any] = {"name": name, "in": where, "required": False, "type": "string"}
    description = _text(entry.get("description"))
    if description:
        parameter["description"] = description
    parameters.append(parameter)


def _body(request: _Request, parameters: list[dict[str, Any]], seen: set[tuple[str, str]], state: _Conversion) -> str:
    """Add the body or form parameters; returns the content type to consume ("" for none)."""
    body = request.body
    if not isinstance(body, dict) or request.method in BODYLESS_METHODS:
        return ""
    mode = body.get("mode")
    if mode == "raw":
        raw = body.get("raw")
        if not isinstance(raw, str) or not raw.strip():
            return ""
        language = ((body.get("options") or {}).get("raw") or {}).get("language", "")
        content_type = _header_value(request.headers, "content-type")
        schema = _json_schema_of_text(raw)
        if schema is None:
            schema = {"type": "string"}
            content_type = content_type or ("application/xml" if language == "xml" else "text/plain")
        parameters.append({"name": "body", "in": "body", "required": True, "schema": schema})
        return content_type or "application/json"
    if mode in ("formdata", "urlencoded"):
        fields = body.get(mode)
        if not isinstance(fields, list):
            return ""
        has_file = False
        for entry in fields:
            if not isinstance(entry, dict) or entry.get("disabled") or entry.get("enabled") is False:
                continue
            name = entry.get("key")
            if not isinstance(name, str) or not name.strip() or (name.strip(), "formData") in seen:
                continue
            is_file = mode == "formdata" and entry.get("type") == "file"
            has_file = has_file or is_file
            seen.add((name.strip(), "formData"))
            parameters.append(
                {"name": name.strip(), "in": "formData", "required": False, "type": "file" if is_file else "string"}
            )
        if not any(p["in"] == "formData" for p in parameters):
            return ""
        if mode == "urlencoded" and not has_file:
            return "application/x-www-form-urlencoded"
        return "multipart/form-data"
    if mode in ("file", "graphql"):
        parameters.append({"name": "body", "in": "body", "required": True, "schema": {"type": "string"}})
        return "application/octet-stream" if mode == "file" else "application/json"
    return ""


def _header_value(headers: list[dict[str, Any]], name: str) -> str:
    for header in headers:
        if str(header.get("key", "")).lower() == name and not header.get("disabled"):
            value = str(header.get("value") or "").split(";")[0].strip()
            if value and not VARIABLE.search(value):
                return value
    return ""


def _responses(request: _Request) -> dict[str, Any]:
    example = request.example
    if example is None:
        return {"default": {"description": "default"}}
    code = example.get("code")
    status = str(code) if isinstance(code, int) and 100 <= code <= 599 else "default"
    response: dict[str, Any] = {"description": str(example.get("status") or example.get("name") or "response")}
    body = example.get("body")
    if isinstance(body, str) and body.strip():
        schema = _json_schema_of_text(body)
        if schema is not None:
            response["schema"] = schema
    return {status: response}


def _json_schema_of_text(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        try:  # unquoted {{vars}} make otherwise valid JSON invalid
            value = json.loads(VARIABLE.sub('"variable"', text))
        except ValueError:
            return None
    except RecursionError:
        return None
    if not isinstance(value, dict | list):
        return None
    return infer_schema(value)


def infer_schema(value: Any, depth: int = 0) -> dict[str, Any]:
    """A JSON schema describing the example's types; no example values are kept (they may be secrets)."""
    if depth > 32:
        return {}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        return {"type": "array", "items": infer_schema(value[0], depth + 1) if value else {}}
    if isinstance(value, dict):
        return {"type": "object", "properties": {str(k): infer_schema(v, depth + 1) for k, v in value.items()}}
    return {}
