"""The emulator's state in SQLite: resources, principals and the emulator's own identity.

One connection guarded by one re-entrant lock (the HTTP server is threaded); `transaction()`
makes a read-check-write sequence atomic. A file DB survives restarts; ":memory:" is for tests.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectorops.errors import ConnectoropsError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
    key TEXT PRIMARY KEY,      -- lower-cased resource id
    rtype TEXT NOT NULL,       -- lower-cased resource type, e.g. microsoft.web/customapis
    parent TEXT NOT NULL,      -- lower-cased resource group id, or the scope of a role assignment
    ref TEXT,                  -- lower-cased id this resource points at (connection -> api)
    body TEXT NOT NULL,        -- the resource as GET returns it
    extra TEXT                 -- server-side data never returned by GET (a customApi's swagger)
);
CREATE INDEX IF NOT EXISTS resources_by_parent ON resources (rtype, parent, key);
CREATE INDEX IF NOT EXISTS resources_by_ref ON resources (ref);
CREATE TABLE IF NOT EXISTS principals (
    object_id TEXT PRIMARY KEY,
    principal_type TEXT NOT NULL,
    display_name TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class StoredResource:
    key: str
    rtype: str
    parent: str
    ref: str | None
    body: dict[str, Any]
    extra: Any


@dataclass(frozen=True)
class Principal:
    object_id: str
    principal_type: str
    display_name: str


class EmulatorStore:
    """All state of one emulator. Thread-safe."""

    def __init__(self, db_path: Path | None) -> None:
        self.db_path = db_path
        target = ":memory:" if db_path is None else str(db_path)
        self._lock = threading.RLock()
        self._depth = 0
        try:
            if db_path is not None:
                db_path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
            if db_path is not None:
                # WAL: a second process (e.g. `emulator serve` next to a CLI run) can read meanwhile.
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._conn.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as error:  # OSError: the folder cannot be made (a file is in the way)
            raise ConnectoropsError(
                f"cannot open the emulator state file: {error}",
                file=str(db_path),
                hint="delete the file to start with an empty emulator, or pass another --db / stateDir",
            ) from None

    def close(self) -> None:
        with self._lock:
            if hasattr(self, "_conn"):
                self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and one SQLite transaction; nested uses join the outer one."""
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._conn.execute("COMMIT")

    # identity ----------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def meta_or_create(self, key: str, make: Any) -> str:
        """The stored value, or `make()` stored now: stable identity per state file."""
        with self.transaction():
            value = self.meta(key)
            if value is None:
                value = str(make())
                self.set_meta(key, value)
            return value

    def token(self) -> str:
        return self.meta_or_create("token", lambda: secrets.token_urlsafe(32))

    def subscription_id(self) -> str:
        return self.meta_or_create("subscription_id", uuid.uuid4)

    def signing_key(self) -> str:
        return self.meta_or_create("signing_key", lambda: secrets.token_hex(32))

    # resources -----------------------------------------------------------------------------
    def get(self, key: str) -> StoredResource | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT key, rtype, parent, ref, body, extra FROM resources WHERE key = ?", (key.lower(),)
            ).fetchone()
        return None if row is None else _row(row)

    def put(
        self, key: str, rtype: str, parent: str, body: dict[str, Any], *, ref: str | None = None, extra: Any = None
    ) -> None:
        with self.transaction():
            self._conn.execute(
                "INSERT OR REPLACE INTO resources (key, rtype, parent, ref, body, extra) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key.lower(),
                    rtype.lower(),
                    parent.lower(),
                    ref.lower() if ref else None,
                    json.dumps(body),
                    None if extra is None else json.dumps(extra),
                ),
            )

    def delete(self, key: str) -> bool:
        with self.transaction():
            cursor = self._conn.execute("DELETE FROM resources WHERE key = ?", (key.lower(),))
            return cursor.rowcount > 0

    def list_page(self, rtype: str, parent_prefix: str, *, after: str | None, limit: int) -> list[StoredResource]:
        """Resources of `rtype` whose parent is `parent_prefix` or below it, in key order, after `after`."""
        prefix = parent_prefix.lower().rstrip("/")
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, rtype, parent, ref, body, extra FROM resources "
                "WHERE rtype = ? AND (parent = ? OR substr(parent, 1, ?) = ?) AND key > ? "
                "ORDER BY key LIMIT ?",
                (rtype.lower(), prefix, len(prefix) + 1, prefix + "/", (after or "").lower(), limit),
            ).fetchall()
        return [_row(r) for r in rows]

    def list_any(
        self, parent_prefix: str, *, exclude: tuple[str, ...], after: str | None, limit: int
    ) -> list[StoredResource]:
        """Resources of every type but `exclude` at or below `parent_prefix`, in key order (ARM's /resources)."""
        prefix = parent_prefix.lower().rstrip("/")
        excluded = json.dumps([t.lower() for t in exclude])
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, rtype, parent, ref, body, extra FROM resources "
                "WHERE rtype NOT IN (SELECT value FROM json_each(?)) AND (parent = ? OR substr(parent, 1, ?) = ?) "
                "AND key > ? ORDER BY key LIMIT ?",
                (excluded, prefix, len(prefix) + 1, prefix + "/", (after or "").lower(), limit),
            ).fetchall()
        return [_row(r) for r in rows]

    def delete_below(self, key_prefix: str) -> int:
        """Delete every resource whose id or scope lies below `key_prefix` (a resource group's contents)."""
        prefix = key_prefix.lower().rstrip("/") + "/"
        with self.transaction():
            cursor = self._conn.execute(
                "DELETE FROM resources WHERE substr(key, 1, ?) = ? OR substr(parent, 1, ?) = ?",
                (len(prefix), prefix, len(prefix), prefix),
            )
            return cursor.rowcount

    def list_all(self, rtype: str) -> list[StoredResource]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, rtype, parent, ref, body, extra FROM resources WHERE rtype = ? ORDER BY key",
                (rtype.lower(),),
            ).fetchall()
        return [_row(r) for r in rows]

    def referring(self, rtype: str, ref: str) -> list[StoredResource]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, rtype, parent, ref, body, extra FROM resources WHERE rtype = ? AND ref = ? ORDER BY key",
                (rtype.lower(), ref.lower()),
            ).fetchall()
        return [_row(r) for r in rows]

    # principals ------------------------------------------------------------------------------
    def add_principal(self, object_id: str, principal_type: str, display_name: str) -> None:
        with self.transaction():
            self._conn.execute(
                "INSERT OR REPLACE INTO principals (object_id, principal_type, display_name) VALUES (?, ?, ?)",
                (object_id.lower(), principal_type, display_name),
            )

    def principal(self, object_id: str) -> Principal | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT object_id, principal_type, display_name FROM principals WHERE object_id = ?",
                (object_id.lower(),),
            ).fetchone()
        return None if row is None else Principal(str(row[0]), str(row[1]), str(row[2]))


def _row(row: tuple[Any, ...]) -> StoredResource:
    return StoredResource(
        key=str(row[0]),
        rtype=str(row[1]),
        parent=str(row[2]),
        ref=None if row[3] is None else str(row[3]),
        body=json.loads(row[4]),
        extra=None if row[5] is None else json.loads(row[5]),
    )
