"""The safety suite runs on the fixtures and helpers of tests/integration (emulator, gateway) and
tests/unit (the Pulumi mocks), so it checks the same world the other suites build, not a copy of it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
for _folder in ("integration", "unit"):
    if str(TESTS / _folder) not in sys.path:
        sys.path.insert(0, str(TESTS / _folder))

# tests/integration/conftest.py is a conftest, not an importable module: load it under its own name.
_spec = importlib.util.spec_from_file_location("integration_fixtures", TESTS / "integration" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

make_emulator = _fixtures.make_emulator
make_gateway = _fixtures.make_gateway
emulator = _fixtures.emulator
gateway = _fixtures.gateway
