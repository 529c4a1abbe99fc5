"""Fuzzing the site file: whatever a person or an editor makes of it, ``load_site`` gives a
valid site or a :class:`ConfigError` whose every problem names the file and a key path.

Two levels: the TOML text (bytes inserted, lines cut, swapped, doubled, values replaced by
hostile tokens, the file truncated) and the parsed document (a key removed, a value of the
wrong type, out of range, huge, negative, NaN, infinite, unicode, deeply nested; an
unknown key; a list item doubled so names repeat), written back as TOML. Seeds are the demo
site and the season scenario's site. A few rules are then pinned key by key: at every date
of the seeds, and at a sample of their numbers, texts and keys (fixed under CI, exploring by
hand).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from controller.config.site import ConfigError, SiteConfig, load_site
from controller.config.tomlfile import key_path
from tests.helpers.figures import Figures
from tests.helpers.site import DEMO_SITE, ROOT

SEASON_SITE = ROOT / "controller" / "simulation" / "scenarios" / "zhangye-seed-corn.site.toml"
SEEDS = {p.name: p.read_text(encoding="utf-8") for p in (DEMO_SITE, SEASON_SITE)}
DATA = {name: tomllib.loads(text) for name, text in SEEDS.items()}

# `zones[3].planting_date`, `buses[0]."bad key"`, or `(top level)`; then the message and file.
_SEGMENT = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*")'
KEY_PROBLEM = re.compile(
    rf"^(?:\(top level\)|{_SEGMENT}(?:\[\d+\]|\.{_SEGMENT})*): .+ \(site\.toml\)$"
)
FUZZ = settings(
    max_examples=120,
    deadline=None,  # a loaded machine: no timing in tests
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
RULE = settings(FUZZ, max_examples=60)  # one key a time: a sample of the seeds' keys per run


def outcome(tmp_path: Path, content: str | bytes) -> SiteConfig | list[str]:
    """The site loaded from ``content``, or its problems, each checked to name file and key."""
    path = tmp_path / "site.toml"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    try:
        return load_site(path)
    except ConfigError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert "\n" not in problem, problem
            assert problem.startswith("site.toml: ") or KEY_PROBLEM.match(problem), problem
        return exc.problems


# -- TOML text written back from a document -----------------------------------------------


def toml_value(value: Any) -> str:
    """``value`` as one-line TOML (inline tables and arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, str):
        return toml_key(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_key(text: str) -> str:
    # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_document(data: dict[str, Any]) -> str:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in data.items())


def test_the_writer_round_trips_the_seeds() -> None:
    for data in DATA.values():
        assert tomllib.loads(toml_document(data)) == data


# -- what a fuzzed value may be ------------------------------------------------------------

EDGE_NUMBERS = [0, -1, -(2**63), 2**64, 10**30, -0.0, 1e308, -1e308, 5e-324]
EDGE_VALUES: list[Any] = [
    *EDGE_NUMBERS,
    math.nan,
    math.inf,
    -math.inf,
    "",
    " ",
    "5",
    "true",
    "x" * 10_000,
    "名" * 300,
    "a\nb",
    "a\x00b",
    "\u202e",
    "../../etc/passwd",
    "relay1.ch1",
    "z1",
    "Asia",
    dt.date(1, 1, 1),
    dt.date(9999, 12, 31),
    dt.datetime(2026, 4, 20, 7, 30),
    dt.time(7, 30),
    [],
    {},
]
scalars = st.one_of(
    st.sampled_from(EDGE_VALUES),
    st.integers(),
    st.floats(),
    st.text(max_size=40),
    st.booleans(),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def deep(levels: int) -> Any:
    value: Any = 1
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


def paths(node: Any, where: tuple[int | str, ...] = ()) -> list[tuple[int | str, ...]]:
    """Every key path below ``node`` (containers and leaves)."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    found = []
    for key, child in items:
        found.append((*where, key))
        if isinstance(child, dict | list):
            found += paths(child, (*where, key))
    return found


def at(data: Any, where: tuple[int | str, ...]) -> Any:
    for key in where:
        data = data[key]
    return data


def copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [copy(v) for v in data]
    return data


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    data = copy(DATA[draw(st.sampled_from(sorted(DATA)))])
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(paths(data) or [("site",)]))
        parent, key = (at(data, where[:-1]), where[-1]) if where else (data, "site")
        kind = draw(st.sampled_from(["delete", "replace", "replace", "unknown", "double", "deep"]))
        if kind == "delete":
            del parent[key]
        elif kind == "replace":
            parent[key] = draw(values)
        elif kind == "deep":
            parent[key] = deep(draw(st.sampled_from([9, 50, 300])))
        elif kind == "unknown" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        elif kind == "double" and isinstance(parent, list):
            parent.insert(int(key), copy(parent[int(key)]))  # names now repeat
    return data


@given(data=mutated_documents())
@FUZZ
def test_a_mutated_document_is_a_site_or_problems_with_key_paths(
    tmp_path: Path, data: dict[str, Any], figures: Figures
) -> None:
    figures.add("config_fuzz_cases")
    outcome(tmp_path, toml_document(data))


# -- mutated text --------------------------------------------------------------------------

HOSTILE_TOKENS = [
    "nan",
    "inf",
    "-inf",
    "1e400",
    "-1",
    "0",
    "9" * 5000,
    '"' + "x" * 10_000 + '"',
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    "true",
    "[]",
    "{}",
    '"\\u0000"',
    '"名前"',
    "[" * 5000 + "]" * 5000,
    "[" * 40 + "]" * 40,
    '"unterminated',
]


@st.composite
def mutated_texts(draw: st.DrawFn) -> bytes:
    text = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
    lines = text.splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    kind = draw(st.sampled_from(["value", "value", "bytes", "cut", "swap", "double", "truncate"]))
    if kind == "value" and " = " in lines[i]:
        token = draw(st.sampled_from(HOSTILE_TOKENS) | st.text(max_size=20))
        lines[i] = lines[i].split(" = ", 1)[0] + " = " + token + "\n"
    elif kind == "cut":
        del lines[i]
    elif kind == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "double":
        lines.insert(i, lines[i])
    raw = "".join(lines).encode("utf-8")
    if kind == "bytes":
        at_byte = draw(st.integers(0, len(raw)))
        raw = raw[:at_byte] + draw(st.binary(min_size=1, max_size=8)) + raw[at_byte:]
    elif kind == "truncate":
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


@given(raw=mutated_texts())
@example(raw=b'[site]\nid = "\xff\xfe"\n')  # the red team's findings, always tried
@example(raw=b"x = " + b"[" * 5000 + b"]" * 5000)
@example(raw=SEEDS[DEMO_SITE.name].replace("2026-04-22", "0001-01-01").encode())
@FUZZ
def test_a_mutated_text_is_a_site_or_problems_naming_the_file(
    tmp_path: Path, raw: bytes, figures: Figures
) -> None:
    figures.add("config_fuzz_cases")
    outcome(tmp_path, raw)


# -- rules pinned key by key ------------------------------------------------


def leaves(kind: type | tuple[type, ...]) -> list[tuple[str, tuple[int | str, ...]]]:
    """(seed, key path) of every leaf of type ``kind`` in the seeds (bools are no numbers)."""
    return [
        (seed, where)
        for seed, data in DATA.items()
        for where in paths(data)
        if isinstance(at(data, where), kind) and not isinstance(at(data, where), bool)
    ]


def with_value(seed: str, where: tuple[int | str, ...], value: Any) -> str:
    data = copy(DATA[seed])
    at(data, where[:-1])[where[-1]] = value
    return toml_document(data)


def refused_at(tmp_path: Path, text: str, where: tuple[int | str, ...]) -> list[str]:
    """The problems of ``text``, asserting one names ``where`` (or the list holding it)."""
    result = outcome(tmp_path, text)
    assert isinstance(result, list), f"{key_path(where)}: accepted"
    names = {key_path(where), key_path(where[:-1])}  # list items: pydantic names the list
    assert any(p.split(": ", 1)[0] in names for p in result), result
    return result


@given(case=st.sampled_from(leaves((int, float))), value=st.sampled_from([math.nan, math.inf]))
@RULE
def test_every_number_refuses_nan_and_infinity(
    tmp_path: Path, case: tuple[str, tuple[int | str, ...]], value: float
) -> None:
    seed, where = case
    refused_at(tmp_path, with_value(seed, where, value), where)


@given(case=st.sampled_from(leaves((int, float))))
@RULE
def test_every_number_refuses_a_string_that_looks_like_one(
    tmp_path: Path, case: tuple[str, tuple[int | str, ...]]
) -> None:
    seed, where = case
    refused_at(tmp_path, with_value(seed, where, str(at(DATA[seed], where))), where)


@given(case=st.sampled_from(leaves(str)), text=st.sampled_from(["x" * 201, "a\nb", "a\x1bb"]))
@RULE
def test_every_text_is_bounded_and_free_of_control_characters(
    tmp_path: Path, case: tuple[str, tuple[int | str, ...]], text: str
) -> None:
    seed, where = case
    refused_at(tmp_path, with_value(seed, where, text), where)


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (dt.date(1, 1, 1), "0001-01-01 is before 2000-01-01"),
        (dt.date(2100, 1, 1), "2100-01-01 is after 2099-12-31"),
    ],
)
@pytest.mark.parametrize(("seed", "where"), leaves(dt.date))
def test_every_date_is_within_plausible_years(
    tmp_path: Path, seed: str, where: tuple[int | str, ...], day: dt.date, message: str
) -> None:
    problems = refused_at(tmp_path, with_value(seed, where, day), where)
    assert f"{key_path(where)}: {message} (site.toml)" in problems


@given(case=st.sampled_from([(s, w) for s, d in DATA.items() for w in paths(d) if len(w) <= 8]))
@RULE
def test_nesting_deeper_than_the_limit_is_refused_at_its_key(
    tmp_path: Path, case: tuple[str, tuple[int | str, ...]]
) -> None:
    seed, where = case
    problems = outcome(tmp_path, with_value(seed, where, deep(12)))
    assert isinstance(problems, list)
    assert [p for p in problems if p.startswith(key_path(where))], problems
    assert all("nested deeper than 8 levels" in p for p in problems), problems
