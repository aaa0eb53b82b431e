"""A connector's resolved definition and certification findings, kept between runs while nothing they came from changed.

Like a compiler cache's manifest: the entry for (connector document, environment, policy, code) records
every read of the repository that resolving made (a file's sha256, a size, whether a path exists) and
is used only when the same reads give the same answers now. Resolving is a function of exactly those
inputs, so a hit gives the value resolving again would give; a miss, a corrupt or unreadable entry
only costs the work. The reads are recorded and checked by definitions/input_memo.py (RecordingTree,
still_valid), as for validate's and certify's remembered verdicts; this module keeps only the entry.
A failed resolution is never stored: its problems are reported afresh.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from connectorops.definitions.input_memo import Read, still_valid
from connectorops.definitions.model import CustomCode, ResolvedDefinition
from connectorops.definitions.verdict_cache import VerdictCache, code_fingerprint, verdict_key
from connectorops.errors import Problem
from connectorops.policy.certification.findings import Finding
from connectorops.spec.remembered import plain_value
from connectorops.spec.repository import LoadedConnector
from connectorops.spec.source import SourceTree

CONNECTORS_DIR = "connectors"  # beside verdicts/ under the definitions cache folder
MAX_ENTRIES = 8192  # one per connector and environment (entries are a few kB; at most 1 MiB)


def entry_key(connector: LoadedConnector, environment: str, *context: Any) -> str | None:
    """The key of a connector's entry: its document and place, the environment, and `context` (policies, flags)."""
    document = plain_value(connector.document)
    return verdict_key("resolved-connector", code_fingerprint(), connector.name, connector.folder, connector.path,
                       document, environment, *context)  # fmt: skip


class ResolutionCache:
    """Entries under <cache>/connectors, one JSON file per connector and environment (a VerdictCache)."""

    def __init__(self, directory: Path) -> None:
        self._entries = VerdictCache(directory, max_entries=MAX_ENTRIES)

    def get(self, key: str, tree: SourceTree) -> tuple[ResolvedDefinition, list[Finding]] | None:
        entry = self._entries.get(key)
        if not isinstance(entry, dict):
            return None
        try:
            if not still_valid(entry["reads"], tree):
                return None
            return resolved_from_dict(entry["resolved"]), [Finding.from_row(row) for row in entry["findings"]]
        except (KeyError, TypeError, ValueError, AttributeError):
            return None  # a corrupt entry: resolve again

    def put(self, key: str, reads: list[Read], resolved: ResolvedDefinition, findings: list[Finding]) -> None:
        rows = [f.to_row() for f in findings]
        self._entries.put(key, {"reads": reads, "resolved": resolved_to_dict(resolved), "findings": rows})


def _bytes(value: bytes | None) -> str | None:
    return base64.b64encode(value).decode("ascii") if value is not None else None


def _unbytes(value: Any) -> bytes | None:
    return base64.b64decode(value, validate=True) if value is not None else None


def resolved_to_dict(resolved: ResolvedDefinition) -> dict[str, Any]:
    code = resolved.custom_code
    return {
        "sourceKind": resolved.source_kind,
        "swagger": resolved.swagger,
        "connectionParameters": resolved.connection_parameters,
        "capabilities": list(resolved.capabilities),
        "policyTemplateInstances": resolved.policy_template_instances,
        "connectionParameterSets": resolved.connection_parameter_sets,
        "customCode": None
        if code is None
        else {"script": _bytes(code.script), "file": code.file, "operations": code.operations},
        "propertiesFile": resolved.properties_file,
        "propertyLines": resolved.property_lines,
        "iconBrandColor": resolved.icon_brand_color,
        "iconPng": _bytes(resolved.icon_png),
        "sourceFiles": list(resolved.source_files),
        "warnings": [p.to_dict() for p in resolved.warnings],
        "secretRefs": resolved.secret_refs,
    }


def resolved_from_dict(data: dict[str, Any]) -> ResolvedDefinition:
    code = data["customCode"]
    return ResolvedDefinition(
        source_kind=data["sourceKind"],
        swagger=data["swagger"],
        connection_parameters=data["connectionParameters"],
        capabilities=list(data["capabilities"]),
        policy_template_instances=data["policyTemplateInstances"],
        connection_parameter_sets=data["connectionParameterSets"],
        custom_code=None
        if code is None
        else CustomCode(script=_unbytes(code["script"]), file=code["file"], operations=code["operations"]),
        properties_file=data["propertiesFile"],
        property_lines={str(k): int(v) for k, v in data["propertyLines"].items()},
        icon_brand_color=data["iconBrandColor"],
        icon_png=_unbytes(data["iconPng"]),
        source_files=tuple(data["sourceFiles"]),
        warnings=tuple(Problem.from_dict(p) for p in data["warnings"]),
        secret_refs=data["secretRefs"],
    )
