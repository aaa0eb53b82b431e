"""The Pulumi program (Pulumi.yaml `main: infra/`): all logic lives in connectorops.pulumi_stack.

`pulumi up` runs this in the user's CI; the stack config names the connectorops environment.
Needs the Pulumi extra (`pip install 'connectorops[pulumi]'`); without it, one line says so.
"""

import sys
from pathlib import Path

from connectorops.pulumi_stack.extra import PulumiExtraMissing

try:
    from connectorops.pulumi_stack.program import run
except PulumiExtraMissing as missing:
    sys.exit(f"error: {missing}")

run(Path(__file__).resolve().parent.parent)
