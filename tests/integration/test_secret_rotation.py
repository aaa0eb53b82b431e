"""Secret rotation: a new value behind an unchanged reference reaches ARM only through --rotate-secrets.

The fingerprint covers references, never values, so a plain plan says "no changes"; `--rotate-secrets
NAME` plans an update that re-sends the secret. The emulator keeps a keyed digest of the write-only
clientSecret it was sent (never the value), so these tests can tell which value ARM holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import invoke
from engine_e2e_support import make_repo, write_connector

from connectorops.emulator.routes.context import RouteContext
from connectorops.emulator.routes.custom_apis import RESOURCE_TYPE, WRITE_ONLY_DIGESTS, write_only_digest
from connectorops.emulator.store import EmulatorStore

pytestmark = pytest.mark.integration

SECRET_VAR = "ROTATION_TEST_ORDERS_SECRET"
VALUES = ("rotation-Value-A-11aa22bb", "rotation-Value-B-33cc44dd", "rotation-Value-C-55ee66ff")
OAUTH = (
    "  auth:\n    type: oauth2\n    identityProvider: aad\n    clientId: 6f0c3b9e-2a41-4c8e-9a57-1d2b3c4d5e6f\n"
    f"    clientSecret: {{env: {SECRET_VAR}}}\n    resourceUri: api://contoso-orders\n"
)


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = invoke(["--repo", str(root), *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def deployed_secret(root: Path, name: str) -> str | None:
    """Which of VALUES the emulator holds as `name`'s clientSecret (None: none of them, or no secret)."""
    store = EmulatorStore(root / ".connectorops" / "emulator.db")
    try:
        ctx = RouteContext(store=store, page_size=100, default_location="westeurope", signing_key=store.signing_key())
        [stored] = [r for r in store.list_all(RESOURCE_TYPE) if r.body["name"] == name]
        digests = stored.body.get(WRITE_ONLY_DIGESTS) or {}
        [(parameter, digest)] = digests.items()
        return next((v for v in VALUES if write_only_digest(ctx, stored.key, parameter, v) == digest), None)
    finally:
        store.close()


def state_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (root / ".connectorops").rglob("*") if p.is_file())


def test_rotated_env_secret_reaches_arm_only_with_rotate_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "repo").mkdir()
    root = make_repo(tmp_path / "repo", "billing")
    write_connector(root, "orders", extra=OAUTH)
    outputs: list[str] = []

    def run(*args: str) -> tuple[int, str]:
        code, out, err = cli(root, *args)
        outputs.extend([out, err])
        return code, out + err

    monkeypatch.setenv(SECRET_VAR, VALUES[0])
    assert run("apply", "--yes")[0] == 0
    assert deployed_secret(root, "orders") == VALUES[0]

    monkeypatch.setenv(SECRET_VAR, VALUES[1])
    code, text = run("plan")
    assert code == 0 and "no changes" in text  # the reference did not change: nothing to see without the flag
    assert run("apply", "--yes")[0] == 0
    assert deployed_secret(root, "orders") == VALUES[0]

    plan_file = tmp_path / "rotate.json"
    code, text = run("plan", "--rotate-secrets", "orders", "--out", str(plan_file))
    assert code == 2, text
    assert "secret rotation" in text and f"{{env: {SECRET_VAR}}}" in text and "value not shown" in text
    assert "Plan: 1 update." in text  # billing has no secret and is not touched
    saved = json.loads(plan_file.read_text())
    assert saved["options"]["rotateSecrets"] == ["orders"]
    [action] = [a for a in saved["actions"] if a["kind"] == "update"]
    assert action["rotatedSecrets"] == ["/token/oAuthSettings/clientSecret"]
    assert action["secretRefs"] == {"/token/oAuthSettings/clientSecret": {"env": SECRET_VAR}}
    code, text = run("apply", "--plan", str(plan_file), "--yes")
    assert code == 0 and "updated" in text
    assert deployed_secret(root, "orders") == VALUES[1]
    assert run("plan")[0] == 0  # rotation leaves nothing behind: the fingerprint never saw the value

    monkeypatch.setenv(SECRET_VAR, VALUES[2])
    code, _ = run("plan", "--json", "--rotate-secrets", "*")
    shown = json.loads(outputs[-2])
    assert code == 2 and shown["options"]["rotateSecrets"] == ["*"]
    assert [a["rotatedSecrets"] for a in shown["actions"] if a["kind"] == "update"] == [
        ["/token/oAuthSettings/clientSecret"]
    ]
    code, text = run("plan", "--markdown", "--rotate-secrets", "*")
    assert code == 2 and "🔑 secret rotation" in text
    code, _ = run("apply", "--yes", "--json", "--rotate-secrets", "*")
    stdout = outputs[-2]
    assert code == 0 and json.loads(stdout)["summary"]["done"] == 1
    assert deployed_secret(root, "orders") == VALUES[2]

    everything = "".join(outputs) + plan_file.read_text()
    assert not [v for v in VALUES if v in everything]
    # nor in the emulator's state (it keeps a keyed digest), nor any tag
    assert not [v for v in VALUES if v.encode() in state_bytes(root)]


def test_rotate_secrets_naming_no_secret_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path, "billing")
    assert cli(root, "apply", "--yes")[0] == 0
    code, out, err = cli(root, "plan", "--rotate-secrets", "billing", "--rotate-secrets", "ordres")
    assert code == 0, out + err
    text = out + err
    assert "--rotate-secrets billing: this plan rotates no secret" in text
    assert "--rotate-secrets ordres: this plan rotates no secret" in text


def test_emulator_never_returns_the_write_only_secret_or_its_digest(emulator: object, gateway: object) -> None:
    from connectorops.targets.arm.gateway import ArmGateway

    assert isinstance(gateway, ArmGateway)
    params = {
        "token": {
            "type": "oauthSetting",
            "oAuthSettings": {"identityProvider": "aad", "clientId": "app", "clientSecret": VALUES[0]},
        }
    }
    body = {"location": "westeurope", "properties": {"displayName": "Orders", "connectionParameters": params}}
    gateway.put_custom_api("orders", body)
    shown = json.dumps([gateway.list_custom_apis(), gateway.get_custom_api("orders")])
    assert VALUES[0] not in shown and WRITE_ONLY_DIGESTS not in shown
    assert "clientId" in shown
