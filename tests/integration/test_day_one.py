"""Day one of a team repository: `init`, then `new connector` from each kind of source, on the local target.

Every step through the CLI, as a new user types it: validate 0, plan 2, apply --yes 0, then
plan 0 and drift 0. Sources are real files from the shared corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cli_runner import invoke
from test_fetch_https import DIGEST, SPEC, Pki, Server, _options, pki, servers  # noqa: F401 (fixtures)

from connectorops.commands.new_connector import create_connector
from connectorops.spec.models import ApiKeyAuth, ConnectorDocument

pytestmark = pytest.mark.integration

CORPUS = Path("/work/shared/corpus")
SOURCES = {
    "openapi": CORPUS / "swagger2" / "oai__petstore-expanded.yaml",
    "postman": CORPUS / "postman" / "postman2openapi__todo.postman.json",
    "paconn": CORPUS / "powerplatformconnectors" / "certified-connectors" / "D7SMS",
}
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared connector corpus is not on this machine")


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = invoke(["--repo", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def planned(root: Path) -> dict[str, str]:
    code, out, _ = cli(root, "plan", "--json")
    assert code in (0, 2)
    return {a["name"]: a["kind"] for a in json.loads(out)["actions"] if a["resourceType"] == "customApi"}


def test_init_repository_validates_plans_applies_and_has_no_drift(tmp_path: Path) -> None:
    root = tmp_path / "team"
    assert cli(tmp_path, "init", str(root))[0] == 0
    assert cli(root, "validate")[0] == 0
    code, out, _ = cli(root, "plan")
    assert code == 2 and "Plan: 2 create." in out
    code, out, _ = cli(root, "apply", "--yes")
    assert code == 0 and "Apply complete: 2 action(s) done." in out
    assert cli(root, "plan")[0] == 0
    assert cli(root, "drift")[0] == 0


@needs_corpus
@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_new_connector_from_each_source_validates_plans_and_applies(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "team"
    assert cli(tmp_path, "init", str(root))[0] == 0
    code, _, err = cli(root, "new", "connector", "added", "--from", str(SOURCES[kind]))
    assert code == 0, err
    assert "added validates" in err
    assert "mandatory certification finding" not in err
    document = ConnectorDocument.model_validate(yaml.safe_load((root / "connectors/added/connector.yaml").read_text()))
    assert document.spec.definition.kind == kind
    assert document.spec.displayName  # from the definition's title
    code, out, err = cli(root, "validate", "--json")
    assert code == 0, err
    added = next(c for c in json.loads(out)["connectors"] if c["name"] == "added")
    assert added["source"] == kind and added["operations"] > 0
    assert planned(root) == {"added": "create", "tickets": "create"}
    assert cli(root, "plan")[0] == 2
    code, _, err = cli(root, "apply", "--yes")
    assert code == 0, err
    assert cli(root, "plan")[0] == 0
    assert cli(root, "drift")[0] == 0


@needs_corpus
def test_auth_is_detected_from_security_definitions(tmp_path: Path) -> None:
    assert cli(tmp_path, "init", str(tmp_path))[0] == 0
    nytimes = CORPUS / "swagger2" / "apisguru__nytimes_top_stories_v2.swagger.yaml"
    code, _, err = cli(tmp_path, "new", "connector", "nyt", "--from", str(nytimes))
    assert code == 0
    # Valid, but the starter policy makes OperationIdRequired mandatory: said now, not first by `plan`.
    assert "1 mandatory certification finding(s) will block `plan` in environment local" in err
    assert "[OperationIdRequired]" in err
    assert cli(tmp_path, "plan")[0] == 1
    text = (tmp_path / "connectors/nyt/connector.yaml").read_text()
    document = ConnectorDocument.model_validate(yaml.safe_load(text))
    assert document.spec.displayName == "Top Stories V2"
    assert document.spec.description.startswith("The Top Stories API provides JSON")
    assert isinstance(document.spec.auth, ApiKeyAuth)
    assert (document.spec.auth.name, document.spec.auth.in_) == ("api-key", "query")


@needs_corpus
def test_a_definition_without_host_is_refused_with_the_flag_that_fixes_it_and_nothing_is_left(tmp_path: Path) -> None:
    assert cli(tmp_path, "init", str(tmp_path))[0] == 0
    gitea = CORPUS / "swagger2" / "go-swagger__gitea.json"
    code, _, err = cli(tmp_path, "new", "connector", "gitea", "--from", str(gitea))
    assert code == 1 and "Traceback" not in err
    assert "connectors/gitea/connector.yaml" in err and "pass --service-url" in err
    assert not (tmp_path / "connectors" / "gitea").exists()
    code, _, err = cli(
        tmp_path, "new", "connector", "gitea", "--from", str(gitea), "--service-url", "https://g.example.com"
    )
    assert code == 0, err
    assert cli(tmp_path, "validate")[0] == 0


def test_new_connector_refusals_write_nothing(tmp_path: Path) -> None:
    code, _, err = cli(tmp_path, "new", "connector", "x", "--from", "a.yaml")
    assert code == 1 and "no connectorops.yaml" in err and "connectorops init" in err
    assert cli(tmp_path, "init", str(tmp_path))[0] == 0
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    openapi3 = tmp_path / "v3.yaml"
    openapi3.write_text("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n")
    cases = [
        (["tickets", "--from", str(openapi3)], "connectors/tickets already exists"),
        (["Bad Name", "--from", str(openapi3)], "not a valid ARM resource name"),
        (["v3", "--from", str(openapi3)], "is OpenAPI 3.0.0"),
        (["v3", "--from", str(tmp_path / "missing.yaml")], "no such file or folder"),
        (["web", "--from", "http://example.com/openapi.json"], "only https:// URLs are fetched"),
        (["web", "--from", "https://127.0.0.1/openapi.json"], "loopback address: refused"),
        (["web", "--from", "https://169.254.169.254/latest/"], "cloud metadata address"),
    ]
    for args, message in cases:
        code, _, err = cli(tmp_path, "new", "connector", *args)
        assert code == 1 and message in err and "Traceback" not in err, (args, err)
    openapi3.unlink()
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_new_connector_from_a_url_pins_its_sha256_and_validates_from_the_cache(
    servers: tuple[Server, Server],  # noqa: F811
    pki: Pki,  # noqa: F811
    tmp_path: Path,
) -> None:
    public, _ = servers
    assert cli(tmp_path, "init", str(tmp_path))[0] == 0
    url = public.url("/spec.json")
    folder = create_connector(tmp_path, "remote", url, fetch_options=_options(pki))
    document = ConnectorDocument.model_validate(yaml.safe_load((folder / "connector.yaml").read_text()))
    assert document.spec.definition.url == url and document.spec.definition.sha256 == DIGEST
    assert sorted(p.name for p in folder.iterdir()) == ["connector.yaml"]  # nothing but the pin is committed
    hits = len(public.hits)
    code, out, _ = cli(tmp_path, "validate", "--json")  # production fetch options: served from the cache
    assert code == 0
    assert next(c for c in json.loads(out)["connectors"] if c["name"] == "remote")["operations"] == 1
    assert len(public.hits) == hits == 1
    assert SPEC  # the document the server serves is the one pinned
