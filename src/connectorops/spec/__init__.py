"""The YAML model: pydantic models, the located-YAML loader and the repository loader."""
