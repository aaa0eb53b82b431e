"""Phrases the text and Markdown reports share: how an impact and a secret rotation are worded.

Each format adds its own markup around them; the words stay the same in the terminal and on the PR.
How each resource kind's actions are worded is the kind's (engine/kinds/: summary, markdown_line).
"""

from __future__ import annotations

from connectorops.engine.actions import CUSTOM_API, ROLE_ASSIGNMENT, Action
from connectorops.engine.breaking import BreakingChange
from connectorops.engine.impact import FLOW, LOGIC_APP, NOUNS, Impact
from connectorops.engine.target import TargetId
from connectorops.policy.roles import POWER_PLATFORM  # also the TargetId kind of a Power Platform environment

# The engine names resources as ARM does (engine/actions.py: the plan file's resourceType); people who
# work in Power Automate or Power Apps know them as custom connectors and their sharing permissions.
POWER_PLATFORM_WORDS = {CUSTOM_API: "connector", ROLE_ASSIGNMENT: "permission"}


def resource_word(target: TargetId, resource_type: str) -> str:
    """What a resource type is called where it lives: `customApi` on Azure, `connector` on Power Platform."""
    if target.kind == POWER_PLATFORM:
        return POWER_PLATFORM_WORDS.get(resource_type, resource_type)
    return resource_type


def connection_list(impact: Impact) -> str:
    """`orders-1 (Connected), orders-2 (Error)`."""
    return ", ".join(f"{c.name} ({c.status})" for c in impact.connections)


def _affected(change: BreakingChange) -> list[tuple[tuple[str, str], tuple[str, ...]]]:
    return [(NOUNS[LOGIC_APP], change.logic_apps), (NOUNS[FLOW], change.flows)]


def breaking_consumers(change: BreakingChange, label: str = "") -> str:
    """'Logic Apps{label}: a, b' or 'flows{label}: f' for the consumers a breaking change hits ('' when none)."""
    return "; ".join(f"{plural}{label}: {', '.join(names)}" for (_, plural), names in _affected(change) if names)


def breaking_consumer_counts(change: BreakingChange) -> str:
    """'2 Logic App(s): a, b' or '1 flow(s): f' ('' when none)."""
    return "; ".join(f"{len(names)} {one}(s): {', '.join(names)}" for (one, _), names in _affected(change) if names)


def consumer_names(impact: Impact) -> str:
    """The Logic Apps or flows using the connections, comma-separated ('' when none)."""
    return impact.consumer_names()


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
