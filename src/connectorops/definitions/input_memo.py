"""A value remembered with every question it asked the repository, for unchanged files.

The first run records each SourceTree call (exists, is_dir, list_dir, size, read_bytes as a sha256)
and its answer, an exception included; a later run with the same inputs and code asks the same
questions again and, when every answer is unchanged, returns the stored value without computing it.
So a hit costs a few reads and hashes; any edit, new or deleted file gives another answer, hence a
miss. `memoized` keeps validate's and certify's verdicts this way; the engine's per-connector
resolution cache (engine/resolution_cache.py) stores its entries itself but records and checks
them with the same RecordingTree and `still_valid`.
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
Read = list[Any]  # [question, path, answer]
# The only calls a stored entry may repeat: a corrupt entry must not name any other attribute.
QUESTIONS = ("read_bytes", "exists", "is_dir", "list_dir", "size")


def _stored(question: str, value: Any) -> list[Any]:
    """An answer as stored (JSON): contents as their sha256, a listing as a list."""
    if question == "read_bytes":
        return ["ok", hashlib.sha256(value).hexdigest()]
    return ["ok", list(value) if question == "list_dir" else value]


def _raised(error: Exception) -> list[Any]:
    """A failure as stored: a digest of what it says (the same failure must recur for the entry to hold)."""
    return ["raised", hashlib.sha256(f"{type(error).__name__}: {error}".encode()).hexdigest()]


def _answer(tree: SourceTree, question: str, path: str) -> list[Any]:
    """What `tree` says now, in the form stored."""
    try:
        return _stored(question, getattr(tree, question)(path))
    except Exception as error:
        return _raised(error)


class RecordingTree:
    """A SourceTree that notes every question asked through it, and the answer, in `reads`."""

    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        self.label = tree.label
        self.reads: list[Read] = []

    def __getattr__(self, name: str) -> Any:
        """The tree's plain attributes (root, commit: where the definitions cache lives), never an unrecorded call."""
        if name == "tree":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        value = getattr(self.tree, name)
        if callable(value):
            raise AttributeError(f"{name}: only the SourceTree questions are recorded")
        return value

    def _ask(self, question: str, path: str) -> Any:
        try:
            result = getattr(self.tree, question)(path)
        except Exception as error:
            self.reads.append([question, path, _raised(error)])
            raise
        self.reads.append([question, path, _stored(question, result)])
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


def still_valid(reads: Any, tree: SourceTree) -> bool:
    """`reads` is a well-formed record and every question in it gives the recorded answer today."""
    if not isinstance(reads, list):
        return False
    for read in reads:
        if not (isinstance(read, list) and len(read) == 3 and read[0] in QUESTIONS and isinstance(read[1], str)):
            return False
        if _answer(tree, read[0], read[1]) != read[2]:
            return False
    return True


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
        if isinstance(entry, dict) and "value" in entry and still_valid(entry.get("asked"), tree):
            try:
                return decode(entry["value"])
            except (TypeError, ValueError, KeyError, AttributeError):
                pass  # a corrupt entry: compute again
    recording = RecordingTree(tree)
    value = compute(recording)
    if cache is not None and key is not None and storable(value):
        cache.put(key, {"asked": recording.reads, "value": encode(value)})
    return value
