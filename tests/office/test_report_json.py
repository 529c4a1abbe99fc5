"""``qanat report --json``: the CSV's rows as objects with the baseline named, through the
CLI against the office database on SQLite and PostgreSQL; its refusals stay a line on
stderr with exit status 2 and nothing on standard output."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from controller.cli import main
from controller.office.central import CentralDB, ZoneArea
from controller.office.pull import pull_all
from controller.office.report import CSV_COLUMNS
from tests.helpers.office.boxes import running_box


def _as_csv_cell(value: Any) -> str:
    """A JSON field as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return ";".join(f"{n}={kg:.3f}" for n, kg in value.items())
    return str(value)


def _report(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    assert main(["report", *args]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_json_has_the_csv_rows_as_objects_with_the_baseline_named(
    tmp_path: Path, office_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        running_box(tmp_path / "b", "ganzhou-01", days=40, readings_per_day=1) as box,
        CentralDB(office_url) as db,
    ):
        assert pull_all(db, [box.spec])[0].ok
    out, err = _report(["--db", office_url, "--json"], capsys)
    assert err == ""
    doc = json.loads(out)
    assert _report(["--db", office_url, "--format", "json"], capsys)[0] == out
    table = list(
        csv.DictReader(io.StringIO(_report(["--db", office_url, "--format", "csv"], capsys)[0]))
    )
    rows = doc["rows"]
    assert [list(row) for row in rows] == [CSV_COLUMNS] * len(table)
    assert [{k: _as_csv_cell(v) for k, v in row.items()} for row in rows] == table
    assert [(r["site"], r["zone"]) for r in rows] == [("ganzhou-01", z) for z in ("z1", "z2", "*")]
    assert all(isinstance(r["metered_m3"], float) and r["metered_m3"] > 0 for r in rows)
    assert all(isinstance(r["days"], int) for r in rows)
    practice = doc["baseline_practice"]
    assert practice.startswith("border irrigation of seed corn as surveyed in Zhangye")
    assert {r["baseline_practice"] for r in rows} == {practice}
    assert doc["season"] is True and doc["start"] <= doc["end"]
    assert doc["warnings"] == [] and any(n.startswith("baseline: ") for n in doc["notes"])


def test_a_range_with_nothing_known_has_null_savings_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No saving where nothing is known of the water used: ``null`` (the CSV's empty
    cell), and the warning both on stderr and in the document."""
    db_path = tmp_path / "office.db"
    with CentralDB(f"sqlite:///{db_path}") as db:
        db.store_zones("ganzhou-01", [ZoneArea("ganzhou-01", "z1", "Zone z1", 1000.0, "maize")])
    args = ["--db", str(db_path), "--json", "--start", "2026-05-01", "--end", "2026-05-31"]
    out, err = _report(args, capsys)
    doc = json.loads(out)
    assert [(r["zone"], r["saving_m3"], r["saving_m3_per_mu"]) for r in doc["rows"]] == [
        ("z1", None, None),
        ("*", None, None),
    ]
    assert doc["season"] is False
    assert (doc["start"], doc["end"]) == ("2026-05-01", "2026-05-31")
    [warning] = doc["warnings"]
    assert warning.startswith("ganzhou-01: no water-balance day from 2026-05-01 to 2026-05-31")
    assert err == f"warning: {warning}\n"


def test_an_unknown_site_is_one_line_on_stderr_not_json(
    tmp_path: Path, office_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with CentralDB(office_url) as db:
        db.store_zones("ganzhou-01", [ZoneArea("ganzhou-01", "z1", "Zone z1", 1000.0, "maize")])
    assert main(["report", "--db", office_url, "--json", "--site", "ganzhou-1"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "cannot make the report: no site 'ganzhou-1' in the office database "
        "(its sites: ganzhou-01)\n"
    )


def test_a_missing_database_is_one_line_on_stderr_not_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "qanat-ofice.db"
    assert main(["report", "--db", str(typo), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and f"no office database {typo}" in err


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--tz", "Mars/Olympus"],
            "argument --tz: an IANA time zone such as Asia/Shanghai expected, got 'Mars/Olympus'",
        ),
        (["--format", "csv"], "argument --json: not allowed with argument --format"),
    ],
)
def test_a_bad_option_is_argparse_exit_2_and_no_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], error: str
) -> None:
    """argparse's refusal, as for every option of qanat: its usage, then the one error
    line; nothing on standard output and no database opened."""
    with pytest.raises(SystemExit) as stopped:
        main(["report", "--db", str(tmp_path / "o.db"), *args, "--json"])
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: qanat report ")
    assert err.endswith(f"qanat report: error: {error}\n")
    assert not (tmp_path / "o.db").exists()
