"""Figures a test measures while it checks behaviour, for the red-team report.

A test takes the ``figures`` fixture and counts what it tried and found (fuzz cases,
authorisation cases, faults injected and alarmed, seconds to detect, kill cycles, records
lost). At the test's end the totals become pytest *user properties* named
``figure:<name>:<how>`` (``how`` = ``sum`` or ``max``), which ``--junitxml`` writes into
the report; ``python -m hil_tests.red_team`` adds them up over the suite
(:func:`figures_from_junit`). The test still asserts: a figure never replaces a check.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = ["Figures", "JunitSummary", "figures", "figures_from_junit"]

PREFIX = "figure:"


@dataclass
class Figures:
    """Totals of one test: counts add up, maxima keep the largest value."""

    sums: dict[str, float] = field(default_factory=dict)
    maxima: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, n: float = 1) -> None:
        self.sums[name] = self.sums.get(name, 0) + n

    def max(self, name: str, value: float) -> None:
        self.maxima[name] = max(self.maxima.get(name, value), value)

    def fault(
        self,
        *,
        detect_s: float | None,
        sensor: bool = False,
        output: bool = False,
        tried: bool = True,
    ) -> None:
        """A fault injected (``faults_tried``, unless ``tried`` is false: counted already)
        and, when ``detect_s`` is given, alarmed that many seconds (virtual or real) after it
        went in. Count the try before waiting for the alarm, so a test that fails shows a
        fault tried and not alarmed."""
        if tried:
            self.add("faults_tried")
        if detect_s is None:
            return
        self.add("faults_alarmed")
        self.max("fault_detect_s_max", detect_s)
        if sensor:
            self.max("sensor_fault_detect_s_max", detect_s)
        if output:
            self.max("output_mismatch_detect_s_max", detect_s)

    def properties(self) -> list[tuple[str, float]]:
        return [(f"{PREFIX}{k}:sum", v) for k, v in self.sums.items()] + [
            (f"{PREFIX}{k}:max", v) for k, v in self.maxima.items()
        ]


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    """The test's :class:`Figures`, written as user properties when it ends (pass or fail)."""
    totals = Figures()
    yield totals
    request.node.user_properties.extend(totals.properties())


@dataclass
class JunitSummary:
    """A JUnit XML report: the figures added up, and the tests by outcome per file."""

    figures: dict[str, float]
    tests: dict[str, int]  # file -> tests run
    failed: dict[str, list[str]]  # file -> failed or errored test names


def figures_from_junit(path: Path) -> JunitSummary:
    """Add up the ``figure:`` properties of every test case in the report at ``path``."""
    sums: dict[str, float] = {}
    maxima: dict[str, float] = {}
    tests: dict[str, int] = {}
    failed: dict[str, list[str]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        where = _file_of(case)
        if case.find("skipped") is not None:
            continue
        tests[where] = tests.get(where, 0) + 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed.setdefault(where, []).append(case.get("name", "?"))
        for prop in case.iter("property"):
            name, value = prop.get("name", ""), prop.get("value", "0")
            if not name.startswith(PREFIX):
                continue
            figure, _, how = name[len(PREFIX) :].rpartition(":")
            number = float(value)
            if how == "max":
                maxima[figure] = max(maxima.get(figure, number), number)
            else:
                sums[figure] = sums.get(figure, 0) + number
    return JunitSummary({**sums, **maxima}, tests, failed)


def _file_of(case: ET.Element) -> str:
    """The test file of a JUnit test case (``classname`` is the dotted module path)."""
    parts = (case.get("classname") or "").split(".")
    modules = [i for i, p in enumerate(parts) if p.startswith("test_")]
    if modules:
        parts = parts[: modules[0] + 1]
    return "/".join(parts) + ".py"
