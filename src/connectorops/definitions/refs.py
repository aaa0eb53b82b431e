"""$ref handling: refs stay inside the document or point to files inside the connector folder.

File refs are inlined (ARM takes one self-contained document); URL refs, path escapes and
refs that point nowhere are errors naming the file and JSON pointer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectorops.errors import ConnectoropsError, DefinitionError, Problem
from connectorops.spec.source import normalize_relative

# Reads a repo-relative file and returns its parsed content.
DocumentReader = Callable[[str], Any]


def pointer_escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_unescape(token: str) -> str:
    """RFC 6901, the inverse of `pointer_escape`: '~1' -> '/', then '~0' -> '~'."""
    return token.replace("~1", "/").replace("~0", "~")


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer ("" or "/a/b"); KeyError if it is not there."""
    node = document
    if pointer in ("", "/"):
        return node
    if not pointer.startswith("/"):
        raise KeyError(pointer)
    for raw in pointer[1:].split("/"):
        token = pointer_unescape(raw)
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(pointer)
    return node


def follow_local_ref(document: Any, node: Any) -> Any:
    """What a local `$ref` ("#/parameters/x") points at; `node` itself when it is no local ref or dangles."""
    if not (isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/")):
        return node
    try:
        target = resolve_pointer(document, node["$ref"][1:])
    except KeyError:
        return node
    return node if target is None else target


def bundle_refs(document: Any, *, file: str, folder: str, read: DocumentReader) -> Any:
    """Inline refs to files in `folder`; check every internal ref resolves. Returns a new document."""
    if _only_resolving_internal_refs(document):  # nothing to inline or report: a copy is the result
        return _copy(document)
    bundler = _Bundler(folder=folder, read=read)
    result = bundler.walk(document, file=file, root=document, pointer="", stack=())
    internal_problems = check_internal_refs(result, file)
    if internal_problems:
        raise DefinitionError(
            internal_problems[0].message, file=file, field=internal_problems[0].field, hint=internal_problems[0].hint
        )
    return result


def _only_resolving_internal_refs(document: Any) -> bool:
    """Every `$ref` anywhere is a `#...` pointer that resolves: bundling would copy the document unchanged.

    Stricter than the two walks it spares (it also looks under siblings and non-string `$ref`s);
    False only means the full walk runs and words any problem as it always did.
    """
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref is not None:
                if not (isinstance(ref, str) and ref.startswith("#")):
                    return False
                try:
                    resolve_pointer(document, ref[1:])
                except KeyError:
                    return False
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    return True


def _copy(node: Any) -> Any:
    """A deep copy of the dicts and lists, values kept as they are (types included)."""
    if isinstance(node, dict):
        return {k: _copy(v) if isinstance(v, dict | list) else v for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) if isinstance(v, dict | list) else v for v in node]
    return node


def check_internal_refs(document: Any, file: str) -> list[Problem]:
    """Every `#/...` ref in the document must resolve inside it."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    resolve_pointer(document, ref[1:] if ref.startswith("#") else "\x00")
                except KeyError:
                    problems.append(
                        Problem(
                            f"$ref {ref!r} points to nothing in the document",
                            file=file,
                            field=f"{pointer}/$ref",
                            code="BadRef",
                            hint="fix the reference or add the missing definition",
                        )
                    )
            stack.extend((v, f"{pointer}/{pointer_escape(k)}") for k, v in node.items() if k != "$ref")
        elif isinstance(node, list):
            stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(node))
    return problems


class _Bundler:
    def __init__(self, *, folder: str, read: DocumentReader) -> None:
        self.folder = folder
        self.read = read
        self.cache: dict[str, Any] = {}

    def walk(self, node: Any, *, file: str, root: Any, pointer: str, stack: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [
                self.walk(v, file=file, root=root, pointer=f"{pointer}/{i}", stack=stack) for i, v in enumerate(node)
            ]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            return self.follow(node, ref, file=file, root=root, pointer=pointer, stack=stack)
        return {
            k: self.walk(v, file=file, root=root, pointer=f"{pointer}/{pointer_escape(k)}", stack=stack)
            for k, v in node.items()
        }

    def follow(
        self, node: dict[str, Any], ref: str, *, file: str, root: Any, pointer: str, stack: tuple[str, ...]
    ) -> Any:
        where = f"{pointer}/$ref"
        target, _, fragment = ref.partition("#")
        if "://" in target or target.startswith("//"):
            raise DefinitionError(
                f"$ref to a URL ({ref!r}) is not allowed",
                file=file,
                field=where,
                code="RefToUrl",
                hint="copy the schema into the document or into a file in the connector folder",
            )
        if not target and not stack:
            return dict(node)  # an internal ref of the main document stays a ref
        if not target:
            target_file = file  # internal ref of an inlined file: inline from that file
        else:
            base = file.rsplit("/", 1)[0] if "/" in file else ""
            target_file = normalize_relative(target, base=base, field=where, file=file)
            if not (target_file + "/").startswith(self.folder.rstrip("/") + "/"):
                raise DefinitionError(
                    f"$ref {ref!r} points outside the connector folder {self.folder}",
                    file=file,
                    field=where,
                    code="RefEscapes",
                    hint="keep referenced files inside the connector folder",
                )
        key = f"{target_file}#{fragment}"
        if key in stack:
            raise DefinitionError(
                f"$ref {ref!r} is circular across files ({' -> '.join(stack)} -> {key})",
                file=file,
                field=where,
                code="CircularRef",
                hint="move the recursive schema into the main document's definitions",
            )
        if target_file not in self.cache:
            self.cache[target_file] = self._read(target_file, ref, file=file, where=where)
        target_root = self.cache[target_file]
        try:
            fragment_value = resolve_pointer(target_root, fragment)
        except KeyError:
            raise DefinitionError(
                f"$ref {ref!r}: {fragment or '/'} does not exist in {target_file}",
                file=file,
                field=where,
                code="BadRef",
            ) from None
        return self.walk(fragment_value, file=target_file, root=target_root, pointer=fragment, stack=(*stack, key))

    def _read(self, target_file: str, ref: str, *, file: str, where: str) -> Any:
        """The referenced file; an error about the file as a whole names the $ref that led to it."""
        try:
            return self.read(target_file)
        except ConnectoropsError as error:
            if error.problem.line is not None or error.problem.field is not None:
                raise
            message = error.problem.message
        except OSError as error:
            message = f"cannot read {target_file}: {error.strerror or error}"
        raise DefinitionError(f"$ref {ref!r}: {message}", file=file, field=where, code="BadRef")
