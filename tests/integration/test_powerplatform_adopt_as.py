"""Adopting a maker's connector under a name chosen in git: `import --select shared_x-... --name orders`.

The server names a Power Platform connector on create (`shared_<slug>-<hash>`); a connector made in the portal has
no record of ours, so the target lists it by that name. The label `connectorops/adopt: <that name>` adopts it as
`orders`: one adopt action (never a create), the record then names it `orders`, and the label can go. Against the
embedded emulator's Power Platform surface (`target: local, platform: powerplatform`), through the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_runner import invoke
from powerplatform_support import PowerPlatformHttp, openapi

from connectorops.emulator.server import EmulatorServer

pytestmark = [pytest.mark.integration]

LOCAL_PP = "default: makers\nenvironments:\n  makers: {target: local, platform: powerplatform}\n"
LOCAL_ARM = "default: dev\nenvironments:\n  dev: {target: local}\n"


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = invoke(["--repo", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


@contextmanager
def maker(root: Path) -> Iterator[PowerPlatformHttp]:
    """The emulator on the repository's state file: a maker in the portal (no connectorops)."""
    server = EmulatorServer(root / ".connectorops" / "emulator.db")
    http = PowerPlatformHttp(server.start())
    try:
        yield http
    finally:
        http.close()
        server.stop()


def repo(tmp_path: Path, config: str = LOCAL_PP) -> Path:
    root = tmp_path / "repo"
    (root / "connectors").mkdir(parents=True)
    (root / "connectorops.yaml").write_text(config)
    return root


def portal_connector(http: PowerPlatformHttp, title: str = "Orders") -> str:
    """A connector as the maker portal (or paconn) makes it: no x-connectorops record. Its apiName."""
    definition = openapi(title)
    definition.pop("x-connectorops")
    created = http.create_api(
        {
            "displayName": title,
            "description": f"{title} API",
            "iconBrandColor": "#007ee5",
            "backendService": {"serviceUrl": "https://orders.contoso.com/v1"},
            "openApiDefinition": definition,
        }
    )
    return str(created["name"])


def stored(http: PowerPlatformHttp, api_name: str) -> dict[str, Any]:
    response = http.get_api(api_name, **{"$expand": "properties.swagger"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def connections(http: PowerPlatformHttp, api_name: str) -> list[str]:
    response = http.session.get(http.powerapps(f"apis/{api_name}/connections"), params=http.query())
    assert response.status_code == 200, response.text
    return sorted(c["name"] for c in response.json()["value"])


def write_connector(root: Path, name: str, label: str | None, title: str = "Orders") -> Path:
    folder = root / "connectors" / name
    folder.mkdir(parents=True)
    (folder / "openapi.json").write_text(json.dumps({k: v for k, v in openapi(title).items() if k != "x-connectorops"}))
    labels = f"\n  labels:\n    connectorops/adopt: {label!r}" if label is not None else ""
    (folder / "connector.yaml").write_text(
        f"apiVersion: connectorops/v1\nkind: Connector\nmetadata:\n  name: {name}{labels}\n"
        f"spec:\n  displayName: {title}\n  description: {title} API\n  definition: {{openapi: openapi.json}}\n"
    )
    return folder / "connector.yaml"


def changes(root: Path) -> list[tuple[str, str]]:
    code, out, err = cli(root, "plan", "--json")
    assert code in (0, 2), out + err
    return sorted((a["kind"], a["name"]) for a in json.loads(out)["actions"] if a["kind"] != "noop")


def test_import_with_a_name_adopts_the_portal_connector_under_it(tmp_path: Path) -> None:
    root = repo(tmp_path)
    assert cli(root, "plan")[0] == 0  # creates the environment's state file
    with maker(root) as http:
        api_name = portal_connector(http)
        made = http.session.put(
            http.powerapps(f"apis/{api_name}/connections/makers-conn"),
            params=http.query(),
            json={"properties": {"displayName": "A maker's connection"}},
        )
        assert made.status_code in (200, 201), made.text

    code, out, err = cli(root, "import", "--select", api_name, "--name", "orders")
    assert code == 0, out + err
    written = root / "connectors" / "orders" / "connector.yaml"
    assert not (root / "connectors" / api_name).exists()
    assert yaml.safe_load(written.read_text())["metadata"] == {
        "name": "orders",
        "labels": {"connectorops/adopt": api_name},
    }

    code, out, err = cli(root, "plan", "--json")
    assert code == 2, out + err
    plan = json.loads(out)
    assert [(a["kind"], a["name"], a["verdict"]) for a in plan["actions"] if a["kind"] != "noop"] == [
        ("adopt", "orders", "allow")
    ]

    code, out, err = cli(root, "apply", "--yes")
    assert code == 0, out + err
    with maker(root) as http:
        after = stored(http, api_name)  # the server's name is kept: the same connector, now ours
        assert after["properties"]["swagger"]["x-connectorops"]["name"] == "orders"
        assert after["properties"]["swagger"]["x-connectorops"]["managedBy"] == "connectorops"
        assert connections(http, api_name) == ["makers-conn"]
        listed = http.session.get(http.powerapps("apis"), params=http.query()).json()["value"]
        assert [a["name"] for a in listed] == [api_name]  # adopted, not created beside it

    # the label has done its work: without it the connector is still `orders`, in sync
    document = yaml.safe_load(written.read_text())
    del document["metadata"]["labels"]
    written.write_text(yaml.safe_dump(document, sort_keys=False))
    code, out, err = cli(root, "plan")
    assert code == 0 and "no changes" in (out + err).lower(), out + err
    code, out, err = cli(root, "drift")
    assert code == 0, out + err
    with maker(root) as http:
        assert connections(http, api_name) == ["makers-conn"]


def test_a_saved_plan_adopts_and_a_label_still_there_afterwards_plans_no_changes(tmp_path: Path) -> None:
    root = repo(tmp_path)
    assert cli(root, "plan")[0] == 0
    with maker(root) as http:
        api_name = portal_connector(http)
    write_connector(root, "orders", api_name)
    saved = tmp_path / "plan.json"
    assert cli(root, "plan", "--out", str(saved))[0] == 2
    (action,) = [a for a in json.loads(saved.read_text())["actions"] if a["kind"] != "noop"]
    assert (action["kind"], action["name"], action["listedAs"]) == ("adopt", "orders", api_name)
    code, out, err = cli(root, "apply", "--plan", str(saved), "--yes")
    assert code == 0, out + err
    with maker(root) as http:
        assert stored(http, api_name)["properties"]["swagger"]["x-connectorops"]["name"] == "orders"
    assert changes(root) == []
    assert cli(root, "drift")[0] == 0


def test_a_label_naming_no_connector_is_a_plan_error_with_the_line(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write_connector(root, "orders", "shared_nothing-0123456789abcdef")
    code, out, err = cli(root, "plan")
    assert code == 1, out + err
    text = " ".join((out + err).split())
    assert "connectors/orders/connector.yaml:6:" in text, text
    assert "names 'shared_nothing-0123456789abcdef', but no connector is listed by that name" in text, text
    assert "remove the label to create 'orders'" in text, text
    code, out, err = cli(root, "apply", "--yes")
    assert code == 1, out + err
    with maker(root) as http:
        assert http.session.get(http.powerapps("apis"), params=http.query()).json()["value"] == []  # nothing created


def test_a_connector_managed_under_another_name_is_not_taken_over(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write_connector(root, "billing", None, title="Billing")
    assert cli(root, "apply", "--yes")[0] == 0
    with maker(root) as http:
        listed = http.session.get(http.powerapps("apis"), params=http.query()).json()["value"]
        (api_name,) = [a["name"] for a in listed]
    write_connector(root, "orders", api_name)
    code, out, err = cli(root, "plan")
    assert code == 1, out + err
    text = " ".join((out + err).split())
    assert f"names '{api_name}', which is managed by connectorops as 'billing'" in text, text
    assert "connectors/billing/connector.yaml" in text, text
    assert cli(root, "apply", "--yes")[0] == 1
    with maker(root) as http:
        assert stored(http, api_name)["properties"]["swagger"]["x-connectorops"]["name"] == "billing"


def test_two_connectors_adopting_one_connector_is_an_error_naming_both(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write_connector(root, "orders", "shared_orders-00000000000000aa")
    write_connector(root, "sales", "shared_orders-00000000000000aa")
    code, out, err = cli(root, "plan")
    assert code == 1, out + err
    text = " ".join((out + err).split())
    assert "connectors/sales/connector.yaml:6: metadata.labels.connectorops/adopt" in text, text
    assert "adopts 'shared_orders-00000000000000aa', which connectors/orders/connector.yaml also takes" in text, text


def test_on_arm_an_adopt_label_naming_another_connector_is_refused(tmp_path: Path) -> None:
    root = repo(tmp_path, LOCAL_ARM)
    assert cli(root, "plan")[0] == 0
    with maker(root) as http:  # a customApi made by hand in the emulator's resource group
        rg = f"{http.info.base_url}/subscriptions/{http.info.subscription_id}/resourceGroups/rg-connectors-local"
        made = http.session.put(
            f"{rg}/providers/Microsoft.Web/customApis/legacy-orders",
            params={"api-version": "2016-06-01"},
            json={"location": "westeurope", "properties": {"displayName": "Orders", "swagger": openapi()}},
        )
        assert made.status_code in (200, 201), made.text
    write_connector(root, "orders", "legacy-orders")
    code, out, err = cli(root, "plan")
    assert code == 1, out + err
    text = " ".join((out + err).split())
    assert "connectors/orders/connector.yaml:6: metadata.labels.connectorops/adopt" in text, text
    assert "adopts 'legacy-orders' as 'orders', but on target local a connector's name is its resource name" in text
    assert "set metadata.name to 'legacy-orders'" in text, text
    assert cli(root, "apply", "--yes")[0] == 1
    with maker(root) as http:
        listed = http.session.get(
            f"{http.info.base_url}/subscriptions/{http.info.subscription_id}/resourceGroups/rg-connectors-local"
            "/providers/Microsoft.Web/customApis",
            params={"api-version": "2016-06-01"},
        ).json()["value"]
        assert [(a["name"], a.get("tags") or {}) for a in listed] == [("legacy-orders", {})]  # untouched, no create


def test_import_name_needs_one_select_and_a_target_that_can_rename(tmp_path: Path) -> None:
    root = repo(tmp_path)
    code, _, err = cli(root, "import", "--name", "orders")
    assert code == 1 and "--name needs exactly one --select" in err, err
    code, _, err = cli(root, "import", "--select", "a", "--select", "b", "--name", "orders")
    assert code == 1 and "--name needs exactly one --select" in err, err
    arm = repo(tmp_path / "arm", LOCAL_ARM)
    code, out, err = cli(arm, "import", "--select", "legacy-orders", "--name", "orders")
    assert code == 1, out + err
    assert "--name orders: this target names a connector by its resource name" in " ".join(err.split()), err
    assert not (arm / "connectors" / "orders").exists()
