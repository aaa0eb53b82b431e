"""The demo's scratch workspace: a copy of the repository's connectors and policies in its own git repo.

The demo edits, commits and deletes only here, never in the user's checkout.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from git import Repo

# Written into every workspace we create: only such a folder is ever wiped by a later run.
MARKER = ".connectorops-demo"
COPIED = ("connectorops.yaml", "connectors", "policies")
DEMO_AUTHOR = {
    "GIT_AUTHOR_NAME": "connectorops demo",
    "GIT_AUTHOR_EMAIL": "demo@example.invalid",
    "GIT_COMMITTER_NAME": "connectorops demo",
    "GIT_COMMITTER_EMAIL": "demo@example.invalid",
}
ENV_REFERENCE = re.compile(r"\{\s*env:\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


class WorkspaceError(Exception):
    """The workspace cannot be prepared safely (it is not ours, or overlaps the source)."""


class DemoWorkspace:
    """A git repository holding a copy of `connectorops.yaml`, `connectors/` and `policies/`."""

    def __init__(self, root: Path, repo: Repo) -> None:
        self.root = root
        self._repo = repo

    @classmethod
    def create(cls, source: Path, root: Path) -> DemoWorkspace:
        """Wipe `root` (only if an earlier demo made it), copy the source files, commit them."""
        source, root = source.resolve(), root.resolve()
        if root == source or root in source.parents:
            raise WorkspaceError(f"the workspace {root} would contain the source {source}; choose another folder")
        _wipe_previous(root)
        root.mkdir(parents=True)
        (root / MARKER).write_text("made by scripts/demo.py; wiped and re-created by its next run\n")
        # The emulator's state lives under .connectorops/ of the workspace: not part of "git".
        (root / ".gitignore").write_text(f".connectorops/\n{MARKER}\n")
        for name in COPIED:
            origin = source / name
            if origin.is_dir():
                shutil.copytree(origin, root / name)
            elif origin.is_file():
                shutil.copy2(origin, root / name)
            else:
                raise WorkspaceError(f"{origin} is missing: run the demo from a connectorops checkout")
        repo = Repo.init(root, initial_branch="main")
        repo.git.update_environment(**DEMO_AUTHOR)
        workspace = cls(root, repo)
        workspace.commit("Connectors and policies as in the connectorops repository")
        return workspace

    @property
    def head(self) -> str:
        return self._repo.head.commit.hexsha

    def commit(self, message: str) -> str:
        self._repo.git.add("-A")
        self._repo.git.commit("-q", "-m", message)
        return self.head

    def restore(self, path: str, revision: str = "HEAD") -> None:
        """Put `path` back as it was at `revision` (working tree and index)."""
        self._repo.git.checkout(revision, "--", path)

    def remove(self, path: str) -> None:
        self._repo.git.rm("-r", "-q", path)

    def env_secret_names(self) -> list[str]:
        """Every `{env: NAME}` secret reference in the connectors' YAML."""
        names: set[str] = set()
        for spec in sorted((self.root / "connectors").glob("*/connector.yaml")):
            names.update(ENV_REFERENCE.findall(spec.read_text(encoding="utf-8")))
        return sorted(names)


def _wipe_previous(root: Path) -> None:
    if not root.exists():
        return
    if root.is_dir() and (root / MARKER).is_file():
        shutil.rmtree(root)
        return
    if root.is_dir() and not any(root.iterdir()):
        root.rmdir()
        return
    raise WorkspaceError(f"{root} exists and was not made by the demo (no {MARKER} file); refusing to wipe it")


def remove_operation(openapi_file: Path, operation_id: str) -> None:
    """Delete one operation (method block) from an OpenAPI YAML file, keeping the rest byte for byte.

    Text surgery rather than load/dump, so the diff a user would see in a pull request is just the
    removed lines and the file keeps its comments and layout.
    """
    lines = openapi_file.read_text(encoding="utf-8").splitlines(keepends=True)
    marker = next((i for i, line in enumerate(lines) if line.strip() == f"operationId: {operation_id}"), None)
    if marker is None or marker == 0:
        raise WorkspaceError(f"{openapi_file} has no operation {operation_id!r}")
    start = marker - 1  # the `delete:` / `get:` line just above operationId
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    openapi_file.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")


def remove_json_operation(definition: Path, operation_id: str) -> None:
    """Delete one operation (and a path left without any) from a JSON OpenAPI file; 2-space indent kept."""
    swagger = json.loads(definition.read_text(encoding="utf-8"))
    for path, item in list(swagger.get("paths", {}).items()):
        for method, operation in list(item.items()):
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                del item[method]
                if not any(isinstance(v, dict) and "operationId" in v for v in item.values()):
                    del swagger["paths"][path]
                definition.write_text(json.dumps(swagger, indent=2) + "\n", encoding="utf-8")
                return
    raise WorkspaceError(f"{definition} has no operation {operation_id!r}")
