"""Water-balance reports: the accounting, CSV, HTML with charts, from a box and the office."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from controller.cli import main
from controller.config.site import M2_PER_MU, SiteConfig
from controller.office.central import CentralDB, ZoneArea
from controller.office.pull import SiteSpec, pull_all
from controller.office.report import Report, ReportZone, from_store, to_csv
from controller.office.report_central import from_central
from controller.office.report_html import render_html
from controller.store import Store
from tests.helpers.office.boxes import running_box
from tests.helpers.office.seed import (
    IRRIGATION_MM,
    METER_FACTOR,
    ZONE_AREA_MU,
    open_store,
    seed_season,
)
from tests.helpers.office.servers import call
from tests.helpers.site import refusing_port

TZ = ZoneInfo("Asia/Shanghai")
ZONES = [ReportZone("ganzhou-01", z, f"Zone {z}", mu * M2_PER_MU) for z, mu in ZONE_AREA_MU.items()]


@pytest.fixture(scope="module")
def season_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(tmp_path_factory.mktemp("season"))
    seed_season(store, days=150, readings_per_day=2)
    yield store
    store.close()


@pytest.fixture(scope="module")
def season(season_store: Store) -> Report:
    return from_store(season_store, ZONES, None, None, TZ)


def test_season_balance_closes_and_counts_the_metered_water(
    season: Report, season_store: Store
) -> None:
    assert (season.start, season.end) == (dt.date(2026, 4, 20), dt.date(2026, 9, 16))
    site = season.sites[0]
    for z in site.zones:
        runs = season_store.runs(z.zone.zone)
        assert z.metered_m3 == pytest.approx(sum(r.applied_m3 for r in runs))
        # Every run applied IRRIGATION_MM at the root zone, METER_FACTOR more at the meter.
        assert z.metered_m3 == pytest.approx(z.m3("irrigation") * METER_FACTOR)
        assert z.depth_mm["closure"] == pytest.approx(0.0, abs=1e-6)  # eq. 85 day by day
        assert z.days == 150
        assert z.fertilizer_kg["N"] == pytest.approx(2.5 * len(runs))
    z1 = site.zones[0]
    assert z1.baseline_m3_per_mu == 100 + 4 * 85  # winter + the four surveyed border floods
    assert z1.saving_m3_per_mu == pytest.approx(440 - z1.metered_m3_per_mu)
    assert z1.metered_m3_per_mu == pytest.approx(
        len(season_store.runs("z1")) * IRRIGATION_MM / 1000 * M2_PER_MU * METER_FACTOR
    )
    assert z1.cumulative[-1][1:] == pytest.approx((z1.metered_m3_per_mu, 440))


def test_a_day_range_counts_its_events_not_the_winter_irrigation(season_store: Store) -> None:
    june = from_store(season_store, ZONES, dt.date(2026, 6, 1), dt.date(2026, 6, 30), TZ)
    z1 = june.sites[0].zones[0]
    assert z1.days == 30
    assert z1.baseline_m3_per_mu == 170  # June 3 and June 26
    in_june = [
        r
        for r in season_store.runs("z1")
        if r.started_at is not None and r.started_at.astimezone(TZ).month == 6
    ]
    assert z1.metered_m3 == pytest.approx(sum(r.applied_m3 for r in in_june))


def test_a_range_with_no_rows_claims_no_saving(season_store: Store) -> None:
    """June of the year before: no balance day, no run. The practice's two June floods
    would read as 170 m³/mu saved; the report shows no saving and says first why."""
    june = from_store(season_store, ZONES, dt.date(2025, 6, 1), dt.date(2025, 6, 30), TZ)
    site = june.sites[0]
    assert site.zones[0].baseline_m3_per_mu == 170
    assert [(z.saving_m3, z.saving_m3_per_mu) for z in site.zones] == [(None, None)] * 2
    assert (site.saving_m3, site.saving_m3_per_mu) == (None, None)
    rows = list(csv.DictReader(io.StringIO(to_csv(june))))
    assert [(r["zone"], r["saving_m3"], r["saving_m3_per_mu"]) for r in rows] == [
        ("z1", "", ""),
        ("z2", "", ""),
        ("*", "", ""),
    ]
    assert float(rows[0]["baseline_m3_per_mu"]) == 170  # the baseline itself is still shown
    assert june.warnings == [
        "ganzhou-01: no water-balance day from 2025-06-01 to 2025-06-30 for zone z1, z2: "
        "nothing is known of the water used there, so no saving is shown for it (the site's "
        "saving counts the zones with data only)"
    ]
    page = render_html(june)
    assert "so no saving is shown for it" in page
    assert len(june.sites) == 1 and re.search(r"·\s+1 site</p>", page)  # not "1 site(s)"
    assert page.count('class="unknown">—</td>') == 2 + 2  # the site's two cells, a zone's one
    assert (
        from_store(season_store, ZONES, dt.date(2026, 6, 1), dt.date(2026, 6, 30), TZ).warnings
        == []
    )


def test_a_site_saving_counts_only_its_zones_with_data(season_store: Store) -> None:
    """A zone the store holds nothing of (z3) adds its area and baseline to the site's
    row but nothing to its saving, per mu of the zones with data."""
    z3 = ReportZone("ganzhou-01", "z3", "Zone z3", 10 * M2_PER_MU)
    june = from_store(season_store, [*ZONES, z3], dt.date(2026, 6, 1), dt.date(2026, 6, 30), TZ)
    site = june.sites[0]
    z1, z2, empty = site.zones
    assert empty.saving_m3 is None and z1.saving_m3 is not None and z2.saving_m3 is not None
    assert site.saving_m3 == pytest.approx(z1.saving_m3 + z2.saving_m3)
    assert site.saving_m3_per_mu == pytest.approx(
        site.saving_m3 / (z1.zone.area_mu + z2.zone.area_mu)
    )
    total = list(csv.DictReader(io.StringIO(to_csv(june))))[-1]
    assert float(total["saving_m3"]) == pytest.approx(site.saving_m3, abs=1e-3)
    assert float(total["baseline_m3"]) == pytest.approx(site.baseline_m3, abs=1e-3)
    assert june.warnings and "for zone z3:" in june.warnings[0]


def test_csv_has_a_row_per_zone_and_the_site(season: Report) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(season))))
    assert [(r["site"], r["zone"]) for r in rows] == [
        ("ganzhou-01", "z1"),
        ("ganzhou-01", "z2"),
        ("ganzhou-01", "*"),
    ]
    total = rows[-1]
    assert float(total["area_mu"]) == pytest.approx(50.0)
    assert float(total["metered_m3"]) == pytest.approx(
        sum(float(r["metered_m3"]) for r in rows[:2]), abs=0.01
    )
    assert float(total["baseline_m3_per_mu"]) == pytest.approx(440.0)
    assert "N=" in rows[0]["fertilizer_kg_per_mu"]
    # the baseline named on every row: a spreadsheet has no page notes
    assert {r["baseline_practice"] for r in rows} == {
        "border irrigation of seed corn as surveyed in Zhangye (440 m³/mu a year): winter "
        "100 m³/mu; events (m³/mu) 06-03 85, 06-26 85, 07-18 85, 08-10 85"
    }


def test_html_is_printable_offline_with_a_chart_per_zone(season: Report) -> None:
    page = render_html(season)
    assert page.count("<svg") == 2
    assert page.count('class="metered"') == 2 and page.count('class="baseline"') == 2
    assert "<script" not in page
    links = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert links == []  # nothing fetched: no CDN, no fonts
    assert "水平衡" in page and "2026-04-20" in page and "m³/mu" in page


def test_the_saving_is_named_as_before_leaching_where_the_box_takes_it_off(
    season: Report,
) -> None:
    """The box's overview takes off the leaching its salt ledger needs; this report cannot:
    its saving is named for what it is, so the two figures do not read as one."""
    page = render_html(season)
    assert "<th>saving, m³/mu</th>" not in page
    assert page.count("<th>saving before leaching, m³/mu</th>") == 2
    assert any(n.startswith("saving before leaching: baseline − metered") for n in season.notes)


def test_the_office_report_equals_the_box_report(tmp_path: Path, office_url: str) -> None:
    with running_box(tmp_path / "b", "ganzhou-01", days=60, readings_per_day=1) as box:
        box_report = from_store(box.store, ZONES, None, None, TZ)
        with CentralDB(office_url) as db:
            assert pull_all(db, [box.spec])[0].ok
            office = from_central(db, None, None, TZ)
        assert to_csv(office) == to_csv(box_report)
        assert box_report.sites[0].zones[0].metered_m3 > 0
        # The page on the box: the same numbers.
        csv_page = call(box.url, "/api/v1/report", token=box.token, params={"format": "csv"})
        assert csv_page.status == 200 and csv_page.headers["content-type"].startswith("text/csv")
        assert csv_page.body.decode() == to_csv(box_report)
        html_page = call(box.url, "/api/v1/report", token=box.token)
        assert html_page.status == 200 and html_page.body.count(b"<svg") == 2
        bad = call(box.url, "/api/v1/report", token=box.token, params={"start": "2026-05-01"})
        assert bad.status == 422
        assert call(box.url, "/api/v1/report").status == 401


def test_cli_reports_from_a_box_and_from_the_office(
    tmp_path: Path, site: SiteConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "box"
    store = open_store(data)
    seed_season(store, days=45, readings_per_day=1)
    store.close()
    site_file = tmp_path / "site.toml"  # the demo site (zones z1..z4, 25 mu each)
    out = tmp_path / "box.html"
    args = ["report", "--config", str(site_file), "--data-dir", str(data), "--out", str(out)]
    assert main(args) == 0
    assert out.read_text(encoding="utf-8").count("<svg") == len(site.zones)
    empty = tmp_path / "empty.db"
    CentralDB(f"sqlite:///{empty}").close()  # pulled nothing yet: an empty report
    assert main(["report", "--db", str(empty), "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("site,zone,area_mu")
    assert main(["report", "--db", str(tmp_path / "x.db"), "--start", "2026-05-01"]) == 2


def test_cli_refuses_a_source_that_is_not_there_rather_than_report_it_empty(
    tmp_path: Path, site: SiteConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --db or --data-dir is named, not created: its empty report would count
    the whole conventional practice's water as saved."""
    typo = tmp_path / "qanat-ofice.db"
    assert main(["report", "--db", str(typo), "--format", "csv"]) == 2
    err = capsys.readouterr().err
    assert f"no office database {typo}" in err and not typo.exists()
    nowhere = tmp_path / "not-the-data-dir"
    site_file = tmp_path / "site.toml"  # the demo site
    assert site.zones and site_file.is_file()
    assert main(["report", "--config", str(site_file), "--data-dir", str(nowhere)]) == 2
    err = capsys.readouterr().err
    assert f"no box store in {nowhere}" in err and not nowhere.exists()


def test_a_closure_a_rounding_short_of_zero_is_not_printed_minus_zero(season: Report) -> None:
    """The balance closes to a float's last bits (-1e-12 mm): the CSV and the page say 0.0,
    never "-0.0", a figure an office clerk reads as a loss."""
    site = season.sites[0]
    zones = [replace(z, depth_mm={**z.depth_mm, "closure": -1e-12}) for z in site.zones]
    tiny = replace(season, sites=[replace(site, zones=zones)])
    rows = list(csv.DictReader(io.StringIO(to_csv(tiny))))
    assert [r["closure_mm"] for r in rows] == ["0.0", "0.0", "0.0"]
    assert not any(cell == "-0.0" for r in rows for cell in r.values())
    assert "-0.0<" not in render_html(tiny)


def test_a_site_whose_last_pull_failed_is_said_first(
    tmp_path: Path, office_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pulled once, then its token refused: the report's figures for it are the first
    pull's, and the CLI (stderr: the CSV has no notes) and the page say so, with when and
    why; a site pulled well says nothing."""
    with (
        running_box(tmp_path / "a", "ganzhou-01", days=10, readings_per_day=1) as box,
        running_box(tmp_path / "b", "ganzhou-02", days=10, readings_per_day=1, seed=2) as other,
        CentralDB(office_url) as db,
    ):
        assert all(r.ok for r in pull_all(db, [box.spec, other.spec]))
        refused = replace(box.spec, token="revoked")
        assert not any(r.ok for r in pull_all(db, [refused]))
    assert main(["report", "--db", office_url, "--format", "csv"]) == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1, err
    assert re.match(
        r"warning: ganzhou-01: the last pull \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\) failed, its "
        r"figures are those of the last good pull \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\): .*HTTP 401",
        warnings[0],
    ), warnings[0]
    assert warnings[0].count("ganzhou-01") == 1, warnings[0]  # not again from the error
    page = tmp_path / "season.html"
    assert main(["report", "--db", office_url, "--out", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert '<ul class="warnings">' in html and "ganzhou-01: the last pull (" in html
    assert "ganzhou-02: the last pull" not in html


def test_a_site_never_pulled_is_named_not_left_out_unsaid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two boxes in SITES.toml, one never reachable: the report of every site has no row
    for it (no zones, no figures) and says so, with the failed pull's time and why; a
    report asked for the other site alone says nothing of it."""
    office = f"sqlite:///{tmp_path / 'office.db'}"
    with (
        running_box(tmp_path / "a", "ganzhou-01", days=10, readings_per_day=1) as box,
        refusing_port() as port,
        CentralDB(office) as db,
    ):
        offline = SiteSpec("ganzhou-02", f"http://127.0.0.1:{port}", "t", timeout_s=2)
        assert [r.ok for r in pull_all(db, [box.spec, offline])] == [True, False]
    assert main(["report", "--db", office, "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert {row["site"] for row in csv.DictReader(io.StringIO(out))} == {"ganzhou-01"}
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1, err
    assert re.match(
        r"warning: ganzhou-02: not in this report, nothing pulled from it yet: the last pull "
        r"\(\d{4}-\d\d-\d\d \d\d:\d\d UTC\) failed: GET http://127.0.0.1:\d+/api/v1/zones: "
        r".*Connection refused",
        warnings[0],
    ), warnings[0]
    assert main(["report", "--db", office, "--site", "ganzhou-01", "--format", "csv"]) == 0
    assert "ganzhou-02" not in capsys.readouterr().err


def test_a_site_the_office_does_not_have_is_refused_naming_the_ones_it_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--site ganzhou-1`` (a typo): exit 2 naming it and the sites there are, not an
    empty report that reads as "nothing pulled"."""
    db_path = tmp_path / "office.db"
    with CentralDB(f"sqlite:///{db_path}") as db:
        db.store_zones("ganzhou-01", [ZoneArea("ganzhou-01", "z1", "Zone z1", 1000.0, "maize")])
    args = ["report", "--db", str(db_path), "--format", "csv"]
    assert main([*args, "--site", "ganzhou-01", "--site", "ganzhou-1"]) == 2
    err = capsys.readouterr().err
    assert "no site 'ganzhou-1' in the office database (its sites: ganzhou-01)" in err, err
    assert main([*args, "--site", "ganzhou-01"]) == 0
    assert capsys.readouterr().out.count("\n") == 3  # header, z1, the site


def test_a_report_it_cannot_write_is_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--out`` into a folder that is not there: exit 2 naming the file, not a traceback."""
    db_path = tmp_path / "office.db"
    CentralDB(f"sqlite:///{db_path}").close()
    out = tmp_path / "no-such-folder" / "season.html"
    assert main(["report", "--db", str(db_path), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"cannot write the report to {out}: No such file or directory\n"
    )


def test_a_day_that_is_none_is_named_as_a_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--start 2026-13-01``: argparse's exit 2 saying a day is expected, not Python's
    "invalid fromisoformat value"."""
    with pytest.raises(SystemExit) as stopped:
        main(["report", "--db", str(tmp_path / "o.db"), "--start", "2026-13-01"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --start: a day YYYY-MM-DD expected, got '2026-13-01'" in err, err


@pytest.mark.parametrize("tz", ["Mars/Olympus", "../etc/passwd", ""])
def test_a_time_zone_that_is_none_is_named_as_a_time_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tz: str
) -> None:
    """``--tz Mars/Olympus``: exit 2 saying a time zone is expected, not Python's
    "'No time zone found with key Mars/Olympus'" after opening the database."""
    with pytest.raises(SystemExit) as stopped:
        main(["report", "--db", str(tmp_path / "o.db"), "--tz", tz])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --tz: an IANA time zone such as Asia/Shanghai expected, got {tz!r}" in err
    assert not (tmp_path / "o.db").exists()
