"""The Pulumi program (Pulumi.yaml `main: infra/`): all logic lives in connectorops.pulumi_stack.

Without `pip install 'connectorops[pulumi]'` it says so in one line (not a traceback).
"""
import sys
from pathlib import Path

from connectorops.pulumi_stack.extra import PulumiExtraMissing

try:
    from connectorops.pulumi_stack.program import run
except PulumiExtraMissing as missing:
    sys.exit(f"error: {missing}")
run(Path(__file__).resolve().parent.parent)
