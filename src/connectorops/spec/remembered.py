"""Validated documents remembered by the exact data they were validated from, rebuilt without pydantic.

Validating connector.yaml/connectorops.yaml builds the models' validators (tens of ms per process).
A document validated before is stored as a tagged tree (model class, field values, fields set) and
rebuilt with `model_construct`, which gives the same object validation gave: same classes, values and
`model_fields_set`. The key (given by the shell: data, model, code and pydantic version) changes with
anything the result depends on; only valid documents are remembered, so problems are always fresh.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pydantic is imported where documents are: the memo itself is set up by every command
    from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound="BaseModel")
Scalar = (str, int, float, bool, type(None))
# Recalling costs ~70 us per document more than validating with built validators, which cost ~40 ms
# once: above this many documents in one load, validating is cheaper (spec/loader.py).
MAX_RECALLED_DOCUMENTS = 300


class NotRememberable(Exception):
    """A value the tagged tree cannot hold exactly (the document is then simply validated each time)."""


@dataclass(frozen=True)
class ValidatedMemo:
    """Where remembered documents live: `key(model name, data)` (None: cannot be keyed), `get`, `put`."""

    key: Callable[[str, Any], str | None]
    get: Callable[[str], Any | None]
    put: Callable[[str, Any], None]

    def recall(self, model: type[ModelT], data: Any) -> tuple[str | None, ModelT | None]:
        key = self.key(_name(model), data)
        if key is None:
            return None, None
        entry = self.get(key)
        if entry is None:
            return key, None
        try:
            document = decode(entry, _models(model))
        except (NotRememberable, KeyError, TypeError, ValueError):
            return key, None  # a corrupt or foreign entry: validate again
        return key, document if type(document) is model else None

    def remember(self, key: str, document: BaseModel) -> None:
        with contextlib.suppress(NotRememberable):
            self.put(key, encode(document))


# Set by the shell (a command) for its process: where valid documents are remembered; empty: always validate.
_active: list[ValidatedMemo] = []


def remember_validated(memo: ValidatedMemo | None) -> None:
    """Remember valid documents with `memo` from now on in this process (None: stop)."""
    _active[:] = [memo] if memo is not None else []


def active_memo() -> ValidatedMemo | None:
    return _active[0] if _active else None


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """Validate everything meanwhile: for many documents, building the validators once is cheaper."""
    saved = list(_active)
    _active.clear()
    try:
        yield
    finally:
        _active[:] = saved


def encode(value: Any) -> Any:
    """A JSON-able tagged tree: {"m": model, "f": fields, "s": fields set}, {"l": list}, {"d": dict}, or a scalar."""
    from pydantic import BaseModel  # once per document, not per node (~0.4 us each, thousands of nodes)

    return _encoded(value, BaseModel)


def _encoded(value: Any, model_base: type[BaseModel]) -> Any:
    if isinstance(value, model_base):
        fields = {name: _encoded(getattr(value, name), model_base) for name in type(value).model_fields}
        if value.__pydantic_extra__ or value.__pydantic_private__:
            raise NotRememberable(type(value).__name__)
        return {"m": _name(type(value)), "f": fields, "s": sorted(value.model_fields_set)}
    if type(value) is list:
        return {"l": [_encoded(item, model_base) for item in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"d": {k: _encoded(v, model_base) for k, v in value.items()}}
    if type(value) in Scalar:
        return value
    raise NotRememberable(type(value).__name__)


def plain_value(document: BaseModel) -> Any:
    """A document as plain data for a cache key: its tagged tree (needs no serializer built), else model_dump."""
    try:
        return encode(document)
    except NotRememberable:
        return document.model_dump()


def decode(tree: Any, models: dict[str, type[BaseModel]]) -> Any:
    if type(tree) in Scalar:
        return tree
    if not isinstance(tree, dict) or len(tree) not in (1, 3):
        raise NotRememberable("not a tagged tree")
    if "l" in tree:
        return [decode(item, models) for item in tree["l"]]
    if "d" in tree:
        return {k: decode(v, models) for k, v in tree["d"].items()}
    model = models[tree["m"]]
    fields = {name: decode(value, models) for name, value in tree["f"].items()}
    if set(fields) != set(model.model_fields):
        raise NotRememberable(f"fields of {tree['m']} changed")
    return model.model_construct(_fields_set=set(tree["s"]), **fields)


def _name(model: type[BaseModel]) -> str:
    return f"{model.__module__}.{model.__qualname__}"


@functools.cache
def _models(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model class a document of `model` may hold: the subclasses of its root model class."""
    from pydantic import BaseModel

    root = next(base for base in reversed(model.__mro__) if issubclass(base, BaseModel) and base is not BaseModel)
    found: dict[str, type[BaseModel]] = {}
    pending: list[type[BaseModel]] = [root]
    while pending:
        cls = pending.pop()
        found[_name(cls)] = cls
        pending.extend(cls.__subclasses__())
    return found
