"""docs/operations.md's alarms table names every event code the code base can raise, and
each row says what a technician should do.

The codes are collected from the source (:mod:`tests.helpers.alarm_codes`); a row names its
codes in backticks in its first cell (``agronomy_*`` would stand for every code so begun);
its cells are: code, what happened, what qanat did, what to do.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.alarm_codes import event_codes
from tests.helpers.site import ROOT

# Rows that name no event: the start refused on a damaged database (an exit status, no event).
NOT_EVENTS = {"store_corrupt"}


def _rows() -> list[list[str]]:
    """The table's rows, each as its cells (a ``\\|`` inside a cell is no separator)."""
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = doc.split("## Alarms and what to do", 1)[1].split("\n#", 1)[0]
    return [
        [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        for line in section.splitlines()
        if line.startswith("| `")
    ]


def _table_codes() -> set[str]:
    named: set[str] = set()
    for cells in _rows():
        named |= set(re.findall(r"`([a-z0-9_*]+)`", cells[0]))
    return named


def _covered(code: str, named: set[str]) -> bool:
    return code in named or any(n.endswith("*") and code.startswith(n[:-1]) for n in named)


@pytest.fixture(scope="module")
def codes() -> set[str]:
    return event_codes()  # reads every module of the code base: once


def test_every_event_code_is_in_the_alarms_table(codes: set[str]) -> None:
    named = _table_codes()
    assert sorted(c for c in codes if not _covered(c, named)) == []


def test_the_alarms_table_names_no_code_the_code_cannot_raise(codes: set[str]) -> None:
    stale = [n for n in _table_codes() - NOT_EVENTS if not any(_covered(c, {n}) for c in codes)]
    assert sorted(stale) == []


def test_every_row_says_what_happened_what_qanat_did_and_what_to_do() -> None:
    rows = _rows()
    assert len(rows) >= 40  # the table was found and read
    short = [cells[0] for cells in rows if len(cells) != 4 or not all(cells)]
    assert short == []
