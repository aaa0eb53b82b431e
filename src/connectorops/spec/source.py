"""Where the repository's files are read from: the working tree or a git revision.

Every loader reads through a `SourceTree`, so `plan --at REV` needs no checkout and
path checks (no escape from the repository, no symlinks out of it) live in one place.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePosixPath
from typing import Protocol

from connectorops.errors import SpecError


class SourceTree(Protocol):
    """Read-only view of a repository. Paths are POSIX, relative to the repository root."""

    label: str  # shown in messages, e.g. "working tree" or "commit 1a2b3c4"

    def read_bytes(self, path: str) -> bytes: ...

    def exists(self, path: str) -> bool: ...

    def is_dir(self, path: str) -> bool: ...

    def list_dir(self, path: str) -> list[str]:
        """Names (not paths) of the entries of a directory, sorted."""
        ...

    def size(self, path: str) -> int: ...


def _plain(path: str) -> bool:
    """A relative path with no empty, '.' or '..' part and no drive: normalizing it changes nothing."""
    return (
        not path.startswith("/")
        and (len(path) < 2 or path[1] != ":")
        and "\x00" not in path
        and all(part not in ("", ".", "..") for part in path.split("/"))
    )


def normalize_relative(path: str, *, base: str = "", field: str | None = None, file: str | None = None) -> str:
    """Join `path` onto `base` and refuse anything that leaves the repository."""
    if path and _plain(path) and (not base or _plain(base)):
        return f"{base}/{path}" if base else path  # the common case, without building paths (hot in a plan)
    if not path or "\x00" in path:
        raise SpecError("empty or invalid path", field=field, file=file)
    pure = PurePosixPath(path)
    if pure.is_absolute() or (len(path) > 1 and path[1] == ":"):
        raise SpecError(
            f"absolute path {path!r} is not allowed",
            field=field,
            file=file,
            hint="use a path relative to the connector folder",
        )
    parts: list[str] = [p for p in PurePosixPath(base).parts if p not in ("", ".")]
    for part in pure.parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise SpecError(
                    f"path {path!r} leaves the repository",
                    field=field,
                    file=file,
                    hint="keep definition files inside the connector folder",
                )
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


class NotRegularFileError(OSError):
    """A FIFO, device, socket or directory where a file belongs: reading it could hang or never end."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_regular_file(path: str | Path) -> bytes:
    """The bytes of a regular file; NotRegularFileError for anything else.

    Opened non-blocking and checked with fstat on the open descriptor, so a FIFO can neither
    hang the open nor be swapped in between a check and the read.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0
    if mode and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        # Sockets cannot be opened at all; FIFOs and devices are refused before open() touches them.
        raise NotRegularFileError(errno.EINVAL, f"{_kind(mode)}, not a regular file", str(path))
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(errno.EINVAL, f"{_kind(mode)}, not a regular file", str(path))
        handle = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        return handle.read()


def _is_symlink(path: str) -> bool:
    """False for a missing path or one that cannot be inspected: its use then fails with its own error."""
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


class FileSystemTree:
    """The working tree on disk. Symlinks that resolve outside the root are refused."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.label = "working tree"
        self._root = str(self.root)
        self._inside = self._root.rstrip(os.sep) + os.sep
        # Resolved folders: a plan reads several files per connector folder, and resolving a path
        # (an lstat per component up to /) on every access was 6 % of a no-op plan. Strings, not
        # Paths: building Path objects cost as much again.
        self._folders: dict[str, str] = {"": self._root}

    def _resolve(self, path: str) -> str:
        rel = normalize_relative(path)
        if not rel:
            return self._root
        folder, _, name = rel.rpartition("/")
        try:
            base = self._folders.get(folder)
            if base is None:
                base = self._folders[folder] = self._checked(path, str((self.root / folder).resolve()))
            full = os.path.join(base, name)
            if _is_symlink(full):
                full = str(Path(full).resolve())
        except (RuntimeError, OSError):  # RuntimeError before Python 3.13, OSError(ELOOP) after
            raise SpecError(
                f"{path!r} is a symlink loop (it points, directly or through other links, to itself)",
                file=path,
                hint="point the symlink at a real file or replace it with the file",
                code="spec.symlink_loop",
            ) from None
        return self._checked(path, full)

    def _checked(self, path: str, full: str) -> str:
        if full != self._root and not full.startswith(self._inside):
            raise SpecError(
                f"{path!r} resolves outside the repository (symlink?)",
                file=path,
                hint="symlinks must point inside the repository",
            )
        return full

    def read_bytes(self, path: str) -> bytes:
        full = self._resolve(path)
        try:
            return read_regular_file(full)
        except FileNotFoundError:
            raise SpecError(f"file not found: {path}", file=path) from None
        except IsADirectoryError:
            raise SpecError(f"{path} is a directory, expected a file", file=path) from None
        except NotRegularFileError as error:
            raise SpecError(
                f"{path} is {error.strerror}",
                file=path,
                hint="replace it with a regular file",
                code="spec.not_regular_file",
            ) from None
        except OSError as error:  # e.g. a name too long for the file system, or no permission
            raise SpecError(f"cannot read {path}: {error.strerror or error}", file=path) from None

    # OSError (e.g. ENAMETOOLONG from a path typed into connector.yaml) means "not usable", not a crash.
    def exists(self, path: str) -> bool:
        try:
            return os.path.exists(self._resolve(path))
        except (SpecError, OSError):
            return False

    def is_dir(self, path: str) -> bool:
        try:
            return os.path.isdir(self._resolve(path))
        except (SpecError, OSError):
            return False

    def list_dir(self, path: str) -> list[str]:
        full = self._resolve(path)
        if not os.path.isdir(full):
            return []
        return sorted(os.listdir(full))

    def size(self, path: str) -> int:
        return os.stat(self._resolve(path)).st_size
