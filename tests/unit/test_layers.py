"""Layers: the core (spec, definitions, policy, engine) never imports the shell, and modules form no cycles.

Every module under src/ is parsed with `ast` (nothing is imported). Imports inside functions and under
TYPE_CHECKING count too: they are arrows in the design all the same. What the code has today and the
redesign removes is listed in KNOWN_*; a new arrow fails, and so does a listed one that is gone (the list
must shrink with the code, never hide a fixed violation).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "connectorops"
CORE = ("spec", "definitions", "policy", "engine", "render", "tags", "errors", "canonical", "secret_refs")
SHELL = ("gitops", "commands", "report", "emulator", "pulumi_stack", "cli")

# (importing module, imported module) pairs from core to shell that exist today.
KNOWN_CORE_TO_SHELL: set[tuple[str, str]] = set()
# Import cycles between modules that exist today, each as the sorted tuple of its modules.
KNOWN_CYCLES: set[tuple[str, ...]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules `name` imports (absolute and relative), resolved to existing modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports pkg.mod when that is a module, else a name of pkg.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            if target.startswith(PACKAGE):
                while target and target not in known:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def layer(module: str, layers: tuple[str, ...]) -> bool:
    parts = module.split(".")
    return len(parts) > 1 and parts[1] in layers


def core_to_shell(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(a, b) for a, targets in graph.items() if layer(a, CORE) for b in targets if layer(b, SHELL)}


def cycles(graph: dict[str, set[str]]) -> set[tuple[str, ...]]:
    """Strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: set[tuple[str, ...]] = set()
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    result.add(tuple(sorted(component)))
    return result


def test_the_walker_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    known = {
        "connectorops.engine.plan",
        "connectorops.engine.guards",
        "connectorops.gitops.lease",
        "connectorops.engine",
    }
    source = tmp_path / "plan.py"
    source.write_text(
        "from . import guards\ndef f():\n    from connectorops.gitops.lease import Lease\n",
        encoding="utf-8",
    )
    assert imports_of("connectorops.engine.plan", source, known) == {
        "connectorops.engine.guards",
        "connectorops.gitops.lease",
    }


def test_cycle_finder_finds_a_two_module_cycle_and_ignores_a_chain() -> None:
    graph = {"a": {"b"}, "b": {"a", "c"}, "c": set(), "d": {"c"}}
    assert cycles(graph) == {("a", "b")}


def test_the_core_imports_no_new_shell_module() -> None:
    found = core_to_shell(import_graph())
    assert found - KNOWN_CORE_TO_SHELL == set(), "the core must not import the shell (pass a callable in instead)"
    assert KNOWN_CORE_TO_SHELL - found == set(), "a listed violation is gone: remove it from KNOWN_CORE_TO_SHELL"


def test_no_new_import_cycle() -> None:
    found = cycles(import_graph())
    assert found - KNOWN_CYCLES == set(), "new import cycle between modules"
    assert KNOWN_CYCLES - found == set(), "a listed cycle is gone: remove it from KNOWN_CYCLES"


# Target implementations (and the transport under them) sit behind engine/target.py: the core never names them.
TARGETS = ("targets",)


def test_the_core_imports_no_target_implementation() -> None:
    graph = import_graph()
    found = {(a, b) for a, targets in graph.items() if layer(a, CORE) for b in targets if layer(b, TARGETS)}
    assert found == set(), "the core talks to targets only through engine/target.py's protocol"
