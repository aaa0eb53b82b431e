"""Custom connectors of a Power Platform environment: `{powerapps_url}/providers/Microsoft.PowerApps/apis`.

GET list (environment-filtered, paged, `$expand=permissions,properties.swagger`), GET one, POST
create (the server names it `shared_<slug>-<16 hex>`), PATCH (displayName ignored: create only,
as paconn says of the service), DELETE (its connections and permissions go with it; flows keep
their dangling references). Kept of `properties`: the KEPT names below; openApiDefinition is stored
beside the item and returned only on `$expand=properties.swagger`; a scriptDefinitionUrl's bytes
are copied in and served at the item's own signed URL; oAuthSettings.clientSecret is write-only
(a keyed HMAC is kept, as for ARM customApis).
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any

from connectorops.definitions.openapi import check_structure
from connectorops.definitions.paconn_checks import KNOWN_TEMPLATE_IDS, MAX_SCRIPT_BYTES, OPERATION_NAMES, operation_ids
from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse, now_iso
from connectorops.emulator.routes.context import RouteContext, method_not_allowed
from connectorops.emulator.routes.custom_apis import write_only_digest
from connectorops.emulator.routes.powerplatform import storage
from connectorops.emulator.routes.powerplatform.common import (
    API_TYPE,
    APIS_VERSION,
    PERMISSION_TYPE,
    POWERAPPS,
    api_id,
    api_key,
    creator_id,
    environment_key,
    environment_of,
    object_or_empty,
    paged,
    require_api,
    require_version,
    tenant_id,
)
from connectorops.emulator.routes.powerplatform.permissions import permission_items
from connectorops.emulator.store import StoredResource

KEPT = (
    "displayName",
    "description",
    "iconUri",
    "iconBrandColor",
    "capabilities",
    "connectionParameters",
    "connectionParameterSets",
    "policyTemplateInstances",
    "scriptOperations",
    "publisher",
)
# Known template ids, the script limit and operationIds: validate's own (one copy, definitions/paconn_checks.py).
POLICY_TEMPLATES = KNOWN_TEMPLATE_IDS


def collection(ctx: RouteContext, request: ArmRequest) -> ArmResponse:
    require_version(request, APIS_VERSION)
    if request.method == "GET":
        env = environment_of(ctx, request, None)
        expand = expansions(request)
        return paged(ctx, request, API_TYPE, environment_key(env), lambda row: render(ctx, request, row, expand))
    if request.method == "POST":
        return _create(ctx, request, environment_of(ctx, request, None))
    raise method_not_allowed(request.method, "the apis collection", ("GET", "POST"))


def item(ctx: RouteContext, request: ArmRequest, api_name: str, env_in_path: str | None) -> ArmResponse:
    require_version(request, APIS_VERSION)
    env = environment_of(ctx, request, env_in_path)
    if request.method == "GET":
        return ArmResponse(200, render(ctx, request, require_api(ctx, env, api_name), expansions(request)))
    if request.method == "PATCH" and env_in_path is None:
        return _update(ctx, request, env, api_name)
    if request.method == "DELETE":
        with ctx.store.transaction():
            stored = require_api(ctx, env, api_name)
            ctx.store.delete_below(stored.key)  # permissions and connections: they live below the api
            ctx.store.delete(stored.key)
        return ArmResponse(200)
    allowed = ("GET", "DELETE") if env_in_path is not None else ("GET", "PATCH", "DELETE")
    raise method_not_allowed(request.method, "an api", allowed)


def expansions(request: ArmRequest) -> set[str]:
    """`$expand=permissions($filter=...),properties.swagger` -> {"permissions", "properties.swagger"}."""
    text = request.query.get("$expand", "")
    text = re.sub(r"\([^)]*\)", "", text)  # the portal's permissions($filter=...) options
    return {part.strip().lower() for part in text.split(",") if part.strip()}


def render(ctx: RouteContext, request: ArmRequest, row: StoredResource, expand: set[str]) -> dict[str, Any]:
    """The item as GET returns it; URLs are computed per request (the emulator's port changes)."""
    body = dict(row.body)
    env, name = body.pop("environmentName"), body["name"]
    extra = row.extra if isinstance(row.extra, dict) else {}
    properties = dict(body["properties"])
    properties["environment"] = {"name": env, "id": f"{POWERAPPS}/environments/{env}"}
    properties["isCustomApi"] = True
    properties["apiDefinitions"] = {
        "originalSwaggerUrl": storage.api_blob_url(ctx, request.base_url, env, name, storage.SWAGGER_FILE)
    }
    properties["scriptDefinitionUrl"] = (
        storage.api_blob_url(ctx, request.base_url, env, name, storage.SCRIPT_FILE) if extra.get("script") else ""
    )
    if "properties.swagger" in expand:
        properties["swagger"] = extra.get("swagger")
    if "permissions" in expand:
        properties["permissions"] = permission_items(ctx, row.key)
    body["properties"] = properties
    return body


def _create(ctx: RouteContext, request: ArmRequest, env: str) -> ArmResponse:
    properties_in = _properties(request, env)
    swagger = properties_in["openApiDefinition"]
    display_name = properties_in.get("displayName") or (swagger.get("info") or {}).get("title")
    if not isinstance(display_name, str) or not display_name.strip():
        raise _invalid("properties.displayName is required on create (paconn sends info.title).")
    slug = re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-")[:40] or "api"
    api_name = f"shared_{slug}-{secrets.token_hex(8)}"
    key = api_key(env, api_name)
    now = now_iso()
    properties, digests = _kept(ctx, key, properties_in, {})
    properties["displayName"] = display_name
    with ctx.store.transaction():
        script = _script(ctx, properties_in, env)
        _store(ctx, key, env, api_name, properties, now, now, swagger, script, digests)
        owner = creator_id(ctx)
        ctx.store.put(
            f"{key}/permissions/{owner}",
            PERMISSION_TYPE,
            key,
            {
                "name": owner,
                "id": f"{api_id(api_name)}/permissions/{owner}",
                "properties": {
                    "roleName": "Owner",
                    "principal": {"id": owner, "type": "User", "tenantId": tenant_id(ctx)},
                },
            },
        )
        stored = ctx.store.get(key)
    assert stored is not None
    return ArmResponse(201, render(ctx, request, stored, set()))


def _update(ctx: RouteContext, request: ArmRequest, env: str, api_name: str) -> ArmResponse:
    properties_in = _properties(request, env)
    with ctx.store.transaction():
        current = require_api(ctx, env, api_name)
        extra = current.extra if isinstance(current.extra, dict) else {}
        properties, digests = _kept(ctx, current.key, properties_in, extra.get("writeOnlyDigests") or {})
        properties["displayName"] = current.body["properties"].get("displayName")  # create only
        script = _script(ctx, properties_in, env)
        created = current.body["properties"].get("createdTime") or now_iso()
        _store(ctx, current.key, env, api_name, properties, created, now_iso(), properties_in["openApiDefinition"],
               script, digests)  # fmt: skip
        stored = ctx.store.get(current.key)
    assert stored is not None
    return ArmResponse(200, render(ctx, request, stored, set()))


def _store(
    ctx: RouteContext,
    key: str,
    env: str,
    api_name: str,
    properties: dict[str, Any],
    created: str,
    changed: str,
    swagger: dict[str, Any],
    script: str | None,
    digests: dict[str, str],
) -> None:
    properties.update(createdTime=created, changedTime=changed)
    body = {
        "name": api_name,
        "id": api_id(api_name),
        "type": "Microsoft.PowerApps/apis",
        "environmentName": env,
        "properties": properties,
    }
    extra = {"swagger": swagger, "script": script, "writeOnlyDigests": digests}
    ctx.store.put(key, API_TYPE, environment_key(env), body, extra=extra)


def _properties(request: ArmRequest, env: str) -> dict[str, Any]:
    """The request's `properties`, checked: the 400s the contract names for create and update."""
    properties = object_or_empty(request.json_body().get("properties"), "properties")
    if "stackOwner" in properties:
        raise _invalid("properties.stackOwner is not accepted (remove it from apiProperties.json).")
    swagger = properties.get("openApiDefinition")
    if not isinstance(swagger, dict) or not swagger:
        raise _invalid("properties.openApiDefinition is required: the OpenAPI 2.0 document as an object.")
    problems = check_structure(swagger, "openApiDefinition")
    if problems:
        raise _invalid("properties.openApiDefinition: " + "; ".join(p.message for p in problems))
    given_env = object_or_empty(properties.get("environment"), "properties.environment").get("name")
    if given_env is not None and given_env != env:
        raise _invalid(f"properties.environment.name '{given_env}' differs from the $filter environment '{env}'.")
    if "connectionParameters" in properties and "connectionParameterSets" in properties:
        raise _invalid("send properties.connectionParameters or properties.connectionParameterSets, not both.")
    _check_policy_templates(properties.get("policyTemplateInstances"), swagger)
    scripted = properties.get("scriptOperations")
    if scripted is not None and not (isinstance(scripted, list) and all(isinstance(o, str) for o in scripted)):
        raise _invalid("properties.scriptOperations must be a list of operationIds.")
    return properties


def _check_policy_templates(instances: Any, swagger: dict[str, Any]) -> None:
    if instances is None:
        return
    if not isinstance(instances, list):
        raise _invalid("properties.policyTemplateInstances must be a list.")
    operations = set(operation_ids(swagger))
    for index, instance in enumerate(instances):
        where = f"properties.policyTemplateInstances[{index}]"
        template = instance.get("templateId") if isinstance(instance, dict) else None
        if template not in POLICY_TEMPLATES:
            raise _invalid(f"{where}.templateId {template!r} is not a known policy template.")
        parameters = instance.get("parameters") if isinstance(instance.get("parameters"), dict) else {}
        named = parameters.get(OPERATION_NAMES) or []
        for operation in named if isinstance(named, list) else [named]:
            if operation not in operations:
                raise _invalid(f"{where}.parameters.{OPERATION_NAMES} names '{operation}', not an operation.")


def _kept(
    ctx: RouteContext, key: str, properties_in: dict[str, Any], digests: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The properties stored and returned, and the HMACs of the client secrets sent (a secret not
    sent again keeps its earlier HMAC: the service keeps the secret it has)."""
    properties = {k: properties_in[k] for k in KEPT if k in properties_in}
    backend = object_or_empty(properties_in.get("backendService"), "properties.backendService")
    if "serviceUrl" in backend:
        properties["backendService"] = {"serviceUrl": backend["serviceUrl"]}
    digests = dict(digests)
    if isinstance(properties.get("connectionParameters"), dict):
        properties["connectionParameters"] = _without_secrets(
            ctx, key, "connectionParameters", properties["connectionParameters"], digests
        )
    sets = properties.get("connectionParameterSets")
    if isinstance(sets, dict) and isinstance(sets.get("values"), list):
        values = []
        for index, entry in enumerate(sets["values"]):
            if isinstance(entry, dict) and isinstance(entry.get("parameters"), dict):
                where = f"connectionParameterSets.values[{index}].parameters"
                entry = dict(entry, parameters=_without_secrets(ctx, key, where, entry["parameters"], digests))
            values.append(entry)
        properties["connectionParameterSets"] = dict(sets, values=values)
    return properties, digests


def _without_secrets(
    ctx: RouteContext, key: str, where: str, parameters: dict[str, Any], digests: dict[str, str]
) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, parameter in parameters.items():
        settings = parameter.get("oAuthSettings") if isinstance(parameter, dict) else None
        if isinstance(settings, dict) and "clientSecret" in settings:
            secret = settings["clientSecret"]
            if isinstance(secret, str) and secret:
                digests[f"{where}.{name}"] = write_only_digest(ctx, key, f"{where}.{name}", secret)
            parameter = dict(parameter, oAuthSettings={k: v for k, v in settings.items() if k != "clientSecret"})
        kept[name] = parameter
    return kept


def _script(ctx: RouteContext, properties_in: dict[str, Any], env: str) -> str | None:
    """The script's bytes (base64) from scriptDefinitionUrl: "" or absent -> none; over 1 MB -> 400."""
    url = properties_in.get("scriptDefinitionUrl")
    if not url:
        return None
    if not isinstance(url, str):
        raise _invalid("properties.scriptDefinitionUrl must be a URL string.")
    content = storage.blob_bytes(ctx, url, env=env, field="properties.scriptDefinitionUrl")
    if len(content) > MAX_SCRIPT_BYTES:
        raise _invalid(
            f"the custom code at properties.scriptDefinitionUrl is {len(content)} bytes; the limit is 1 MB "
            f"({MAX_SCRIPT_BYTES} bytes)."
        )
    return base64.b64encode(content).decode("ascii")


def _invalid(message: str) -> ArmError:
    return ArmError(400, "InvalidRequestContent", f"The request content was invalid: {message}")
