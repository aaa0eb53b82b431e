"""Every refused input names its file and a line or a field (issue 10, item 13), through `validate --json`.

Each case breaks one thing in an otherwise valid repository; every error problem validate reports must
carry a file and a line or a field path, the run exits 1 and prints no traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import invoke
from minimal_repo import CONFIG, CONNECTOR, OPENAPI

AZURE = "  az: {target: azure, subscriptionId: 00000000-0000-0000-0000-000000000000, resourceGroup: rg, location: w}\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SHA = "a" * 64

Breaker = Callable[[Path], None]


def write(root: Path, relative: str, content: str | bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)


def make_repo(root: Path) -> Path:
    write(root, "connectorops.yaml", CONFIG)
    write(root, "connectors/orders/connector.yaml", CONNECTOR)
    write(root, "connectors/orders/openapi.yaml", OPENAPI)
    return root


def connector(text: str) -> Breaker:
    return lambda root: write(root, "connectors/orders/connector.yaml", text)


def spec_edit(old: str, new: str) -> Breaker:
    """connector.yaml with one text replacement (old must occur)."""
    assert old in CONNECTOR
    return connector(CONNECTOR.replace(old, new))


def definition(kind: str, value: str, files: dict[str, str | bytes] | None = None) -> Breaker:
    def apply(root: Path) -> None:
        write(root, "connectors/orders/connector.yaml", CONNECTOR.replace("openapi: openapi.yaml", f"{kind}: {value}"))
        for name, content in (files or {}).items():
            write(root, f"connectors/orders/{name}", content)

    return apply


def openapi(text: str | bytes) -> Breaker:
    return lambda root: write(root, "connectors/orders/openapi.yaml", text)


def openapi_json(text: str | bytes) -> Breaker:
    return definition("openapi", "openapi.json", {"openapi.json": text})


def both(*breakers: Breaker) -> Breaker:
    def apply(root: Path) -> None:
        for breaker in breakers:
            breaker(root)

    return apply


def file_at(relative: str, content: str | bytes) -> Breaker:
    return lambda root: write(root, relative, content)


def config(text: str) -> Breaker:
    return lambda root: write(root, "connectorops.yaml", text)


def directory(relative: str) -> Breaker:
    return lambda root: (root / relative).mkdir(parents=True)


def paconn(files: dict[str, str]) -> Breaker:
    def apply(root: Path) -> None:
        definition("paconn", "paconn")(root)
        (root / "connectors/orders/paconn").mkdir()
        for name, content in files.items():
            write(root, f"connectors/orders/paconn/{name}", content)

    return apply


GOOD_SWAGGER_JSON = json.dumps(
    {
        "swagger": "2.0",
        "info": {"title": "P", "version": "1"},
        "host": "p.contoso.com",
        "paths": {"/p": {"get": {"operationId": "P", "responses": {"200": {"description": "ok"}}}}},
    }
)

CASES: dict[str, Breaker] = {
    # connector.yaml: types, keys, enums, auth combinations
    "name-is-a-list": spec_edit("name: orders", "name: [orders]"),
    "name-invalid": spec_edit("name: orders", "name: 'orders/../x'"),
    "unknown-spec-key": spec_edit("  auth:", "  colour: red\n  auth:"),
    "unknown-top-key": connector(CONNECTOR + "extra: 1\n"),
    "wrong-api-version": spec_edit("connectorops/v1", "connectorops/v2"),
    "wrong-kind": spec_edit("kind: Connector", "kind: Connecter"),
    "auth-type-enum": spec_edit("type: apiKey", "type: magic"),
    "apikey-without-name": spec_edit("    name: X-Key\n", ""),
    "apikey-in-enum": spec_edit("    name: X-Key\n", "    name: X-Key\n    in: body\n"),
    "oauth2-without-client": spec_edit("type: apiKey\n    name: X-Key", "type: oauth2\n    identityProvider: aad"),
    "oauth2-literal-secret": spec_edit(
        "type: apiKey\n    name: X-Key",
        "type: oauth2\n    identityProvider: aad\n    clientId: c\n    clientSecret: hunter2\n    resourceUri: https://r",
    ),
    "oauth2-bad-provider": spec_edit(
        "type: apiKey\n    name: X-Key", "type: oauth2\n    identityProvider: myspace\n    clientId: c"
    ),
    "secret-env-name-invalid": spec_edit(
        "type: apiKey\n    name: X-Key",
        "type: oauth2\n    identityProvider: aad\n    clientId: c\n    clientSecret: {env: 1-BAD}\n    resourceUri: https://r",
    ),
    "deletion-enum": spec_edit("  auth:", "  lifecycle: {deletion: nuke}\n  auth:"),
    "sharing-role-enum": spec_edit("  auth:", "  sharing: [{principal: sales, role: god}]\n  auth:"),
    "sharing-not-a-list": spec_edit("  auth:", "  sharing: everyone\n  auth:"),
    "brand-color-word": spec_edit("  auth:", "  brandColor: red\n  auth:"),
    "brand-color-comment": spec_edit("  auth:", "  brandColor: #0F6CBD\n  auth:"),
    "display-name-comment": spec_edit("  auth:", "  displayName: #1\n  auth:"),
    "service-url-invalid": spec_edit("  auth:", "  backend: {serviceUrl: 'not a url'}\n  auth:"),
    "environment-override-unknown-key": spec_edit("  auth:", "  environments: {local: {colour: red}}\n  auth:"),
    "boolean-for-string": spec_edit("  auth:", "  displayName: yes\n  auth:"),
    # connector.yaml: the file itself
    "connector-is-a-list": connector("- a\n- b\n"),
    "connector-is-a-scalar": connector("hello\n"),
    "connector-empty": connector(""),
    "connector-invalid-utf8": file_at("connectors/orders/connector.yaml", CONNECTOR.encode() + b"\xff\n"),
    "connector-binary-garbage": connector(bytes(range(256)).decode("latin-1")),
    "connector-duplicate-key": connector(CONNECTOR + "kind: Connector\n"),
    "connector-yaml-syntax": connector(CONNECTOR.replace("  name: orders", "  name: [orders")),
    "connector-two-documents": connector(CONNECTOR + "---\n" + CONNECTOR),
    "connector-huge-integer": spec_edit("  auth:", f"  displayName: {'9' * 5000}\n  auth:"),
    "connector-too-deep": connector(CONNECTOR + "x: " + "[" * 100 + "]" * 100 + "\n"),
    "connector-alias-bomb": connector(
        CONNECTOR
        + "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
            f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
            for i in range(8)
        )
    ),
    "connector-oversize": connector(CONNECTOR + "# " + "x" * (1024 * 1024) + "\n"),
    "connector-misnamed": lambda root: (root / "connectors/orders/connector.yaml").rename(
        root / "connectors/orders/connector.yml"
    ),
    "duplicate-metadata-name": lambda root: write(root, "connectors/other/connector.yaml", CONNECTOR),
    # definition sources
    "two-definition-kinds": spec_edit("openapi: openapi.yaml", "openapi: openapi.yaml\n    postman: c.json"),
    "no-definition-kind": spec_edit("openapi: openapi.yaml", "{}"),
    "url-without-sha256": definition("url", "https://example.com/o.json"),
    "url-http": definition("url", f"http://example.com/o.json\n    sha256: {SHA}"),
    "url-loopback": definition("url", f"https://127.0.0.1/o.json\n    sha256: {SHA}"),
    "url-metadata": definition("url", f"https://169.254.169.254/o.json\n    sha256: {SHA}"),
    "url-dns-failure": definition("url", f"https://no-such-host.invalid/o.json\n    sha256: {SHA}"),
    "url-bad-label": definition("url", f"https://a..b.contoso.com/o.json\n    sha256: {SHA}"),
    "sha256-short": definition("url", "https://example.com/o.json\n    sha256: abc"),
    "openapi-absolute-path": definition("openapi", "/etc/passwd"),
    "openapi-escapes-folder": definition("openapi", "../../connectorops.yaml"),
    "openapi-missing": definition("openapi", "missing.yaml"),
    "openapi-is-a-directory": lambda root: (
        (root / "connectors/orders/openapi.yaml").unlink() or (root / "connectors/orders/openapi.yaml").mkdir()
    ),
    "openapi-yaml-syntax": openapi(OPENAPI.replace("paths:", "paths: [")),
    "openapi-json-syntax": openapi_json('{"swagger": "2.0",\n "paths": {]\n}'),
    "openapi-json-nan": openapi_json('{"swagger": "2.0", "x": NaN}'),
    "openapi-json-huge-integer": openapi_json('{"swagger": "2.0", "x": ' + "9" * 5000 + "}"),
    "openapi-json-too-deep": openapi_json('{"x": ' + "[" * 500 + "]" * 500 + "}"),
    "openapi-json-is-a-list": openapi_json("[1, 2]"),
    "openapi-json-lone-surrogate": openapi_json('{"swagger": "2.0", "info": {"title": "x\\ud800"}}'),
    "openapi-v3": openapi('openapi: 3.0.0\ninfo: {title: x, version: "1"}\npaths: {}\n'),
    "openapi-no-paths": openapi(OPENAPI.split("paths:")[0] + "paths: {}\n"),
    "openapi-invalid-utf8": openapi(OPENAPI.encode() + b"\xff\xfe\n"),
    "openapi-binary-garbage": openapi(bytes(range(256)) * 4),
    "openapi-empty": openapi(b""),
    "openapi-oversize": openapi(OPENAPI + "# " + "x" * 1_100_000 + "\n"),
    "openapi-responses-null": openapi(OPENAPI.replace('responses: {"200": {description: OK}}', "responses:")),
    # openapi-spec-validator raises KeyError('name') here; its schema pass finds nothing
    "openapi-parameter-ref-to-a-schema": openapi(
        OPENAPI.replace("      responses:", "      parameters: [{$ref: '#/definitions/X'}]\n      responses:")
        + "definitions: {X: {type: object}}\n"
    ),
    "openapi-duplicate-operation-id": openapi(
        OPENAPI + "  /more:\n    get:\n      operationId: ListOrders\n      responses: {'200': {description: OK}}\n"
    ),
    "openapi-ref-url": openapi(OPENAPI.replace("{description: OK}", "{$ref: 'https://e.com/x.yaml#/r'}")),
    "openapi-ref-escapes": openapi(OPENAPI.replace("{description: OK}", "{$ref: '../../connectorops.yaml'}")),
    "openapi-ref-missing-file": openapi(OPENAPI.replace("{description: OK}", "{$ref: 'nope.yaml#/r'}")),
    "openapi-ref-dangling": openapi(OPENAPI.replace("{description: OK}", "{$ref: '#/responses/nope'}")),
    "openapi-ref-binary-file": both(
        openapi(OPENAPI.replace("{description: OK}", "{$ref: 'r.yaml#/r'}")),
        file_at("connectors/orders/r.yaml", bytes(range(256))),
    ),
    "openapi-float-infinity-yaml": openapi(OPENAPI + "x-value: .inf\n"),
    # icons
    "icon-missing": spec_edit("  auth:", "  icon: nope.png\n  auth:"),
    "icon-not-png": both(
        spec_edit("  auth:", "  icon: icon.png\n  auth:"), file_at("connectors/orders/icon.png", b"GIF89a")
    ),
    "icon-is-a-directory": both(
        spec_edit("  auth:", "  icon: icon.png\n  auth:"), directory("connectors/orders/icon.png")
    ),
    "default-icon-oversize": file_at("connectors/orders/icon.png", PNG + b"\x00" * 1_100_000),
    # Postman
    "postman-invalid-json": definition("postman", "c.json", {"c.json": "{not json"}),
    "postman-not-a-collection": definition("postman", "c.json", {"c.json": '{"foo": 1}'}),
    "postman-v1": definition("postman", "c.json", {"c.json": '{"id": "x", "name": "n", "requests": []}'}),
    "postman-items-not-a-list": definition(
        "postman",
        "c.json",
        {
            "c.json": '{"info": {"name": "n", "schema": '
            '"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": 5}'
        },
    ),
    "postman-is-a-list": definition("postman", "c.json", {"c.json": "[]"}),
    # paconn
    "paconn-missing-folder": definition("paconn", "paconn"),
    "paconn-no-definition": paconn({"apiProperties.json": '{"properties": {}}'}),
    "paconn-definition-invalid-json": paconn({"apiDefinition.swagger.json": "{oops"}),
    "paconn-definition-a-list": paconn({"apiDefinition.swagger.json": "[]"}),
    "paconn-properties-not-object": paconn(
        {"apiDefinition.swagger.json": GOOD_SWAGGER_JSON, "apiProperties.json": '{"properties": 5}'}
    ),
    "paconn-literal-secret": paconn(
        {
            "apiDefinition.swagger.json": GOOD_SWAGGER_JSON,
            "apiProperties.json": json.dumps(
                {
                    "properties": {
                        "connectionParameters": {
                            "token": {"type": "oauthSetting", "oAuthSettings": {"clientSecret": "hunter2"}}
                        }
                    }
                }
            ),
        }
    ),
    "paconn-parameter-not-object": paconn(
        {
            "apiDefinition.swagger.json": GOOD_SWAGGER_JSON,
            "apiProperties.json": '{"properties": {"connectionParameters": {"x": 5}}}',
        }
    ),
    # connectorops.yaml
    "config-default-undefined": config("default: prod\nenvironments:\n  local: {target: local}\n"),
    "config-target-enum": config("default: local\nenvironments:\n  local: {target: moon}\n"),
    "config-local-resource-group-dotdot": config(
        "default: local\nenvironments:\n  local: {target: local, resourceGroup: ../other}\n"
    ),
    "config-resource-group-trailing-period": config(CONFIG + AZURE.replace("resourceGroup: rg", "resourceGroup: rg.")),
    "config-state-dir-outside": config("default: local\nenvironments:\n  local: {target: local, stateDir: ../x}\n"),
    "config-state-dir-absolute": config("default: local\nenvironments:\n  local: {target: local, stateDir: /tmp/x}\n"),
    "config-ca-bundle-missing": config(CONFIG + AZURE.replace("location: w", "location: w, caBundle: certs/ca.pem")),
    "config-ca-bundle-empty": both(
        config(CONFIG + AZURE.replace("location: w", "location: w, caBundle: ca.pem")), file_at("ca.pem", "")
    ),
    "config-subscription-invalid": config(CONFIG + AZURE.replace("00000000-0000", "0000-zz")),
    "config-azure-missing-location": config(CONFIG + AZURE.replace(", location: w", "")),
    "config-is-a-list": config("- local\n"),
    "config-environment-name": config(CONFIG + "  'a b': {target: local}\n"),
    # policies
    "sharing-policy-unknown-key": lambda root: write(root, "policies/sharing.yaml", "rulez: []\n"),
    "sharing-policy-syntax": lambda root: write(root, "policies/sharing.yaml", "rules: [\n"),
    "certification-policy-unknown-rule": lambda root: write(
        root, "policies/certification.yaml", "rules:\n  no-such-rule: mandatory\n"
    ),
}


def errors_of(report: dict[str, object]) -> list[dict[str, object]]:
    connectors = report["connectors"]
    problems = report["problems"]
    assert isinstance(connectors, list) and isinstance(problems, list)
    found = [*problems, *(p for c in connectors for p in c["problems"])]
    return [p for p in found if p["severity"] == "error"]


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_refusal_names_file_and_line_or_field(tmp_path: Path, case: str) -> None:
    root = make_repo(tmp_path / "repo")
    CASES[case](root)
    result = invoke(["--repo", str(root), "validate", "--json"])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, result.output
    errors = errors_of(json.loads(result.stdout))
    assert errors, result.stdout
    unlocated = [p for p in errors if not p["file"] or (p["line"] is None and not p["field"])]
    assert not unlocated, unlocated
