"""hil_tests/README.md's table of files against the directory: each file it names is
there (a path with a slash from the checkout's root), and each module of the suite is named."""

from __future__ import annotations

import re

from tests.helpers.site import ROOT

HIL = ROOT / "hil_tests"
TABLE = [
    line.split(" | ", 1)[0]
    for line in (HIL / "README.md").read_text(encoding="utf-8").splitlines()
    if line.startswith("| `")
]
NAMED = [name for cell in TABLE for name in re.findall(r"`([^`]+)`", cell)]


def test_every_file_the_table_names_is_there() -> None:
    missing = [
        name for name in NAMED if not ((ROOT / name) if "/" in name else (HIL / name)).exists()
    ]
    assert NAMED and missing == []


def test_every_module_of_the_suite_is_in_the_table() -> None:
    modules = sorted(p.name for p in HIL.glob("*.py") if p.name != "__init__.py")
    assert [m for m in modules if m not in NAMED] == []
