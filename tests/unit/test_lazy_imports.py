"""Command paths import only what they use: start-up time is mostly imports (issue 13).

Each check runs the real CLI entry point in a fresh interpreter and lists the modules it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

PROBE = """
import json, sys
from connectorops import cli
sys.argv = ["connectorops", *json.loads(sys.argv[1])]
try:
    cli.main()
except SystemExit as exiting:
    code = exiting.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""
HEAVY = ("openapi_spec_validator", "jsonschema", "jsonschema_rs", "pydantic_settings", "pulumi", "rich.progress",
         "rich.markdown", "PIL",
         "tenacity", "connectorops.definitions.postman", "connectorops.definitions.fetch")  # fmt: skip


def _loaded(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    answer = json.loads(result.stdout.splitlines()[-1])
    return answer["code"], set(answer["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY)  # a package or one module


def _pets_repo(root: Path) -> tuple[Path, dict[str, Any]]:
    """One connector (pets, an OpenAPI file) on the local target: its folder and its definition."""
    (root / "connectorops.yaml").write_text("default: local\nenvironments:\n  local: {target: local}\n")
    folder = root / "connectors" / "pets"
    folder.mkdir(parents=True)
    connector = {"apiVersion": "connectorops/v1", "kind": "Connector", "metadata": {"name": "pets"},
                 "spec": {"definition": {"openapi": "openapi.yaml"}}}  # fmt: skip
    (folder / "connector.yaml").write_text(yaml.safe_dump(connector))
    operation = {"operationId": "List", "responses": {"200": {"description": "ok"}}}
    swagger = {"swagger": "2.0", "info": {"title": "Pets", "version": "1"}, "host": "pets.example.com",
               "paths": {"/pets": {"get": operation}}}  # fmt: skip
    (folder / "openapi.yaml").write_text(yaml.safe_dump(swagger))
    return folder, swagger


def test_help_imports_no_validator_settings_pulumi_or_rich_rendering(tmp_path: Path) -> None:
    code, modules = _loaded(["--help"], tmp_path)
    assert code == 0
    assert _heavy(modules) == []
    assert "rich.console" not in modules and "pydantic" not in modules
    # argparse, not typer/click (~50 ms); no dataclass module either: `dataclasses` imports `inspect` (~15 ms)
    assert {"typer", "click", "dataclasses", "inspect"} & modules == set()


def test_validate_with_a_warm_cache_never_imports_the_openapi_validator(tmp_path: Path) -> None:
    _pets_repo(tmp_path)
    code, cold = _loaded(["validate"], tmp_path)
    assert code == 0 and "jsonschema_rs" in cold  # judged once (proven clean, so no openapi_spec_validator)...
    code, warm = _loaded(["validate"], tmp_path)
    assert code == 0
    assert _heavy(warm) == []  # ...then answered from the verdict cache
    # the whole report is remembered: neither the spec models nor the definitions pipeline are loaded
    assert {"connectorops.spec.models", "connectorops.definitions.resolve"} & warm == set()
    assert {"connectorops.spec.models", "connectorops.definitions.resolve"} <= cold


def test_importing_the_models_reads_no_source_for_field_descriptions() -> None:
    """Attribute docstrings are read when a JSON Schema is generated, not at every start-up (~25 ms)."""
    probe = (
        "import linecache, json\n"
        "import connectorops.spec.models\n"
        "print(json.dumps(sorted(f for f in linecache.cache if f.endswith('.py'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert [f for f in json.loads(result.stdout) if "connectorops" in f] == []


def test_policy_models_build_their_validators_only_when_a_policy_file_is_validated(tmp_path: Path) -> None:
    """A repository without policies/ never pays for building the policy models' validators."""
    probe = (
        "import json\n"
        "from connectorops.policy import sharing_model\n"
        "from connectorops.policy.certification import policy\n"
        "models = [sharing_model.SharingPolicyDocument, policy.CertificationPolicyDocument]\n"
        "before = [m.__pydantic_complete__ for m in models]\n"
        "sharing_model.SharingPolicyDocument.model_validate({})\n"
        "print(json.dumps([before, sharing_model.SharingPolicyDocument.__pydantic_complete__]))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert json.loads(result.stdout) == [[False, False], True], result.stderr[-2000:]


def test_a_second_plan_of_an_unchanged_repository_loads_neither_models_nor_yaml_nor_definitions(
    tmp_path: Path,
) -> None:
    """The desired state is remembered (engine/desired_memo.py): only the target is asked again."""
    folder, swagger = _pets_repo(tmp_path)
    loading = {
        "connectorops.spec.models",
        "yaml",
        "connectorops.definitions.resolve",
        "connectorops.policy.certification.certify",
    }
    code, cold = _loaded(["plan"], tmp_path)
    assert code == 2 and loading <= cold
    code, warm = _loaded(["plan"], tmp_path)
    assert code == 2 and loading & warm == set()
    (folder / "openapi.yaml").write_text(yaml.safe_dump({**swagger, "host": "pets.contoso.com"}))
    code, edited = _loaded(["plan"], tmp_path)  # an edit is seen: loaded again
    assert code == 2 and loading <= edited
