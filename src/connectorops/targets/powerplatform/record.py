"""Ownership without tags: the `x-connectorops` record inside the stored openApiDefinition.

The Power Apps API has no tags. The service stores the openApiDefinition we send and returns it verbatim
(vendor extensions included) with `$expand=properties.swagger`, so our markers travel there:
`{"managedBy","name","source","commit","fingerprint","deletion","environment","tags"?,"files"?}`.
`name` is metadata.name, which maps the server-assigned apiName back to the connector; `files` holds the
sha256 of the uploaded icon and script.csx (content hashes, never secrets), so they are uploaded again only
when they changed. Any other tag (a foreign one kept through orphan/adopt) goes under `tags`.
That the live service keeps a top-level vendor extension of the stored definition is unverified.
"""

from __future__ import annotations

from typing import Any

from connectorops import tags

RECORD_KEY = "x-connectorops"
# tag key -> record key
TAG_FIELDS = {
    tags.MANAGED_BY: "managedBy",
    tags.SOURCE_PATH: "source",
    tags.SOURCE_COMMIT: "commit",
    tags.FINGERPRINT: "fingerprint",
    tags.DELETION_POLICY: "deletion",
    tags.ENVIRONMENT: "environment",
}
FIELD_TAGS = {v: k for k, v in TAG_FIELDS.items()}
OTHER_TAGS = "tags"
NAME = "name"
FILES = "files"


def record_of(definition: Any) -> dict[str, Any]:
    """The record stored in a definition ({} when there is none)."""
    record = definition.get(RECORD_KEY) if isinstance(definition, dict) else None
    return dict(record) if isinstance(record, dict) else {}


def tags_of(record: dict[str, Any]) -> dict[str, str]:
    """The markers as the engine reads them (tags.* keys), from a record."""
    found = {FIELD_TAGS[k]: str(v) for k, v in record.items() if k in FIELD_TAGS and v is not None}
    others = record.get(OTHER_TAGS)
    if isinstance(others, dict):
        found.update({str(k): str(v) for k, v in others.items() if str(k) not in found})
    return found


def record_from(name: str, markers: dict[str, str], files: dict[str, str] | None = None) -> dict[str, Any]:
    """The record for connector `name` carrying `markers` (tags.* keys) and the uploaded files' hashes."""
    record: dict[str, Any] = {NAME: name}
    others: dict[str, str] = {}
    for key, value in sorted(markers.items()):
        if key in TAG_FIELDS:
            record[TAG_FIELDS[key]] = value
        else:
            others[key] = value
    if others:
        record[OTHER_TAGS] = others
    if files:
        record[FILES] = dict(sorted(files.items()))
    return record


def with_record(definition: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in definition.items() if k != RECORD_KEY}, RECORD_KEY: record}


def without_record(definition: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in definition.items() if k != RECORD_KEY}
