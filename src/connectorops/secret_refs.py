"""Secret references ({env: NAME}, {keyVault: ...}): pointers to secrets, never secrets.

Plain data helpers the spec, render, the engine and reports share; resolving a reference to its value is
the engine's job (engine/secrets.py), at apply time only.
"""

from __future__ import annotations

from typing import Any


def is_secret_ref(value: Any) -> bool:
    """An {env: ...} / {keyVault: ...} reference object (a pointer to a secret, not a secret)."""
    return isinstance(value, dict) and set(value) in ({"env"}, {"keyVault"}, {"key_vault"})


def without_secret_refs(value: Any) -> Any:
    """Strip {env: ...}/{keyVault: ...} reference objects from a connectionParameters map (for diffs)."""
    if isinstance(value, dict):
        if is_secret_ref(value):
            return None
        kept = {k: without_secret_refs(v) for k, v in value.items()}  # each child once (was computed twice)
        return {k: v for k, v in kept.items() if v is not None}
    if isinstance(value, list):
        return [without_secret_refs(v) for v in value]
    return value
