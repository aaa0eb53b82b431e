"""Structured logs for the controller: one JSON object per line on stderr.

Fields come from `extra={...}`; anything that looks like a credential (URL userinfo, bearer tokens,
secret-named fields) is masked here, the last line of defence before text leaves the process.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

# Attributes every LogRecord has; everything else on a record came from `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_SECRET_KEY = re.compile(r"(secret|password|token|authorization|credential|key)$", re.IGNORECASE)
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.IGNORECASE)
_BEARER = re.compile(r"(bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def mask(text: str) -> str:
    """Text with URL credentials and bearer tokens replaced by ***."""
    return _BEARER.sub(r"\1***", _USERINFO.sub(r"\g<scheme>***@", text))


def _clean(key: str, value: Any) -> Any:
    if _SECRET_KEY.search(key) and value not in (None, "", 0):
        return "***"
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {str(k): _clean(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(key, v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask(str(value))


class JsonLineFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", ...extra} on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _clean(key, value)
        if record.exc_info and record.exc_info[1] is not None:
            # Type and message only: a traceback's locals can hold secrets and it is noise in a log pipeline.
            error = record.exc_info[1]
            entry["error_type"] = type(error).__name__
            entry["error"] = mask(str(error))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_json_logging(stream: TextIO | None = None, level: int = logging.INFO) -> logging.Handler:
    """Send the `connectorops` loggers to `stream` (stderr) as JSON lines; returns the handler to remove later."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    root = logging.getLogger("connectorops")
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    return handler
