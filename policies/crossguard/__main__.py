"""The CrossGuard policy pack: policies from connectorops.pulumi_stack.crossguard over this repository.

Kept to a few lines: the validate functions are importable and tested without the Pulumi CLI.
Needs the Pulumi extra (`pip install 'connectorops[pulumi]'`); without it, one line says so.
"""

import sys
from pathlib import Path

from connectorops.pulumi_stack.extra import PulumiExtraMissing

try:
    import pulumi
    from pulumi_policy import PolicyPack

    from connectorops.pulumi_stack.crossguard import build_policies, repository_rules
except ImportError as missing:
    sys.exit(f"error: {PulumiExtraMissing('the CrossGuard policy pack (policies/crossguard)', missing)}")

REPO_ROOT = Path(__file__).resolve().parents[2]


def stack_environment() -> str | None:
    """The running stack's connectorops:environment (the pack sees the stack's config)."""
    return pulumi.Config("connectorops").get("environment")


PolicyPack(name="connectorops", policies=build_policies(repository_rules(REPO_ROOT, stack_environment)))
