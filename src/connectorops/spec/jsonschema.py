"""JSON Schema of connector.yaml and connectorops.yaml, generated from the pydantic models.

Editors (yaml-language-server) use them for completion and checks; `connectorops schema` writes them.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from pydantic import BaseModel
from pydantic._internal._docs_extraction import extract_docstrings_from_cls

from connectorops.spec.models import ConnectorDocument, ProjectConfig, StrictModel

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# file name in schemas/ -> (key in `connectorops schema` output, model)
SCHEMA_FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "connector.schema.json": ("connector", ConnectorDocument),
    "connectorops.schema.json": ("connectorops", ProjectConfig),
}


def model_schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    """The validation-mode schema with YAML key names (aliases) and a $schema dialect."""
    _attach_attribute_docstrings()
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": SCHEMA_DIALECT, "title": title, **{k: v for k, v in schema.items() if k != "title"}}


def all_schemas() -> dict[str, dict[str, Any]]:
    """{"connector": ..., "connectorops": ...}."""
    return {key: model_schema(model, _title(file)) for file, (key, model) in SCHEMA_FILES.items()}


def schema_file_texts() -> dict[str, str]:
    """File name -> exact file content (stable: sorted keys, trailing newline) for schemas/."""
    schemas = all_schemas()
    return {file: render(schemas[key]) for file, (key, _) in SCHEMA_FILES.items()}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _title(file: str) -> str:
    stem = file.removesuffix(".schema.json")
    return "connector.yaml" if stem == "connector" else f"{stem}.yaml"


@functools.cache
def _attach_attribute_docstrings() -> None:
    """Each field's attribute docstring as its description, as `use_attribute_docstrings` would set it.

    Done here, not at import: it reads the models' source. Models are rebuilt in creation order, so a
    model's schema is regenerated after those of the models its fields use. Descriptions never
    change what validates.
    """
    for model in _subclasses(StrictModel):
        docstrings = extract_docstrings_from_cls(model, use_inspect=True)
        for name, field in model.model_fields.items():
            if field.description is None and name in docstrings:
                field.description = docstrings[name]
        model.model_rebuild(force=True)


def _subclasses(model: type[BaseModel]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for sub in model.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
