"""A content-addressed cache of definition verdicts (OpenAPI problems, certification findings) and parsed YAML.

A key is the sha256 of everything the verdict depends on — the bundled document (file $refs are
already inlined, so an edited $ref target is a new key), the file name reported, the validator's
and our own version and the source of our rules — so a stale entry is never read, only evicted.
Entries are renamed into place (safe under concurrent processes); a corrupt one is a miss; the
number of entries is bounded. The cache is an optimisation: any failure to read or write is ignored.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import connectorops
from connectorops.spec.source import read_regular_file

if TYPE_CHECKING:  # pydantic: only for the spec documents' memo, not for verdicts
    from connectorops.spec.remembered import ValidatedMemo

DEFAULT_STATE_DIR = ".connectorops"  # LocalEnvironment.stateDir's default; the cache is its cache/ folder
MAX_ENTRIES = 8192  # up to five per connector (parse, two verdicts, two remembered)
MAX_ENTRY_BYTES = 1024 * 1024
PRUNE_EVERY = 64  # puts between two checks of the entry count
VERDICTS_DIR = "verdicts"
PART_SUFFIX = ".part"  # an entry being written; left behind only by a killed process
STALE_PART_SECONDS = 600.0
# Libraries whose upgrade may change a verdict (or a cached parse).
VALIDATOR_DISTRIBUTIONS = (
    "openapi-spec-validator",
    "openapi-schema-validator",
    "jsonschema",
    "jsonschema-path",
    "jsonschema-rs",
    "PyYAML",
)
# Our rule code: its source is part of every key, so editing a rule can never serve an old verdict.
_PACKAGE = Path(__file__).resolve().parents[1]
RULE_SOURCES = (
    "definitions/openapi.py",
    "definitions/openapi_clean.py",
    "definitions/verdict_cache.py",
    "policy/certification",
)


def tool_versions() -> dict[str, str]:
    """connectorops and the validator libraries, name -> version ("" when not installed)."""
    from importlib import metadata

    versions = {"connectorops": connectorops.__version__}
    for name in VALIDATOR_DISTRIBUTIONS:
        try:
            versions[name] = _installed_version(metadata.distribution(name))
        except metadata.PackageNotFoundError:
            versions[name] = ""
    return versions


def _installed_version(distribution: Any) -> str:
    """metadata.version()'s answer from the metadata header alone: it parses the whole file (the long
    description too) as an e-mail, 1-2 ms per distribution on every start-up that computes a key."""
    text = distribution.read_text("METADATA") or distribution.read_text("PKG-INFO") or ""
    for line in text.split("\n"):
        if not line.strip():
            break  # the header ends at the first blank line
        if line.startswith("Version:"):
            return line.removeprefix("Version:").strip()
    return str(distribution.version)


def _rule_source_digest() -> str:
    digest = hashlib.sha256()
    for relative in RULE_SOURCES:
        path = _PACKAGE / relative
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(_PACKAGE).as_posix().encode() + b"\0")
            digest.update(file.read_bytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """What, besides the document, a verdict depends on: tool versions and the rule-set source."""
    return json.dumps({"versions": tool_versions(), "rules": _rule_source_digest()}, sort_keys=True)


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The whole package's source, judged as Python judges its bytecode cache: each .py file's path, size and
    modification time (what invalidates a .pyc), and the version. A remembered verdict depends on all the code;
    reading and hashing every file cost ~10 ms of each command, a stat of each costs ~1 ms."""
    digest = hashlib.sha256(connectorops.__version__.encode() + b"\0")
    for folder, folders, files in os.walk(_PACKAGE):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(name for name in files if name.endswith(".py")):
            path = os.path.join(folder, name)
            stat = os.stat(path)
            relative = os.path.relpath(path, _PACKAGE).replace(os.sep, "/")
            digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def verdict_key(kind: str, *inputs: Any) -> str | None:
    """sha256 over the kind, the tool fingerprint and the inputs; None when they cannot be hashed.

    Inputs are pickled, not JSON-dumped: pickle tells 200 from "200" and True from 1 (YAML
    produces both), so equal keys mean equal inputs, types included. Without the memo ("fast"
    mode): pickle otherwise writes an object seen twice as a back-reference, so a document parsed
    from YAML (shared key strings) and the same document read back from JSON got different keys.
    """
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo: the bytes depend on the values only, never on object identity
    try:
        pickler.dump(inputs)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError, ValueError):
        return None
    data = buffer.getvalue()
    digest = hashlib.sha256(kind.encode() + b"\0" + tool_fingerprint().encode() + b"\0")
    digest.update(data)
    return digest.hexdigest()


class VerdictCache:
    """JSON entries under `directory`, one file per key."""

    def __init__(
        self, directory: Path, *, max_entries: int = MAX_ENTRIES, max_entry_bytes: int = MAX_ENTRY_BYTES
    ) -> None:
        self.directory = directory
        self.max_entries = max_entries
        self.max_entry_bytes = max_entry_bytes
        # the first put of a process checks too, so short-lived CLI runs keep the bound
        self.check_every = max(1, min(PRUNE_EVERY, max_entries // 10))
        self._puts = 0

    def get(self, key: str) -> Any | None:
        path = self.directory / f"{key}.json"
        try:
            # A cache folder is input too (it may come with a checkout): a FIFO, a huge or deeply nested
            # file must cost a miss, never a hang or a traceback.
            if path.stat().st_size > self.max_entry_bytes:
                return None
            entry = json.loads(read_regular_file(path))
            if not isinstance(entry, dict) or entry.get("key") != key or "value" not in entry:
                return None
        except (OSError, ValueError, RecursionError):
            return None
        with contextlib.suppress(OSError):  # a read-only cache still answers
            os.utime(path)  # recently used: evicted last
        return entry["value"]

    def put(self, key: str, value: Any) -> None:
        data = json.dumps({"key": key, "value": value}, ensure_ascii=False).encode()
        if len(data) > self.max_entry_bytes:
            return
        try:
            self._make_directory()
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=PART_SUFFIX)
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(temporary, self.directory / f"{key}.json")
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError:
            return  # a read-only or full disk only costs speed
        if self._puts % self.check_every == 0:
            self.prune()
        self._puts += 1

    def _make_directory(self) -> None:
        if self.directory.is_dir():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        # git ignores a folder whose files are all ignored: the cache never shows in `git status`
        (self.directory / ".gitignore").write_text("# connectorops verdict cache: safe to delete\n*\n")

    def prune(self) -> None:
        """Delete the least recently used entries beyond max_entries, and parts a killed process left."""
        try:
            listing = list(os.scandir(self.directory))
        except OSError:
            return
        entries = [e for e in listing if e.name.endswith(".json")]
        for part in (e for e in listing if e.name.endswith(PART_SUFFIX)):
            if _mtime(part) < time.time() - STALE_PART_SECONDS:
                with contextlib.suppress(OSError):
                    os.unlink(part.path)
        if len(entries) <= self.max_entries:
            return
        by_age = sorted(entries, key=lambda e: _mtime(e))
        for entry in by_age[: len(entries) - self.max_entries * 9 // 10]:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _mtime(entry: os.DirEntry[str]) -> float:
    try:
        return entry.stat().st_mtime
    except OSError:
        return 0.0


def verdict_cache_at(cache_dir: Path | None) -> VerdictCache | None:
    """The verdict cache under a definitions cache folder (.connectorops/cache), or None."""
    return VerdictCache(cache_dir / VERDICTS_DIR) if cache_dir is not None else None


DOCUMENTS_DIR = "documents"  # beside verdicts/: valid connector.yaml/connectorops.yaml documents


def validated_memo(cache_dir: Path) -> ValidatedMemo:
    """Valid spec documents remembered under `cache_dir`/documents, keyed by their data, the code and pydantic."""
    from connectorops.spec.remembered import ValidatedMemo

    entries = VerdictCache(cache_dir / DOCUMENTS_DIR)

    def key(model: str, data: Any) -> str | None:
        import pydantic  # here, not above: a command that loads no document (a remembered plan) never needs it

        return verdict_key("validated-document", code_fingerprint(), pydantic.VERSION, model, data)

    def put(key: str, value: Any) -> None:
        # Only into a cache an earlier run made: refused input must leave no state folder behind.
        if cache_dir.is_dir():
            entries.put(key, value)

    return ValidatedMemo(key=key, get=entries.get, put=put)
