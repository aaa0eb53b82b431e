"""Redaction and short display of values for reports: no secret value ever reaches an output.

Plans hold only secret references, but values shown from ARM (or future fields) are scrubbed by
key name as a second line of defence.
"""

from __future__ import annotations

import json
import re
from typing import Any

from connectorops.engine.secrets import REDACTED
from connectorops.secret_refs import is_secret_ref

_SECRET_KEY = re.compile(r"(secret|password|passwd|token|apikey|api_key|connectionkey|credential)", re.IGNORECASE)
# Keys that name where or how a secret is used, not the secret itself (tokenUrl, passwordLabel, ...).
_NOT_SECRET_KEY = re.compile(r"(url|uri|label|type|name|provider|id)$", re.IGNORECASE)
# Plan fields that list *which* secrets --rotate-secrets re-sends (connector names, JSON pointers).
_ROTATION_KEYS = frozenset({"rotateSecrets", "rotatedSecrets"})


def redact(value: Any, *, key: str = "") -> Any:
    """A copy with the values of secret-looking keys replaced (references are kept: they are not secrets)."""
    if key in _ROTATION_KEYS:
        return value
    if isinstance(value, dict):
        if is_secret_ref(value):
            return value
        return {k: redact(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key=key) for v in value]
    if key and _SECRET_KEY.search(key) and not _NOT_SECRET_KEY.search(key) and isinstance(value, str) and value:
        return REDACTED
    return value


def short(value: Any, limit: int = 80) -> str:
    """One-line display of a JSON value, truncated."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_value(path: str, value: Any, limit: int = 80) -> str:
    leaf = path.rsplit(".", 1)[-1]
    return short(redact(value, key=leaf), limit)
