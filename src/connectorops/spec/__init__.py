"""The YAML model: pydantic models, the located-YAML loader and the repository loader.

Every user mistake found here becomes a Problem with file, line and field (see spec/loader.py).
"""
