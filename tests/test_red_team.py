"""The red-team report adds up what the tests measured, and fails on any zero that is not.

A real pytest run writes a JUnit report from tests using the ``figures`` fixture; the
report is read back by :mod:`hil_tests.red_team` as CI and the by-hand run do.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hil_tests import red_team
from tests.helpers.figures import figures_from_junit
from tests.helpers.site import ROOT

TESTS = """
from tests.helpers.figures import figures  # noqa: F401


def test_fuzz(figures):
    for _ in range(7):
        figures.add("api_fuzz_cases")
    figures.add("api_5xx", 0)


def test_faults(figures):
    figures.fault(detect_s=None)
    figures.fault(detect_s=12.5, sensor=True, tried=False)
    figures.fault(detect_s=None)
    figures.fault(detect_s=3.0, output=True, tried=False)


def test_more_faults(figures):
    figures.fault(detect_s=None)
    figures.fault(detect_s=40.0, sensor=True, tried=False)


def test_a_fault_not_alarmed(figures):
    figures.fault(detect_s=None)
    assert {failing}
"""


def _report(tmp_path: Path, failing: bool) -> Path:
    (tmp_path / "test_sample.py").write_text(TESTS.format(failing=not failing), "utf-8")
    junit = tmp_path / "junit.xml"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    command += [f"--junitxml={junit}", f"--rootdir={tmp_path}", str(tmp_path / "test_sample.py")]
    subprocess.run(
        command,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        check=False,
    )
    return junit


def test_figures_are_added_up_and_maxima_kept(tmp_path: Path) -> None:
    figures = red_team.summarize(figures_from_junit(_report(tmp_path, failing=False)))
    assert figures["api_fuzz_cases"] == 7 and figures["api_5xx"] == 0
    assert (figures["faults_tried"], figures["faults_alarmed"]) == (4, 3)
    assert figures["sensor_fault_detect_s_max"] == 40.0
    assert figures["output_mismatch_detect_s_max"] == 3.0
    assert figures["tests_run"] == 4 and figures["tests_failed"] == 0
    assert red_team.verdict(figures) == ["faults alarmed 3 of 4"]


def test_a_failed_test_and_a_nonzero_figure_fail_the_verdict(tmp_path: Path) -> None:
    figures = red_team.summarize(figures_from_junit(_report(tmp_path, failing=True)))
    assert figures["tests_failed"] == 1
    assert figures["failed"] == ["test_sample.py::test_a_fault_not_alarmed"]
    figures["records_lost"] = 2
    wrong = red_team.verdict(figures)
    assert "records_lost = 2" in wrong and "tests_failed = 1" in wrong


def test_the_command_prints_json_and_exits_by_the_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = _report(tmp_path, failing=False)
    assert red_team.main(["--junit", str(junit)]) == 1  # one fault tried, not alarmed
    printed = json.loads(capsys.readouterr().out)
    assert printed["verdict"].startswith("fail: faults alarmed 3 of 4")
    for name in red_team.REPORTED:
        assert name in printed
