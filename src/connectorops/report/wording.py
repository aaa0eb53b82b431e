"""Phrases the text and Markdown reports share: how an impact and a secret rotation are worded.

Each format adds its own markup around them; the words stay the same in the terminal and on the PR.
How each resource kind's actions are worded is the kind's (engine/kinds/: summary, markdown_line).
"""

from __future__ import annotations

from connectorops.engine.actions import Action
from connectorops.engine.impact import Impact


def connection_list(impact: Impact) -> str:
    """`orders-1 (Connected), orders-2 (Error)`."""
    return ", ".join(f"{c.name} ({c.status})" for c in impact.connections)


def logic_app_names(impact: Impact) -> str:
    """The Logic Apps using the connections, comma-separated ('' when none)."""
    return ", ".join(w.name for w in impact.logic_apps)


def secret_rotations(action: Action) -> list[str]:
    """One line per secret --rotate-secrets re-sends: where it goes and its reference, never its value."""
    lines = []
    for pointer in action.rotated_secrets:
        ref = action.secret_refs.get(pointer) or {}
        if "env" in ref:
            source = f"{{env: {ref['env']}}}"
        else:
            vault = ref.get("keyVault") or {}
            version = f", version {vault['version']}" if vault.get("version") else ""
            source = f"Key Vault {vault.get('vault', '?')}/{vault.get('secret', '?')}{version}"
        lines.append(f"secret rotation: connectionParameters{pointer} re-sent from {source} (value not shown)")
    return lines
