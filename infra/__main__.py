"""The Pulumi program (Pulumi.yaml `main: infra/`): all logic lives in connectorops.pulumi_stack.

Needs `pip install 'connectorops[pulumi]'`; without it, one line says so (not a traceback).
"""

import sys
from pathlib import Path

from connectorops.pulumi_stack.extra import PulumiExtraMissing

try:
    from connectorops.pulumi_stack.program import run
except PulumiExtraMissing as missing:
    sys.exit(f"error: {missing}")

run(Path(__file__).resolve().parent.parent)
