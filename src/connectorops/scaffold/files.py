"""The starter repository of `connectorops init`: package-data templates -> {relative path: bytes}.

Template names map to repository paths: a leading `dot-` becomes `.` (package data keeps no
dotfiles), a `.tmpl` suffix is dropped (infra/__main__.py is not a module of this package).
Lines between `#@pulumi` and `#@end` and the Pulumi-only files are kept only with `--pulumi`.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from connectorops.errors import ConnectoropsError

TEMPLATES = "templates"
# Where the scaffolded workflows take the action from; `connectorops init --action` overrides it.
ACTION_REPOSITORY = "connectorops/connectorops"
PULUMI_ONLY = frozenset({"Pulumi.yaml", "infra/__main__.py"})
TEXT_SUFFIXES = (".yaml", ".yml", ".md", ".py", ".gitignore")
PULUMI_BLOCK_START = "#@pulumi"
PULUMI_BLOCK_END = "#@end"


def default_action(version: str) -> str:
    """`uses:` of the scaffolded workflows: the action of the same release as the installed CLI."""
    return f"{ACTION_REPOSITORY}@v{version}"


def starter_files(*, version: str, action: str, pulumi: bool) -> dict[str, bytes]:
    """Every file of a new repository, keyed by POSIX path relative to its root, in a stable order."""
    root = resources.files("connectorops.scaffold").joinpath(TEMPLATES)
    files: dict[str, bytes] = {}
    for relative, template in sorted(_walk(root, "")):
        path = _repository_path(relative)
        if path in PULUMI_ONLY and not pulumi:
            continue
        data = template.read_bytes()
        if path.endswith(TEXT_SUFFIXES):
            text = _pulumi_blocks(data.decode("utf-8"), keep=pulumi)
            data = text.replace("@@VERSION@@", version).replace("@@ACTION@@", action).encode("utf-8")
        files[path] = data
    return files


def write_new_files(root: Path, files: dict[str, bytes]) -> tuple[list[str], list[str]]:
    """Write each file that does not exist yet; never overwrite. Returns (written, kept as they were)."""
    written: list[str] = []
    kept: list[str] = []
    for relative, data in files.items():
        target = root / relative
        if target.exists() or target.is_symlink():
            kept.append(relative)
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("xb") as handle:  # "x": a file created meanwhile is not overwritten either
                handle.write(data)
        except OSError as error:
            raise ConnectoropsError(
                f"cannot write {target}: {error.strerror or error}",
                hint="choose a directory you can write to",
            ) from None
        written.append(relative)
    return written, kept


def _walk(node: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for child in node.iterdir():
        name = f"{prefix}{child.name}"
        if child.is_dir():
            found.extend(_walk(child, f"{name}/"))
        elif not child.name.endswith((".pyc", "__init__.py")):
            found.append((name, child))
    return found


def _repository_path(relative: str) -> str:
    parts = [("." + p[len("dot-") :]) if p.startswith("dot-") else p for p in relative.split("/")]
    path = "/".join(parts)
    return path.removesuffix(".tmpl")


def _pulumi_blocks(text: str, *, keep: bool) -> str:
    lines: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        marker = line.strip()
        if marker == PULUMI_BLOCK_START:
            inside = True
        elif marker == PULUMI_BLOCK_END:
            inside = False
        elif keep or not inside:
            lines.append(line)
    return "".join(lines)
