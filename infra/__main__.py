"""The Pulumi program (Pulumi.yaml `main: infra/`): all logic lives in connectorops.pulumi_stack.

`pulumi up` runs this in the user's CI; the stack config names the connectorops environment.
"""

from pathlib import Path

from connectorops.pulumi_stack.program import run

run(Path(__file__).resolve().parent.parent)
