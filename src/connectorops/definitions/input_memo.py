"""A connector's verdict remembered with every question it asked the repository, for unchanged files.

The first run records each SourceTree call (exists, is_dir, list_dir, size, read_bytes as a sha256)
and its answer; a later run with the same connector document and code asks the same questions again
and, when every answer is unchanged, returns the stored verdict without parsing or validating. So a
hit costs a few reads and hashes; any edit, new or deleted file gives another answer, hence a miss.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from connectorops.definitions.verdict_cache import VerdictCache, code_fingerprint, verdict_key
from connectorops.spec.source import SourceTree

if TYPE_CHECKING:  # a remembered verdict is checked without the pydantic models
    from connectorops.spec.repository import LoadedConnector

T = TypeVar("T")
_QUESTIONS = ("read_bytes", "exists", "is_dir", "list_dir", "size")


def _answer(tree: SourceTree, question: str, path: str) -> list[Any]:
    """What `tree` says now, in the form stored: contents as sha256, an exception as a digest of what it says."""
    try:
        return _stored(question, getattr(tree, question)(path))
    except Exception as error:
        return _raised(error)


def _stored(question: str, value: Any) -> list[Any]:
    return ["ok", hashlib.sha256(value).hexdigest() if question == "read_bytes" else value]


def _raised(error: Exception) -> list[Any]:
    return ["raised", hashlib.sha256(f"{type(error).__name__}: {error}".encode()).hexdigest()]


class RecordingTree:
    """A SourceTree that notes every question asked through it, and the answer."""

    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        self.label = tree.label
        self.asked: list[list[Any]] = []

    def _ask(self, question: str, path: str) -> Any:
        try:
            result = getattr(self.tree, question)(path)
        except Exception as error:
            self.asked.append([question, path, _raised(error)])
            raise
        self.asked.append([question, path, _stored(question, result)])
        return result

    def read_bytes(self, path: str) -> bytes:
        data: bytes = self._ask("read_bytes", path)
        return data

    def exists(self, path: str) -> bool:
        return bool(self._ask("exists", path))

    def is_dir(self, path: str) -> bool:
        return bool(self._ask("is_dir", path))

    def list_dir(self, path: str) -> list[str]:
        return list(self._ask("list_dir", path))

    def size(self, path: str) -> int:
        return int(self._ask("size", path))


def connector_inputs(connector: LoadedConnector) -> tuple[Any, ...]:
    """What identifies a loaded connector: where it is and its whole document."""
    return (connector.path, connector.folder, connector.name, connector.document.model_dump(mode="json"))


def memoized(
    cache: VerdictCache | None,
    kind: str,
    inputs: tuple[Any, ...],
    tree: SourceTree,
    compute: Callable[[SourceTree], T],
    encode: Callable[[T], Any],
    decode: Callable[[Any], T],
    storable: Callable[[T], bool] = lambda value: True,
) -> T:
    """compute(tree), or the value stored for the same `kind` and `inputs` if the tree answers as it did then.

    `compute` must read the repository only through the tree it is given; `inputs` must name
    everything else it depends on (the code is part of every key: see verdict_cache.code_fingerprint).
    """
    key = verdict_key(kind, code_fingerprint(), *inputs) if cache is not None else None
    if cache is not None and key is not None:
        entry = cache.get(key)
        if entry is not None and _still_true(entry, tree):
            try:
                return decode(entry["value"])
            except (TypeError, ValueError, KeyError, AttributeError):
                pass  # a corrupt entry: compute again
    recording = RecordingTree(tree)
    value = compute(recording)
    if cache is not None and key is not None and storable(value):
        cache.put(key, {"asked": recording.asked, "value": encode(value)})
    return value


def _still_true(entry: Any, tree: SourceTree) -> bool:
    if not isinstance(entry, dict) or "value" not in entry or not isinstance(entry.get("asked"), list):
        return False
    for asked in entry["asked"]:
        if not (isinstance(asked, list) and len(asked) == 3 and asked[0] in _QUESTIONS and isinstance(asked[1], str)):
            return False
        if _answer(tree, asked[0], asked[1]) != asked[2]:
            return False
    return True
