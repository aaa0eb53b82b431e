"""Located, hardened YAML loading: positions, and refusal of bombs, duplicates, depth, encodings."""

from __future__ import annotations

import time

import pytest

from connectorops.errors import SpecError
from connectorops.spec import yaml_located
from connectorops.spec.loader import load_yaml
from connectorops.spec.yaml_located import MAX_DEPTH, MAX_FILE_BYTES

FILE = "connectors/orders/connector.yaml"
LOADERS = {"python": yaml_located._PythonLoader, "libyaml": yaml_located._Loader}


@pytest.fixture(autouse=True, params=sorted(LOADERS))
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with the pure-Python parser and with libyaml (when PyYAML has it)."""
    monkeypatch.setattr(yaml_located, "_Loader", LOADERS[request.param])
    return str(request.param)


def _error(data: bytes) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load_yaml(data, FILE)
    assert caught.value.problem.file == FILE
    return caught.value


def billion_laughs(levels: int = 9) -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return ("\n".join(lines) + "\n").encode()


def test_values_and_keys_keep_their_line_and_column() -> None:
    data, source_map = load_yaml(b"spec:\n  sharing:\n    - principal: ops\n      role: use\n", FILE)
    assert data == {"spec": {"sharing": [{"principal": "ops", "role": "use"}]}}
    assert source_map.locate(("spec", "sharing", 0, "role")) == (4, 13)
    assert source_map.locate_key(("spec", "sharing", 0, "role")) == (4, 7)
    assert source_map.locate(("spec", "sharing", 0)) == (3, 7)
    assert source_map.locate(("spec", "missing")) is None
    assert source_map.locate_nearest(("spec", "sharing", 0, "nope", "deeper")) == ((3, 7), 3)


def test_integer_keys_and_merge_keys_are_located() -> None:
    text = b"base: &base {x: 1}\nitems:\n  <<: *base\n  y: 2\ncodes: {200: ok}\n"
    data, source_map = load_yaml(text, FILE)
    assert data["items"] == {"x": 1, "y": 2}
    assert source_map.locate(("items", "y")) == (4, 6)
    assert source_map.locate(("codes", 200)) == (5, 14)


def test_classic_billion_laughs_is_refused_fast() -> None:
    started = time.perf_counter()
    error = _error(billion_laughs())
    elapsed = time.perf_counter() - started
    assert "alias bomb" in error.problem.message
    assert error.problem.code == "yaml.alias_bomb"
    assert error.problem.line is not None
    assert elapsed < 1.0, f"took {elapsed:.2f}s"


def test_moderate_alias_reuse_is_allowed() -> None:
    data, _ = load_yaml(billion_laughs(levels=3), FILE)
    assert len(data["a2"]) == 9 and len(data["a2"][0]) == 9


def test_recursive_alias_is_refused() -> None:
    error = _error(b"a: &x [1, *x]\n")
    assert "recursive" in error.problem.message
    assert error.problem.line == 1


def test_duplicate_keys_name_both_lines() -> None:
    error = _error(b"metadata:\n  name: a\n  labels: {}\n  name: b\n")
    assert error.problem.line == 4
    assert "'name'" in error.problem.message and "line 2" in error.problem.message
    assert error.problem.code == "yaml.duplicate_key"


def test_merge_key_overridden_by_explicit_key_is_not_a_duplicate() -> None:
    data, _ = load_yaml(b"base: &b {x: 1}\nitem:\n  <<: *b\n  x: 2\n", FILE)
    assert data["item"] == {"x": 2}


@pytest.mark.parametrize("flow", [True, False])
def test_deep_nesting_is_refused(flow: bool) -> None:
    depth = MAX_DEPTH + 10
    if flow:
        text = b"a: " + b"[" * depth + b"]" * depth + b"\n"
    else:
        text = "".join(f"{'  ' * i}k{i}:\n" for i in range(depth)).encode() + b"  " * depth + b"x\n"
    error = _error(text)
    assert f"deeper than {MAX_DEPTH}" in error.problem.message
    assert error.problem.line is not None


def test_nesting_at_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 2
    data, _ = load_yaml(b"a: " + b"[" * depth + b"]" * depth + b"\n", FILE)
    assert isinstance(data["a"], list)


def test_depth_built_through_aliases_is_refused() -> None:
    inner = "[" * 40 + "1" + "]" * 40
    text = f"a: &a {inner}\nb: {'[' * 40}*a{']' * 40}\n".encode()
    assert "deeper than" in _error(text).problem.message


def test_very_deep_nesting_does_not_crash_the_parser() -> None:
    error = _error(b"[" * 100_000 + b"]" * 100_000)
    assert "deeper than" in error.problem.message


def test_non_utf8_names_the_byte_offset_and_line() -> None:
    error = _error(b"a: 1\nb: caf\xe9\n")
    assert "byte offset 11" in error.problem.message
    assert (error.problem.line, error.problem.column) == (2, 7)
    assert error.problem.hint and "UTF-8" in error.problem.hint


def test_utf16_is_named() -> None:
    assert "UTF-16" in _error("a: 1\n".encode("utf-16")).problem.message


def test_utf8_bom_is_accepted() -> None:
    data, _ = load_yaml(b"\xef\xbb\xbfa: 1\n", FILE)
    assert data == {"a": 1}


def test_oversize_file_names_its_size_and_the_limit() -> None:
    error = _error(b"a: " + b"x" * MAX_FILE_BYTES)
    assert f"{MAX_FILE_BYTES + 3:,} bytes" in error.problem.message
    assert "1 MiB" in error.problem.message


@pytest.mark.parametrize("text", [b"", b"   \n", b"# just a comment\n"])
def test_empty_file_is_named(text: bytes) -> None:
    assert _error(text).problem.message == "file is empty"


def test_several_documents_are_refused_at_the_second() -> None:
    error = _error(b"a: 1\n---\nb: 2\n")
    assert "more than one YAML document" in error.problem.message
    assert error.problem.line == 2


def test_syntax_error_names_line_and_column() -> None:
    error = _error(b"a:\n  b: [1, 2\n")
    assert error.problem.message.startswith("invalid YAML")
    assert error.problem.line == 3


def test_python_tags_are_not_constructed() -> None:
    error = _error(b"a: !!python/object/apply:os.system ['true']\n")
    assert error.problem.line == 1


def test_control_character_is_named_with_its_position() -> None:
    error = _error(b"a: 1\nb: x\x07y\n")
    assert "U+0007" in error.problem.message
    assert (error.problem.line, error.problem.column) == (2, 5)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (b"a: *nowhere\n", "found undefined alias"),
        (b"a: !Ref x\n", "could not determine a constructor"),
        (b"? [a, b]\n: 1\n", "unhashable key"),
    ],
)
def test_other_yaml_errors_are_spec_errors_with_a_line(text: bytes, fragment: str) -> None:
    error = _error(text)
    assert fragment in error.problem.message
    assert error.problem.line is not None
