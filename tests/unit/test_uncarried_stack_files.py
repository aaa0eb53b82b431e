"""Which connectors a repository's Pulumi.<stack>.yaml files let `pulumi up` deploy without their dialog.

Only the stacks deploying the environment count; `pulumi config set` may write the list as a YAML
list or as a JSON string; a file that does not parse declares nothing (pulumi reports it itself).
"""

from __future__ import annotations

from pathlib import Path

from connectorops.engine.uncarried import declared_drops
from connectorops.spec.source import FileSystemTree


def test_only_stacks_of_the_environment_count_in_either_list_form(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  connectorops:environment: dev\n  connectorops:dropUiDefinition: [d7sms]\n"
    )
    (tmp_path / "Pulumi.dev-eu.yaml").write_text(
        'config:\n  connectorops:environment: dev\n  connectorops:dropUiDefinition: \'["orders", "tickets"]\'\n'
    )
    (tmp_path / "Pulumi.prod.yaml").write_text(
        "config:\n  connectorops:environment: prod\n  connectorops:dropUiDefinition: [billing]\n"
    )
    (tmp_path / "Pulumi.broken.yaml").write_text("config: [\n")
    (tmp_path / "Pulumi.yaml").write_text("name: x\nconfig:\n  connectorops:dropUiDefinition: [project]\n")
    assert declared_drops(FileSystemTree(tmp_path), "dev") == {
        "d7sms": "Pulumi.dev.yaml",
        "orders": "Pulumi.dev-eu.yaml",
        "tickets": "Pulumi.dev-eu.yaml",
    }
    assert declared_drops(FileSystemTree(tmp_path), "staging") == {}
