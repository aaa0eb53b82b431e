"""The operations of an OpenAPI 2.0 document: which path-item keys are operations, and how many there are.

Its own module (no imports): plans, reports and breaking-change checks count operations without
loading the spec models the rest of definitions/ needs.
"""

from __future__ import annotations

from typing import Any

# Path-item keys that are operations (OpenAPI 2.0); breaking-change reports follow this order.
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def operation_count(swagger: dict[str, Any]) -> int:
    """How many operations an OpenAPI 2.0 document has."""
    paths = swagger.get("paths") or {}
    return sum(
        1 for item in paths.values() if isinstance(item, dict) for method in item if str(method).lower() in HTTP_METHODS
    )
