"""The environments of connectorops.yaml that CI deploys, as a GitHub Actions matrix.

`target: azure` and `target: powerplatform` environments are deployed from CI (`local` is the
laptop emulator); each entry names its target (which OIDC login the job does) and whether
`pulumi up` (mode pulumi) or `connectorops apply` (mode engine) deploys it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from connectorops.errors import Problem, Severity, SpecError
from connectorops.spec.loader import CONFIG_FILE, load_document
from connectorops.spec.models import ProjectConfig
from connectorops.spec.source import FileSystemTree

# Targets a CI runner reaches with an OIDC login: azure (a subscription) and powerplatform (a tenant).
CI_TARGETS = ("azure", "powerplatform")


@dataclass(frozen=True)
class CiEnvironment:
    name: str
    mode: str  # "engine" | "pulumi"
    target: str = "azure"  # one of CI_TARGETS

    def to_dict(self) -> dict[str, str]:
        return {"environment": self.name, "mode": self.mode, "target": self.target}


def read_project_config(repo_root: Path) -> ProjectConfig:
    """connectorops.yaml as the model (read as `validate` reads it); the first error becomes a SpecError."""
    tree = FileSystemTree(repo_root)
    if not tree.exists(CONFIG_FILE):
        raise SpecError(f"{CONFIG_FILE} not found in {repo_root}", file=CONFIG_FILE)
    config, _, problems = load_document(tree, CONFIG_FILE, ProjectConfig)
    errors = [p for p in problems if p.severity == Severity.ERROR]
    if config is None or errors:
        first = errors[0] if errors else Problem(f"{CONFIG_FILE} cannot be read", file=CONFIG_FILE)
        raise SpecError(
            first.message,
            file=first.file,
            line=first.line,
            column=first.column,
            field=first.field,
            hint=first.hint or "run `connectorops validate`",
            code=first.code,
        )
    return config


def ci_environments(config: ProjectConfig, *, mode: str | None = None) -> list[CiEnvironment]:
    """Azure and Power Platform environments in file order, optionally only those deployed in `mode`."""
    found = [
        CiEnvironment(name, str(getattr(env, "mode", "engine")), env.target)
        for name, env in config.environments.items()
        if env.target in CI_TARGETS
    ]
    return [env for env in found if mode is None or env.mode == mode]


def github_matrix(environments: list[CiEnvironment]) -> dict[str, list[dict[str, str]]]:
    """`strategy.matrix` value: one `include` entry per environment."""
    return {"include": [env.to_dict() for env in environments]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repo", type=Path, default=Path("."), help="repository root")
    parser.add_argument("--mode", choices=("engine", "pulumi"), help="only environments deployed this way")
    args = parser.parse_args(argv)
    try:
        environments = ci_environments(read_project_config(args.repo), mode=args.mode)
    except SpecError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    # Two lines in the $GITHUB_OUTPUT format: the matrix and whether it has any entry (an
    # empty matrix fails a job, so workflows skip on any=false).
    print(f"matrix={json.dumps(github_matrix(environments), separators=(',', ':'))}")
    print(f"any={'true' if environments else 'false'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
