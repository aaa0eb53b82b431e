"""Hardened YAML loading that remembers where every value came from.

Refuses what could hang or exhaust the process (alias bombs, deep nesting, huge files) and
what is ambiguous (duplicate keys, several documents, non-UTF-8), always naming file:line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, StreamEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from connectorops.errors import SpecError

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
# Nodes after expanding every alias. A 1 MiB file of plain values stays far below this;
# the classic 9-level "billion laughs" expands to 10**9 and is refused before construction.
MAX_EXPANDED_NODES = 1_000_000
MERGE_TAG = "tag:yaml.org,2002:merge"
INT_TAG = "tag:yaml.org,2002:int"
# Python refuses to convert integers of more than 4300 digits (a ValueError while constructing).
MAX_INT_CHARACTERS = 4000
STR_TAG = "tag:yaml.org,2002:str"

PathElement = str | int
NodePath = tuple[PathElement, ...]


@dataclass(frozen=True)
class SourceMap:
    """Line/column (1-based) of every value and mapping key, found by walking the YAML node graph.

    Paths are the keys/indexes of the loaded data, e.g. ("spec", "sharing", 0, "role").
    """

    root: Node
    lines: tuple[str, ...] = ()  # the source text, for checks the node graph cannot answer

    def _walk(self, path: NodePath) -> tuple[Node | None, Node | None, int]:
        """(value node, key node of the last step, how many steps matched)."""
        node: Node = self.root
        key_node: Node | None = None
        for matched, element in enumerate(path):
            child = _child(node, element)
            if child is None:
                return None, None, matched
            key_node, node = child
        return node, key_node, len(path)

    def locate(self, path: tuple[str | int, ...]) -> tuple[int, int] | None:
        """Where the value at `path` starts; None when the path does not exist."""
        node, _, _ = self._walk(path)
        return _mark(node) if node is not None else None

    def locate_key(self, path: tuple[str | int, ...]) -> tuple[int, int] | None:
        """Where the mapping key of the last path element is (the value for sequence items)."""
        node, key_node, _ = self._walk(path)
        if node is None:
            return None
        return _mark(key_node if key_node is not None else node)

    def locate_nearest(self, path: tuple[str | int, ...]) -> tuple[tuple[int, int], int]:
        """Position of the deepest existing value along `path`, and how many elements matched."""
        matched_path = path
        while True:
            node, _, matched = self._walk(matched_path)
            if node is not None:
                return _mark(node), matched
            matched_path = matched_path[:matched]


@dataclass(frozen=True)
class CommentedOutValue:
    """`key: #0F6CBD`: YAML reads the value as a comment, so the key holds null."""

    path: NodePath
    key: str
    comment: str
    line: int
    column: int


# After the key: the colon, whitespace, then '#' directly followed by text (a value, not "# a remark").
_VALUE_AS_COMMENT = re.compile(r"\s*:\s+(#[^\s#][^#]*?)\s*$")


def commented_out_values(source_map: SourceMap) -> list[CommentedOutValue]:
    """Every mapping value that is null only because what followed the colon was read as a comment."""
    found: list[CommentedOutValue] = []
    stack: list[tuple[Node, NodePath]] = [(source_map.root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:  # aliases share nodes
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((child, (*path, index)) for index, child in enumerate(node.value))
        elif isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    continue
                key = key_node.value
                hit = _commented_out(source_map.lines, key_node, value_node)
                if hit is not None:
                    found.append(CommentedOutValue((*path, key), key, hit, *_mark(key_node)))
                stack.append((value_node, (*path, key)))
    return found


def _commented_out(lines: tuple[str, ...], key_node: ScalarNode, value_node: Node) -> str | None:
    if not (isinstance(value_node, ScalarNode) and value_node.tag.endswith(":null") and value_node.value == ""):
        return None
    end = key_node.end_mark
    if end.line >= len(lines):
        return None
    match = _VALUE_AS_COMMENT.match(lines[end.line], end.column)
    return match.group(1) if match else None


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _child(node: Node, element: PathElement) -> tuple[Node | None, Node] | None:
    if isinstance(node, SequenceNode) and isinstance(element, int):
        if 0 <= element < len(node.value):
            return None, node.value[element]
        return None
    if isinstance(node, MappingNode):
        # Later keys win in YAML merges; explicit keys come after merged ones.
        for key_node, value_node in reversed(node.value):
            if isinstance(key_node, ScalarNode) and _same_key(_scalar_value(key_node), element):
                return key_node, value_node
    return None


def _same_key(key: object, element: PathElement) -> bool:
    return key == element or str(key) == str(element)


def _scalar_value(node: ScalarNode) -> object:
    if node.tag == STR_TAG:  # the common case; skips building a constructor per key
        return node.value
    try:
        return SafeConstructor().construct_object(node)
    except yaml.YAMLError:
        return node.value


class _NoDuplicateKeys(SafeConstructor):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            _refuse_duplicate_keys(node)
        return super().construct_mapping(node, deep=deep)


class _Hardening(Composer, _NoDuplicateKeys):
    """Bounds nesting while composing and refuses duplicate keys; mixed into a loader below."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):  # type: ignore[attr-defined]
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise _TooDeep(mark.line + 1, mark.column + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _PythonLoader(_Hardening, yaml.SafeLoader):
    """Pure-Python scanner and parser: used when PyYAML was built without libyaml."""


_Loader: Any = _PythonLoader
_FastLoader: Any = None
if yaml.__with_libyaml__:  # about 10x faster scanning/parsing; composing stays ours (Python)
    from yaml._yaml import CParser

    class _LibyamlLoader(_Hardening, CParser, Resolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _Loader = _LibyamlLoader

    class _ComposedInC(CParser, _NoDuplicateKeys, Resolver):
        """libyaml composes the whole node graph in C (several times faster than _Hardening's Python composer)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _NoDuplicateKeys.__init__(self)
            Resolver.__init__(self)

    _FastLoader = _ComposedInC


class _TooDeep(Exception):
    def __init__(self, line: int, column: int) -> None:
        self.line, self.column = line, column


class _DuplicateKey(Exception):
    def __init__(self, key: object, first: int, second: int, column: int) -> None:
        self.key, self.first, self.second, self.column = key, first, second, column


def _refuse_duplicate_keys(node: MappingNode) -> None:
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag == MERGE_TAG:
            continue
        key = _scalar_value(key_node)
        try:
            first = seen.get(key)
        except TypeError:
            continue
        line = key_node.start_mark.line + 1
        if first is not None:
            raise _DuplicateKey(key, first, line, key_node.start_mark.column + 1)
        seen[key] = line


def _measure(root: Node, file: str) -> None:
    """Refuse graphs that expand to too many nodes or too deep (via aliases) or that loop."""
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    in_progress: set[int] = set()

    def visit(node: Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            if depth + heights[key] > MAX_DEPTH:
                raise _TooDeep(*_mark(node))
            return sizes[key], heights[key]
        if key in in_progress:
            line, column = _mark(node)
            raise SpecError(
                "recursive YAML alias (a value contains itself)",
                code="yaml.recursive_alias",
                file=file,
                line=line,
                column=column,
                hint="anchors (&name) may only be reused, not nested inside themselves",
            )
        if depth > MAX_DEPTH:
            raise _TooDeep(*_mark(node))
        if isinstance(node, ScalarNode) and node.tag == INT_TAG and len(node.value) > MAX_INT_CHARACTERS:
            line, column = _mark(node)
            raise SpecError(
                f"a number of {len(node.value):,} digits is too long",
                code="yaml.huge_number",
                file=file,
                line=line,
                column=column,
                hint="quote it if it is text",
            )
        in_progress.add(key)
        size, height = 1, 0
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        for child in children:
            child_size, child_height = visit(child, depth + 1)
            size += child_size
            height = max(height, child_height + 1)
            if size > MAX_EXPANDED_NODES:
                line, column = _mark(node)
                raise SpecError(
                    f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} values (alias bomb?)",
                    code="yaml.alias_bomb",
                    file=file,
                    line=line,
                    column=column,
                    hint="use fewer nested anchors/aliases (*name); write the values out instead",
                )
        in_progress.discard(key)
        sizes[key], heights[key] = size, height
        return size, height

    visit(root, 1)


def decode_utf8(data: bytes, file: str) -> str:
    """Strict UTF-8 (a BOM is allowed); anything else names the first bad byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpecError(
            "file is UTF-16 encoded", file=file, line=1, hint="save the file as UTF-8", code="yaml.encoding"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise SpecError(
            f"not valid UTF-8: byte 0x{data[error.start]:02x} at byte offset {error.start}",
            code="yaml.encoding",
            file=file,
            line=line,
            column=column,
            hint="save the file as UTF-8",
        ) from None


def load_yaml(data: bytes, file: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document safely; every user mistake raises SpecError naming file:line."""
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(
            f"file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,} bytes (1 MiB)",
            code="yaml.too_large",
            file=file,
            line=1,
            hint="split the file or remove unused content",
        )
    text = decode_utf8(data, file)
    _refuse_unprintable(text, file)
    fast = _load_fast(text, file)
    if fast is not None:
        return fast
    loader = _Loader(text)
    try:
        root = _compose_single(loader, file)
        _measure(root, file)
        value = loader.construct_document(root)
    except _TooDeep as error:
        raise _too_deep(file, error.line, error.column) from None
    except _DuplicateKey as error:
        raise SpecError(
            f"duplicate key {error.key!r} (first defined on line {error.first})",
            code="yaml.duplicate_key",
            file=file,
            line=error.second,
            column=error.column,
            hint="remove one of the two entries",
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if "nesting depth" in str(error.problem):  # libyaml's own bound (1000), hit while reading ahead
            raise _too_deep(file, mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
        raise SpecError(
            f"invalid YAML: {error.problem or error.context}",
            code="yaml.syntax",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="check indentation, quotes and colons around this position",
        ) from None
    except yaml.YAMLError as error:
        raise SpecError(f"invalid YAML: {error}", file=file, code="yaml.syntax") from None
    except RecursionError:
        raise SpecError(
            "YAML structure is too deeply nested", file=file, hint="flatten the structure", code="yaml.too_deep"
        ) from None
    finally:
        loader.dispose()
    return value, SourceMap(root, tuple(text.splitlines()))


def _load_fast(text: str, file: str) -> tuple[Any, SourceMap] | None:
    """Compose in C, then the same checks; None on any problem, which the hardened loader then names.

    The C composer has no depth bound of ours, but _measure checks every path (aliases too)
    against MAX_DEPTH, so what loads here would load there, with the same value and positions.
    """
    if _FastLoader is None:
        return None
    loader = _FastLoader(text)
    try:
        root = loader.get_single_node()
        if root is None or (isinstance(root, ScalarNode) and root.tag.endswith(":null") and not root.value):
            return None
        _measure(root, file)
        return loader.construct_document(root), SourceMap(root)
    except Exception:
        return None
    finally:
        loader.dispose()


def _too_deep(file: str, line: int | None, column: int | None) -> SpecError:
    return SpecError(
        f"YAML nesting deeper than {MAX_DEPTH} levels",
        code="yaml.too_deep",
        file=file,
        line=line,
        column=column,
        hint="flatten the structure",
    )


def _refuse_unprintable(text: str, file: str) -> None:
    """Control characters YAML forbids, named with their position (PyYAML gives only an offset)."""
    match = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if match is None:
        return
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    raise SpecError(
        f"control character U+{ord(match.group()):04X} is not allowed in YAML",
        code="yaml.control_character",
        file=file,
        line=line,
        column=column,
        hint="remove the character or save the file as plain UTF-8 text",
    )


def _compose_single(loader: Any, file: str) -> Node:
    loader.get_event()  # StreamStart
    root: Node | None = None
    if not loader.check_event(StreamEndEvent):
        root = loader.compose_document()
    if not loader.check_event(StreamEndEvent):
        mark = loader.peek_event().start_mark
        raise SpecError(
            "more than one YAML document in this file",
            code="yaml.multiple_documents",
            file=file,
            line=mark.line + 1,
            column=mark.column + 1,
            hint="remove the '---' separator: one file holds one document",
        )
    if root is None or (isinstance(root, ScalarNode) and root.tag.endswith(":null") and not root.value):
        raise SpecError("file is empty", file=file, line=1, hint="the file needs a YAML mapping", code="yaml.empty")
    return root
