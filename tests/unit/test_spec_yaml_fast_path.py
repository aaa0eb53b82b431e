"""YAML is composed in C first; the hardened Python composer only runs to name a problem.

Both paths must agree exactly: same values, same line:column for every value and key, and the
same SpecError (message, line, column, code) for every kind of bad file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectorops.errors import SpecError
from connectorops.spec import yaml_located
from connectorops.spec.yaml_located import SourceMap, load_yaml

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path("/work/shared/corpus")
FILES = sorted(
    [*REPO.glob("connectors/*/*.yaml"), *REPO.glob("policies/*.yaml"), *CORPUS.glob("swagger2/*.y*ml")]
    + [REPO / "connectorops.yaml"]
)

pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")


def _hardened(data: bytes, file: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        patch.setattr(yaml_located, "_FastLoader", None)
        try:
            return load_yaml(data, file)
        except SpecError as error:
            return error


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _positions(value: Any, source_map: SourceMap) -> list[Any]:
    return [(path, source_map.locate(path), source_map.locate_key(path)) for path in _paths(value)]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_fast_and_hardened_paths_load_the_same_values_and_positions(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = path.read_bytes()
    assert yaml_located._load_fast(yaml_located.decode_utf8(data, path.name), path.name) is not None
    value, source_map = load_yaml(data, path.name)
    slow_value, slow_map = _hardened(data, path.name, monkeypatch)
    assert value == slow_value
    assert _positions(value, source_map) == _positions(slow_value, slow_map)


BAD = {
    "duplicate key": b"a: 1\nb:\n  c: 2\n  c: 3\n",
    "two documents": b"a: 1\n---\nb: 2\n",
    "syntax": b"a: [1, 2\nb: 3\n",
    "too deep": b"".join(b"  " * i + b"k:\n" for i in range(70)) + b"  " * 70 + b"v\n",
    "too deep via aliases": b"a: &a [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
    + b"b: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
    "alias bomb": b"a: &a [x,x,x,x,x,x,x,x,x,x]\n"
    + b"".join(f"{c}: &{c} [{','.join(['*' + p] * 10)}]\n".encode() for p, c in zip("abcdef", "bcdefg", strict=True)),
    "empty": b"# nothing\n",
    "unknown tag": b"a: !python/object:os.system ls\n",
    "duplicate merged key": b"base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n  y: 3\n",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_every_problem_is_reported_exactly_as_before(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = BAD[name]
    with pytest.raises(SpecError) as raised:
        load_yaml(data, "bad.yaml")
    expected = _hardened(data, "bad.yaml", monkeypatch)
    assert isinstance(expected, SpecError)
    assert raised.value.problems == expected.problems
    assert raised.value.problems[0].file == "bad.yaml"
