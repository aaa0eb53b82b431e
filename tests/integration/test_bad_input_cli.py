"""Hostile files through the real CLI (issue 10, item 13): exit 1, file and line/field named, no traceback,
no hang, nothing written.

Runs that could hang (FIFOs, sockets) go through a subprocess with a timeout so a regression fails
instead of blocking the suite; the others run the CLI in process (cli_runner). "Nothing written" means: no file of
the repository changed or appeared outside the emulator's state folder, no plan file was written,
and the local emulator holds no customApi.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_runner import invoke
from minimal_repo import CONFIG, CONNECTOR, OPENAPI

pytestmark = pytest.mark.skipif(os.name == "nt", reason="symlinks and FIFOs")

CONNECTOR_FILE = "connectors/orders/connector.yaml"
COMMANDS = [("validate",), ("plan",), ("apply", "--yes")]
STATE_DIR = ".connectorops"


def write(root: Path, relative: str, content: str | bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)


def make_repo(root: Path, connector: str = CONNECTOR) -> Path:
    write(root, "connectorops.yaml", CONFIG)
    write(root, CONNECTOR_FILE, connector)
    write(root, "connectors/orders/openapi.yaml", OPENAPI)
    return root


def with_definition(root: Path, kind: str, value: str) -> None:
    write(root, CONNECTOR_FILE, CONNECTOR.replace("openapi: openapi.yaml", f"{kind}: {value}"))


def snapshot(root: Path) -> dict[str, str]:
    """Every entry of the repository outside the emulator's state: kind + content (symlinks not followed)."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not (Path(folder) == root and d == STATE_DIR)]
        for name in [*dirs, *files]:
            path = Path(folder) / name
            mode = path.lstat().st_mode
            relative = str(path.relative_to(root))
            if stat.S_ISLNK(mode):
                found[relative] = "link:" + os.readlink(path)
            elif stat.S_ISREG(mode):
                found[relative] = path.read_bytes().hex()
            else:
                found[relative] = f"mode:{stat.S_IFMT(mode)}"
    return found


def custom_apis(root: Path) -> int:
    database = root / STATE_DIR / "emulator.db"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        (count,) = connection.execute(
            "SELECT COUNT(*) FROM resources WHERE rtype = 'microsoft.web/customapis'"
        ).fetchone()
    return int(count)


def run_in_process(root: Path, *args: str) -> tuple[int, str]:
    result = invoke(["--repo", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def run_subprocess(root: Path, *args: str) -> tuple[int, str]:
    """The CLI in its own process: a hang becomes a TimeoutExpired failure, not a stuck suite."""
    completed = subprocess.run(
        [sys.executable, "-c", "from connectorops.cli import main; main()", "--repo", str(root), *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return completed.returncode, completed.stdout + completed.stderr


def assert_refused(
    root: Path, args: tuple[str, ...], *fragments: str, run: Callable[..., tuple[int, str]] = run_in_process
) -> str:
    """Exit 1, no traceback, every fragment in the output, nothing written."""
    before = snapshot(root)
    code, output = run(root, *args)
    assert "Traceback" not in output, output
    assert code == 1, output
    flat = " ".join(output.split())  # rich wraps long lines
    for fragment in fragments:
        assert fragment in flat, (fragment, output)
    assert snapshot(root) == before
    assert custom_apis(root) == 0
    return flat


# --- 1. symlink loops -------------------------------------------------------------------------


def loop_as_definition(root: Path) -> None:
    (root / "connectors/orders/openapi.yaml").unlink()
    (root / "connectors/orders/openapi.yaml").symlink_to("openapi.yaml")


def two_link_cycle(root: Path) -> None:
    with_definition(root, "openapi", "a.yaml")
    (root / "connectors/orders/a.yaml").symlink_to("b.yaml")
    (root / "connectors/orders/b.yaml").symlink_to("a.yaml")


def loop_as_ref_target(root: Path) -> None:
    write(root, "connectors/orders/openapi.yaml", OPENAPI.replace("{description: OK}", "{$ref: 'r.yaml#/ok'}"))
    (root / "connectors/orders/r.yaml").symlink_to("r.yaml")


def loop_as_paconn_folder(root: Path) -> None:
    with_definition(root, "paconn", "paconn")
    (root / "connectors/orders/paconn").symlink_to("paconn")


def loop_in_paconn_folder(root: Path) -> None:
    with_definition(root, "paconn", "paconn")
    (root / "connectors/orders/paconn").mkdir()
    (root / "connectors/orders/paconn/apiDefinition.swagger.json").symlink_to("apiDefinition.swagger.json")


LOOPS: dict[str, tuple[Callable[[Path], None], str]] = {
    "definition": (loop_as_definition, f"{CONNECTOR_FILE}: spec.definition.openapi"),
    "two-link-cycle": (two_link_cycle, f"{CONNECTOR_FILE}: spec.definition.openapi"),
    "ref-target": (loop_as_ref_target, "connectors/orders/openapi.yaml: /paths/~1orders/get/responses/200/$ref"),
    "paconn-folder": (loop_as_paconn_folder, f"{CONNECTOR_FILE}: spec.definition.paconn"),
    "paconn-file": (loop_in_paconn_folder, f"{CONNECTOR_FILE}: spec.definition.paconn"),
}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("case", sorted(LOOPS))
def test_symlink_loop_is_refused_naming_file_and_field(tmp_path: Path, case: str, command: tuple[str, ...]) -> None:
    root = make_repo(tmp_path / "repo")
    make_loop, where = LOOPS[case]
    make_loop(root)
    assert_refused(root, command, where, "symlink loop")


# --- 2. saved plans nested absurdly deep --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"actions": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"schemaVersion": 1, "actions": [{"body": {"properties": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}}]}",
    ],
    ids=["actions", "inside-a-body"],
)
def test_deeply_nested_plan_file_is_a_plan_error(tmp_path: Path, text: str) -> None:
    root = make_repo(tmp_path / "repo")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(text)
    output = assert_refused(root, ("apply", "--plan", str(plan_file), "--yes"), f"{plan_file}:1:", "deeper than 256")
    assert "RecursionError" not in output
    assert not (root / STATE_DIR).exists()  # refused before the emulator was started


# --- 3. FIFOs, sockets and other non-regular files ---------------------------------------------


def fifo_at(relative: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()
        os.mkfifo(path)

    return make


def icon_fifo(root: Path) -> None:
    write(root, CONNECTOR_FILE, CONNECTOR + "  icon: icon.png\n")
    fifo_at("connectors/orders/icon.png")(root)


NON_REGULAR: dict[str, tuple[Callable[[Path], None], str, list[tuple[str, ...]]]] = {
    "definition": (fifo_at("connectors/orders/openapi.yaml"), f"{CONNECTOR_FILE}: spec.definition.openapi", COMMANDS),
    "connector-yaml": (fifo_at(CONNECTOR_FILE), f"{CONNECTOR_FILE} is a named pipe (FIFO)", COMMANDS),
    "connectorops-yaml": (fifo_at("connectorops.yaml"), "connectorops.yaml is a named pipe (FIFO)", COMMANDS[:2]),
    "sharing-policy": (fifo_at("policies/sharing.yaml"), "policies/sharing.yaml is a named pipe (FIFO)", COMMANDS[:2]),
    "icon": (icon_fifo, f"{CONNECTOR_FILE}: spec.icon", COMMANDS[:2]),
}


@pytest.mark.parametrize(
    ("case", "command"),
    [(case, command) for case, (_, _, commands) in sorted(NON_REGULAR.items()) for command in commands],
)
def test_fifo_is_refused_without_hanging(tmp_path: Path, case: str, command: tuple[str, ...]) -> None:
    root = make_repo(tmp_path / "repo")
    make, where, _ = NON_REGULAR[case]
    make(root)
    assert_refused(root, command, where, "not a regular file", run=run_subprocess)


@pytest.fixture
def socket_definition(tmp_path: Path) -> Iterator[Path]:
    root = make_repo(tmp_path / "r")  # short: AF_UNIX paths are limited to ~100 bytes
    (root / "connectors/orders/openapi.yaml").unlink()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(root / "connectors/orders/openapi.yaml"))
    except OSError as error:
        server.close()
        pytest.skip(f"cannot bind a unix socket here: {error}")
    yield root
    server.close()


def test_socket_as_definition_is_refused(socket_definition: Path) -> None:
    assert_refused(socket_definition, ("validate",), f"{CONNECTOR_FILE}: spec.definition.openapi", "a socket")


def test_fifo_plan_file_is_refused_without_hanging(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    os.mkfifo(tmp_path / "plan.json")
    args = ("apply", "--plan", str(tmp_path / "plan.json"), "--yes")
    assert_refused(root, args, "the plan file is a named pipe (FIFO)", run=run_subprocess)


def test_directory_plan_file_is_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    (tmp_path / "plan.json").mkdir()
    assert_refused(root, ("apply", "--plan", str(tmp_path / "plan.json"), "--yes"), "the plan file is a directory")


# --- 4. a value YAML read as a comment ------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_unquoted_brand_color_is_refused_with_how_to_quote_it(tmp_path: Path, command: tuple[str, ...]) -> None:
    root = make_repo(tmp_path / "repo", CONNECTOR + "  brandColor: #0F6CBD\n")
    assert_refused(root, command, f"{CONNECTOR_FILE}:11:3: spec.brandColor", 'quote it: brandColor: "#0F6CBD"')


def test_a_real_comment_after_a_colon_is_not_a_lost_value(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", CONNECTOR.replace("  auth:", "  auth: # how connections sign in"))
    code, output = run_in_process(root, "validate")
    assert code == 0, output


# --- 6. DNS failure of a definition URL ---------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS[:2], ids=lambda c: c[0])
def test_dns_failure_names_connector_yaml_and_field(tmp_path: Path, command: tuple[str, ...]) -> None:
    root = make_repo(tmp_path / "repo")
    with_definition(root, "url", "https://no-such-host.invalid/openapi.json\n    sha256: " + "a" * 64)
    assert_refused(root, command, f"{CONNECTOR_FILE}: spec.definition.url", "cannot resolve no-such-host.invalid")


# --- 7. the OpenAPI validator's own exceptions ----------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_operation_without_responses_is_located(tmp_path: Path, command: tuple[str, ...]) -> None:
    root = make_repo(tmp_path / "repo")
    write(
        root, "connectors/orders/openapi.yaml", OPENAPI.replace('responses: {"200": {description: OK}}', "responses:")
    )
    output = assert_refused(root, command, "connectors/orders/openapi.yaml: /paths/~1orders/get/responses")
    assert "KeyError" not in output


# --- 8. connectorops.yaml environments ----------------------------------------------------------

ENVIRONMENTS = {
    "local-resource-group-dotdot": (
        "  local: {target: local, resourceGroup: ../../providers/x}\n",
        "connectorops.yaml:3:41: environments.local.resourceGroup",
    ),
    "resource-group-trailing-period": (
        "  local: {target: local, resourceGroup: rg-connectors.}\n",
        "connectorops.yaml:3:41: environments.local.resourceGroup",
    ),
    "state-dir-outside": (
        "  local: {target: local, stateDir: ../outside}\n",
        "connectorops.yaml:3:36: environments.local.stateDir",
    ),
    "state-dir-absolute": (
        "  local: {target: local, stateDir: /tmp/elsewhere}\n",
        "connectorops.yaml:3:36: environments.local.stateDir",
    ),
    "ca-bundle-missing": (
        "  local: {target: local}\n  dev:\n    target: azure\n"
        "    subscriptionId: 00000000-0000-0000-0000-000000000000\n"
        "    resourceGroup: rg\n    location: westeurope\n    caBundle: certs/ca.pem\n",
        "connectorops.yaml:9:15: environments.dev.caBundle",
    ),
}


@pytest.mark.parametrize("command", COMMANDS[:2], ids=lambda c: c[0])
@pytest.mark.parametrize("case", sorted(ENVIRONMENTS))
def test_environment_paths_are_refused(tmp_path: Path, case: str, command: tuple[str, ...]) -> None:
    root = make_repo(tmp_path / "repo")
    environments, where = ENVIRONMENTS[case]
    write(root, "connectorops.yaml", "default: local\nenvironments:\n" + environments)
    assert_refused(root, command, where)
    assert not (root / STATE_DIR).exists() and not (tmp_path / "outside").exists()


def test_ca_bundle_that_exists_is_accepted(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    environments, _ = ENVIRONMENTS["ca-bundle-missing"]
    write(root, "connectorops.yaml", "default: local\nenvironments:\n" + environments)
    write(root, "certs/ca.pem", "-----BEGIN CERTIFICATE-----\n")
    code, output = run_in_process(root, "validate", "--json")
    assert code == 0, output
    assert json.loads(output)["ok"] is True


# --- other hostile files: plan, not only validate -------------------------------------------------

HOSTILE = {
    "connector-is-a-list": (CONNECTOR_FILE, "- a\n- b\n", f"{CONNECTOR_FILE}:1:1"),
    "connector-empty": (CONNECTOR_FILE, "", f"{CONNECTOR_FILE}:1"),
    "connector-huge-integer": (
        CONNECTOR_FILE,
        CONNECTOR + "  displayName: " + "9" * 5000 + "\n",
        f"{CONNECTOR_FILE}:11",
    ),
    "definition-invalid-utf8": ("connectors/orders/openapi.yaml", OPENAPI.encode() + b"\xff\n", "openapi.yaml:13"),
    "definition-binary-garbage": ("connectors/orders/openapi.yaml", bytes(range(256)), "openapi.yaml:2:118"),
}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_by_every_command(tmp_path: Path, case: str, command: tuple[str, ...]) -> None:
    root = make_repo(tmp_path / "repo")
    relative, content, where = HOSTILE[case]
    write(root, relative, content)
    assert_refused(root, command, where)


def test_nan_in_a_json_definition_is_located(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    with_definition(root, "openapi", "openapi.json")
    write(root, "connectors/orders/openapi.json", '{"swagger": "2.0",\n  "x": NaN}')
    assert_refused(root, ("plan",), "connectors/orders/openapi.json:2:8", "NaN")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_lone_surrogate_escape_in_a_json_definition_is_located(tmp_path: Path, command: tuple[str, ...]) -> None:
    # json.loads accepts "\ud800"; encoding the document for ARM then raised UnicodeEncodeError (plan, apply)
    root = make_repo(tmp_path / "repo")
    with_definition(root, "openapi", "openapi.json")
    swagger = json.dumps(
        {
            "swagger": "2.0",
            "info": {"title": "Orders", "version": "1"},
            "host": "orders.contoso.com",
            "paths": {"/o": {"get": {"operationId": "O", "responses": {"200": {"description": "ok"}}}}},
        }
    )
    write(root, "connectors/orders/openapi.json", swagger.replace('"Orders"', '"Orders \\ud800"'))
    assert_refused(root, command, "connectors/orders/openapi.json:1:", "surrogate")
