"""``qanat et0``: the shipped example, bad rows, hourly data, the exit status contract."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from controller.cli import main
from models import et0
from models.errors import ModelInputError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "examples" / "weather-zhangye-daily.csv"
ZHANGYE = ["--lat", "38.93", "--lon", "100.43", "--elev", "1482"]


def run_et0(
    capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, list[dict[str, str]], str]:
    status = main(["et0", *argv])
    out, err = capsys.readouterr()
    return status, list(csv.DictReader(io.StringIO(out))), err


def test_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The README command: every day computed, plausible for Zhangye in July (3-9 mm/day)."""
    status, rows, err = run_et0(capsys, str(EXAMPLE), *ZHANGYE)
    assert status == 0 and err == ""
    assert len(rows) >= 14
    assert all(3.0 < float(r["et0_mm"]) < 9.0 for r in rows)
    assert {r["method"] for r in rows} == {"fao56-daily"}
    assert {r["et0_source"] for r in rows} == {"penman-monteith"}
    procedures = {(r["rs_source"], r["ea_source"]) for r in rows}
    assert ("sunshine-angstrom-eq35", "rh-max-min-eq17") in procedures  # blank rs_mj_m2 days
    assert ("measured", "tmin-eq48") in procedures  # the day without humidity


def test_explain_and_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "et0.csv"
    status = main(
        [
            "et0",
            str(EXAMPLE),
            *ZHANGYE,
            "--method",
            "asce",
            "--crop",
            "tall",
            "--explain",
            "-o",
            str(out),
        ]
    )
    assert status == 0 and capsys.readouterr().out == ""
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["method"] == "asce-etrs-daily"
    assert float(rows[0]["P_kpa"]) == pytest.approx(84.97, abs=0.01)  # eq. 7 at 1482 m
    assert float(rows[0]["Rn_mj_m2"]) > 0


def test_bad_rows_reported_by_row_and_column_others_computed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    weather = tmp_path / "w.csv"
    weather.write_text(
        "date,tmax_c,tmin_c,rh_max_pct,rh_min_pct,wind_m_s\n"
        "2024-07-01,30,15,80,25,2\n"
        "2024-07-02,30,15,120,25,2\n"  # row 3: RH above 100 %
        "2024-07-03,30,abc,80,25,2\n"  # row 4: not a number
        "2024-07-04,30,15,80,25,2\n"
        "2024-07-05,14,15,80,25,2\n"  # row 6: Tmin above Tmax
        "2024-07-06,,15,80,25,2\n",  # row 7: missing, not bad
        encoding="utf-8",
    )
    status, rows, err = run_et0(capsys, str(weather), *ZHANGYE)
    assert status == 1
    assert "row 3, column rh_max_pct: relative humidity outside 0..100 %" in err
    assert "row 4, column tmin_c: not a number: 'abc'" in err
    assert "row 6, column tmin_c: Tmin above Tmax" in err
    assert "row 7" not in err
    assert [r["et0_source"] for r in rows] == [
        "penman-monteith",
        "invalid",
        "invalid",
        "penman-monteith",
        "invalid",
        "missing",
    ]
    assert float(rows[0]["et0_mm"]) > 4 and float(rows[3]["et0_mm"]) > 4
    assert rows[1]["et0_mm"] == rows[2]["et0_mm"] == rows[4]["et0_mm"] == rows[5]["et0_mm"] == ""


def test_hourly_fao56_example19(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """FAO-56 Example 19 through the CLI: the evening before sets Rs/Rso = 0.8 for the night."""
    weather = tmp_path / "hourly.csv"
    weather.write_text(
        "time,t_c,rh_pct,wind_m_s,rs_mj_m2\n"
        "2024-09-29T16:00:00+00:00,33,60,2.0,1.6007\n"
        "2024-09-30T02:00:00+00:00,28,90,1.9,0\n"
        "2024-09-30T14:00:00+00:00,38,52,3.3,2.450\n",
        encoding="utf-8",
    )  # 2024 is a leap year: 30 September is day 274 as in the example
    status, rows, err = run_et0(
        capsys,
        str(weather),
        "--lat",
        "16.2167",
        "--lon",
        "-16.25",
        "--elev",
        "8",
        "--method",
        "fao56",
        "--explain",
    )
    assert status == 0, err
    assert rows[1]["et0_mm"] == "0.000" or abs(float(rows[1]["et0_mm"])) < 0.005
    assert rows[2]["et0_mm"] == "0.635"
    assert rows[1]["fcd"] == "0.7300" and rows[1]["night_fcd"] == "carry"
    assert rows[2]["method"] == "fao56-hourly"


def test_hourly_needs_longitude_and_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    weather = tmp_path / "hourly.csv"
    weather.write_text(
        "time,t_c,rs_mj_m2\n2024-07-01T13:00+08:00,30,2\n2024-07-01T12:00+08:00,30,2\n",
        encoding="utf-8",
    )
    assert main(["et0", str(weather), "--lat", "38.93", "--elev", "1482"]) == 2
    assert "--lon is required" in capsys.readouterr().err
    assert main(["et0", str(weather), *ZHANGYE]) == 2
    assert "increasing time order" in capsys.readouterr().err


def test_unusable_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    weather = tmp_path / "w.csv"
    weather.write_text("day,tmax_c\n1,30\n", encoding="utf-8")
    assert main(["et0", str(weather), *ZHANGYE]) == 2
    assert "no 'date' (daily) or 'time' (hourly) column" in capsys.readouterr().err
    weather.write_text("date,tmax_c\n2024-07-01,30\n", encoding="utf-8")
    assert main(["et0", str(weather), *ZHANGYE]) == 2
    assert "missing required column tmin_c" in capsys.readouterr().err
    assert main(["et0", str(tmp_path / "absent.csv"), *ZHANGYE]) == 2
    assert "absent.csv: No such file or directory" in capsys.readouterr().err


def test_a_krs_the_site_would_refuse_stops_before_any_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["et0", str(EXAMPLE), *ZHANGYE, "--krs", "0.3"])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err == "qanat et0: --krs 0.3: outside 0.10 to 0.25 (the FAO-56 eq. 50 krs a site accepts)\n"
    )


@pytest.mark.parametrize(
    ("option", "typed", "rule"),
    [
        ("--lat", "98", "latitude outside -90..90"),
        ("--lat", "nan", "latitude outside -90..90"),
        ("--lon", "200", "longitude outside -180..180"),
        ("--elev", "1e5", "elevation outside -500..9000 m"),
        ("--wind-height", "0", "anemometer height outside 0.1..1000 m"),
        ("--elev", "high", "not a number"),
    ],
)
def test_a_station_option_out_of_range_is_named_as_typed(
    option: str, typed: str, rule: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The option and the value as the user typed them, one line, before any row; not the
    functions' ``lat_deg[station 0] = np.float64(98.0)``."""
    given = dict(zip(ZHANGYE[::2], ZHANGYE[1::2], strict=True)) | {option: typed}
    argv = [part for pair in given.items() for part in pair]
    with pytest.raises(SystemExit) as exit_:
        main(["et0", str(EXAMPLE), *argv])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"qanat et0: {option} {typed}: {rule}\n")


def test_the_functions_name_a_bad_station_value_as_a_plain_number() -> None:
    with pytest.raises(ModelInputError) as refused:
        et0.daily(tmax=[30.0], tmin=[15.0], doy=[180], lat_deg=98, elev_m=1482)
    assert str(refused.value) == "lat_deg[station 0] = 98.0: latitude outside -90..90"


def test_a_csv_not_in_utf8_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A weather sheet saved by Excel on a Chinese desktop is GBK: refused by name, exit 2,
    saying how to save it, not a traceback."""
    weather = tmp_path / "张掖气象.csv"
    weather.write_bytes("date,tmax_c,tmin_c,备注\n2024-07-01,30,15,晴\n".encode("gbk"))
    assert main(["et0", str(weather), *ZHANGYE]) == 2
    err = capsys.readouterr().err
    assert f"qanat et0: {weather}: not UTF-8 text" in err and "save it as CSV UTF-8" in err


def test_an_output_it_cannot_write_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``-o`` into a folder that is not there: exit 2 naming the file, not a traceback."""
    out = tmp_path / "no-such-folder" / "et0.csv"
    args = ["et0", str(EXAMPLE), "--lat", "38.93", "--lon", "100.43", "--elev", "1482"]
    assert main([*args, "-o", str(out)]) == 2
    assert capsys.readouterr().err == f"qanat et0: cannot write {out}: No such file or directory\n"
