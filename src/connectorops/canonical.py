"""Canonical JSON and fingerprints: equal inputs give equal bytes, whatever the key order.

The fingerprint of a rendered customApi leaves out the tags that change without the resource
changing (the fingerprint itself and the source commit), so a new commit alone is not an update.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from connectorops import tags

# Tags that describe where a body came from rather than what it is.
VOLATILE_TAGS = (tags.FINGERPRINT, tags.SOURCE_COMMIT)


# An integral float as the JSON encoder writes it (`:1.0,`); may also match inside a string, which
# only costs the slow path, never a wrong answer.
_INTEGRAL_FLOAT = re.compile(r"[:\[,]-?\d+\.0(?:[,\]}]|e)")
_INTEGRAL_TAILS = (".0,", ".0]", ".0}", ".0e")


def canonical_json(value: Any) -> str:
    """Sorted keys, no insignificant whitespace, floats that are integers written as integers."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # The substring tests are what a match needs and run far faster than the regex over the whole text.
    if not any(tail in text for tail in _INTEGRAL_TAILS) or not _INTEGRAL_FLOAT.search(text):
        return text  # the common case: nothing to normalize, no Python-level walk of the document
    return json.dumps(_normalize(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalize(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        # YAML and JSON sources disagree on 1 vs 1.0; ARM echoes either.
        return int(value)
    return value


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def body_fingerprint(
    body: dict[str, Any], secret_refs: dict[str, dict[str, Any]] | None = None, *, canonical_text: str | None = None
) -> str:
    """sha256 of the canonical body without volatile tags; secret *references* are covered, never values.

    `canonical_text`: canonical_json(body) of a body without volatile tags, when the caller made it
    anyway (render): the material is then that text wrapped, not a second encoding of the body.
    """
    if canonical_text is not None and not secret_refs:
        return sha256_hex('{"body":' + canonical_text + "}")
    stripped = dict(body)  # shallow: only the tags change, and the swagger below may be large
    body_tags = stripped.get("tags")
    if isinstance(body_tags, dict):
        stripped["tags"] = {k: v for k, v in body_tags.items() if k not in VOLATILE_TAGS}
    material: dict[str, Any] = {"body": stripped}
    if secret_refs:
        material["secretRefs"] = secret_refs
    return sha256_hex(canonical_json(material))


def semantically_equal(left: Any, right: Any) -> bool:
    """Equal as JSON values (key order and 1 vs 1.0 do not matter)."""
    return canonical_json(left) == canonical_json(right)
