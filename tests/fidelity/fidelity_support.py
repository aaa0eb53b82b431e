"""Names the fidelity suite's fixtures and tests share (a module, not conftest: `conftest` is ambiguous)."""

RESOURCE_GROUP = "rg-fidelity"
LOCATION = "westeurope"
