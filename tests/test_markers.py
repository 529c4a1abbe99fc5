"""The pytest markers ``pyproject.toml`` declares are the ones the suite uses and documents.

``--strict-markers`` already refuses a mark that is not declared; this holds the other way:
a declared marker that no test carries selects nothing with ``-m`` (a run that tests
nothing and passes), and one that docs/testing.md does not give is a switch nobody finds.
"""

from __future__ import annotations

import re
import tomllib

from tests.helpers.site import ROOT

DECLARED: dict[str, str] = dict(
    line.split(":", 1)
    for line in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "pytest"
    ]["ini_options"]["markers"]
)


def _used_marks() -> set[str]:
    """Every ``pytest.mark.<name>`` written in tests/ and hil_tests/."""
    used: set[str] = set()
    for folder in ("tests", "hil_tests"):
        for path in (ROOT / folder).rglob("*.py"):
            used.update(re.findall(r"pytest\.mark\.(\w+)", path.read_text(encoding="utf-8")))
    return used


def test_every_declared_marker_is_carried_by_a_test() -> None:
    unused = sorted(set(DECLARED) - _used_marks())
    assert not unused, f"declared in pyproject.toml but no test carries it: {unused}"


def test_every_declared_marker_is_in_the_testing_doc() -> None:
    doc = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    missing = sorted(name for name in DECLARED if f"-m {name}" not in doc)
    assert not missing, f"docs/testing.md does not say how to select: {missing}"
