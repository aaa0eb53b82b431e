"""Blob storage for connector uploads: generateResourceStorage hands out a container SAS URL, the
client PUTs the icon and script.csx below it (the SAS authorizes, no bearer token) and sends the
blob URLs as iconUri / scriptDefinitionUrl. A connector's own script and swagger are served under
`/_blobs/apis/{env}/{apiName}/...` with a signature (or the emulator token)."""

from __future__ import annotations

import base64
import datetime
import hmac
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse
from connectorops.emulator.routes.context import RouteContext, method_not_allowed
from connectorops.emulator.routes.powerplatform.common import (
    APIS_VERSION,
    BLOB_TYPE,
    CONTAINER_TYPE,
    api_key,
    object_or_empty,
    require_environment,
    require_version,
)

BLOBS = "/_blobs"
API_BLOBS = "apis"  # never a generated container name (those are hex)
SCRIPT_FILE = "script.csx"
SWAGGER_FILE = "apiDefinition.swagger.json"
SAS_KIND = "sas"


def generate_resource_storage(ctx: RouteContext, request: ArmRequest) -> ArmResponse:
    """`POST objectIds/{oid}/generateResourceStorage` body {"environment": {"name"}} -> a container SAS URL."""
    require_version(request, APIS_VERSION)
    if request.method != "POST":
        raise method_not_allowed(request.method, "generateResourceStorage", ("POST",))
    environment = object_or_empty(request.json_body().get("environment"), "environment")
    env = environment.get("name")
    if not isinstance(env, str) or not env:
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid: environment.name is required.")
    require_environment(ctx, env)
    container = secrets.token_hex(12)
    ctx.store.put(f"/pp/blobs/{container}", CONTAINER_TYPE, "/pp/blobs", {"environment": env})
    expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    query = urlencode(
        {
            "sv": "2018-03-28",
            "sr": "c",
            "sp": "rw",
            "se": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sig": ctx.sign(container, SAS_KIND),
        }
    )
    return ArmResponse(200, {"sharedAccessSignature": f"{request.base_url}{BLOBS}/{container}?{query}"})


def signed_blob_request(ctx: RouteContext, request: ArmRequest) -> bool:
    """True for a /_blobs request whose `sig` authorizes it (a SAS URL needs no bearer token)."""
    if not request.path.startswith(f"{BLOBS}/"):
        return False
    return _signature_ok(ctx, request.path, request.query.get("sig", ""))


def _signature_ok(ctx: RouteContext, path: str, signature: str) -> bool:
    parts = [p for p in path.split("/") if p][1:]
    if not parts or not signature:
        return False
    if parts[0] == API_BLOBS and len(parts) == 4:
        expected = ctx.sign(api_key(parts[1], parts[2]), parts[3])
    else:
        expected = ctx.sign(parts[0], SAS_KIND)
    return hmac.compare_digest(signature.encode(), expected.encode())


def api_blob_url(ctx: RouteContext, base_url: str, env: str, api_name: str, file: str) -> str:
    """The signed URL a connector's script or swagger is served at (computed per request: the port changes)."""
    query = urlencode({"sig": ctx.sign(api_key(env, api_name), file)})
    return f"{base_url}{BLOBS}/{API_BLOBS}/{env}/{api_name}/{file}?{query}"


def handle_blob(ctx: RouteContext, request: ArmRequest) -> ArmResponse:
    """PUT (BlockBlob upload into a generated container) and GET of /_blobs/{container}/{file}."""
    parts = [p for p in request.path.split("/") if p][1:]
    if parts and parts[0] == API_BLOBS:
        return _api_blob(ctx, request, parts[1:])
    if len(parts) != 2:
        raise ArmError(404, "BlobNotFound", "Blob URLs look like /_blobs/{container}/{file}.")
    container, file = parts
    if ctx.store.get(f"/pp/blobs/{container}") is None:
        raise ArmError(404, "ContainerNotFound", f"The container '{container}' does not exist.")
    key = f"/pp/blobs/{container}/{file}"
    if request.method == "PUT":
        if request.headers.get("x-ms-blob-type", "").lower() != "blockblob":
            raise ArmError(400, "MissingRequiredHeader", "An HTTP header that's mandatory is missing: x-ms-blob-type.")
        content = {"length": len(request.body), "contentType": request.headers.get("content-type", "")}
        encoded = base64.b64encode(request.body).decode("ascii")
        ctx.store.put(key, BLOB_TYPE, f"/pp/blobs/{container}", content, extra=encoded)
        return ArmResponse(201)
    if request.method == "GET":
        stored = ctx.store.get(key)
        if stored is None:
            raise ArmError(404, "BlobNotFound", "The specified blob does not exist.")
        return _bytes(base64.b64decode(str(stored.extra)))
    raise method_not_allowed(request.method, "a blob", ("GET", "PUT"))


def _api_blob(ctx: RouteContext, request: ArmRequest, parts: list[str]) -> ArmResponse:
    if request.method != "GET":
        raise method_not_allowed(request.method, "a connector's file", ("GET",))
    if len(parts) != 3 or parts[2] not in (SCRIPT_FILE, SWAGGER_FILE):
        raise ArmError(404, "BlobNotFound", "The specified blob does not exist.")
    env, api_name, file = parts
    stored = ctx.store.get(api_key(env, api_name))
    extra = stored.extra if stored is not None and isinstance(stored.extra, dict) else {}
    if file == SCRIPT_FILE and extra.get("script") is not None:
        return _bytes(base64.b64decode(extra["script"]))
    if file == SWAGGER_FILE and extra.get("swagger") is not None:
        return ArmResponse(200, extra["swagger"])
    raise ArmError(404, "BlobNotFound", "The specified blob does not exist.")


def blob_bytes(ctx: RouteContext, url: str, *, env: str, field: str) -> bytes:
    """The bytes behind a blob URL this emulator handed out (a generated container or a connector's
    own script); another URL is a 400 naming what to send instead."""
    split = urlsplit(url)
    parts = [p for p in split.path.split("/") if p]
    signature = (parse_qs(split.query).get("sig") or [""])[0]
    if not parts or parts[0] != BLOBS.strip("/") or not _signature_ok(ctx, split.path, signature):
        raise ArmError(
            400,
            "InvalidRequestContent",
            f"The request content was invalid: {field} '{url.split('?')[0]}' is not a blob URL from "
            "generateResourceStorage (signed). Upload the file there first.",
        )
    parts = parts[1:]
    if parts[0] == API_BLOBS and len(parts) == 4:
        stored = ctx.store.get(api_key(parts[1], parts[2]))
        extra = stored.extra if stored is not None and isinstance(stored.extra, dict) else {}
        if parts[1] == env and parts[3] == SCRIPT_FILE and extra.get("script") is not None:
            return base64.b64decode(extra["script"])
    elif len(parts) == 2:
        blob = ctx.store.get(f"/pp/blobs/{parts[0]}/{parts[1]}")
        if blob is not None:
            return base64.b64decode(str(blob.extra))
    raise ArmError(400, "InvalidRequestContent", f"The blob '{split.path}' of {field} does not exist. Upload it first.")


def _bytes(content: bytes) -> ArmResponse:
    return ArmResponse(200, content, {"Content-Type": "application/octet-stream"})
