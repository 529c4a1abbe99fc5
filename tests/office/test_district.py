"""The office at district scale on a real PostgreSQL: worker processes, monthly partitions,
retention, the migration of an older database, and a report over many sites."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import text

from controller.office.central import CentralDB
from controller.office.pull import pull_all
from controller.office.pull_pool import pull_processes
from controller.office.report import to_csv
from controller.office.report_central import from_central
from tests.helpers.office.boxes import Box, assert_exact, box_rows, central_rows, running_box

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def boxes(tmp_path: Path) -> Iterator[list[Box]]:
    """Three boxes over 70 days from 2026-04-20: April, May, June (three months)."""
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                running_box(tmp_path / name, name, days=70, readings_per_day=30, seed=n)
            )
            for n, name in enumerate(("ganzhou-01", "ganzhou-02", "ganzhou-03"))
        ]


def _plain(url: str) -> str:
    return url.replace("+psycopg", "")


def test_worker_processes_pull_exactly_and_again_change_nothing(
    pg_url: str, boxes: list[Box]
) -> None:
    specs = [b.spec for b in boxes]
    results = pull_processes(pg_url, specs, processes=2, page_rows=500)
    assert [r.error for r in results] == ["", "", ""]
    assert results[0].rows["readings"] == 70 * 30
    again = pull_processes(pg_url, specs, processes=2, page_rows=500)
    assert all(r.ok and sum(r.rows.values()) == 0 for r in again)
    with CentralDB(pg_url) as db:
        assert_exact(db, boxes)


def test_readings_go_into_monthly_partitions(pg_url: str, boxes: list[Box]) -> None:
    with CentralDB(pg_url) as db:
        assert db.partitions() == []
        assert pull_all(db, [boxes[0].spec], page_rows=400)[0].ok
        assert db.partitions() == ["readings_p202604", "readings_p202605", "readings_p202606"]
        with psycopg.connect(_plain(pg_url)) as conn:
            kind = conn.execute("SELECT relkind FROM pg_class WHERE relname = 'readings'")
            assert kind.fetchone() == ("p",)
            counts = dict(
                conn.execute(
                    "SELECT tableoid::regclass::text, count(*) FROM readings GROUP BY 1"
                ).fetchall()
            )
        may = [r for r in central_rows(db, "ganzhou-01", "readings") if "-05-" in r["time"][:8]]
        assert counts["readings_p202605"] == len(may) == 31 * 30
        assert sum(counts.values()) == 70 * 30


def test_a_page_that_needs_a_new_month_and_one_already_stored_are_exact(
    pg_url: str, boxes: list[Box]
) -> None:
    """The direct COPY meets a month without partition (the page is asked again through
    the stage), and rows stored already (a cursor put back by hand): still each row once."""
    box = boxes[0]
    with CentralDB(pg_url) as db:
        assert pull_all(db, [box.spec], page_rows=700)[0].ok
        with db._write() as conn:
            conn.execute(
                text("UPDATE pull_cursors SET last_id = 100 WHERE table_name = 'readings'")
            )
            conn.execute(text("DROP TABLE readings_p202606"))
        assert pull_all(db, [box.spec], page_rows=700)[0].ok
        assert_exact(db, [box])
        assert "readings_p202606" in db.partitions()


def test_retention_drops_whole_old_months(pg_url: str, boxes: list[Box]) -> None:
    with CentralDB(pg_url) as db:
        assert pull_all(db, [b.spec for b in boxes[:2]], page_rows=1000)[0].ok
        # On 2026-06-10 keeping 2 months (June counted) keeps May and June.
        assert db.drop_old(2, today=dt.date(2026, 6, 10)) == ["readings_p202604"]
        assert db.partitions() == ["readings_p202605", "readings_p202606"]
        rows = central_rows(db, "ganzhou-01", "readings")
        assert rows and min(r["time"] for r in rows) >= "2026-05-01"
        assert db.drop_old(2, today=dt.date(2026, 6, 10)) == []
        with pytest.raises(ValueError, match="keep_months"):
            db.drop_old(0)
        # The other tables are not telemetry: untouched.
        assert len(central_rows(db, "ganzhou-01", "water_balance")) > 0


def test_retention_on_sqlite_deletes_the_rows(tmp_path: Path, boxes: list[Box]) -> None:
    with CentralDB(f"sqlite:///{tmp_path / 'office.db'}") as db:
        assert pull_all(db, [boxes[0].spec])[0].ok
        assert db.drop_old(2, today=dt.date(2026, 6, 10)) == []
        kept = central_rows(db, "ganzhou-01", "readings")
        on_box = box_rows(boxes[0].store, "readings")
        assert kept == [r for r in on_box if r["time"] >= "2026-05-01"]
        assert 0 < len(kept) < len(on_box)


def test_an_older_office_database_is_migrated_to_partitions(pg_url: str, boxes: list[Box]) -> None:
    box = boxes[0]
    with CentralDB(pg_url) as db:
        assert pull_all(db, [box.spec], page_rows=1000)[0].ok
    # The readings table as an office database made before partitioning had it.
    with psycopg.connect(_plain(pg_url), autocommit=True) as conn:
        conn.execute("CREATE TABLE old AS SELECT * FROM readings")
        conn.execute("DROP TABLE readings")
        conn.execute("ALTER TABLE old RENAME TO readings")
        conn.execute("CREATE SEQUENCE readings_pk_seq OWNED BY readings.pk")
        conn.execute("ALTER TABLE readings ALTER pk SET DEFAULT nextval('readings_pk_seq')")
        conn.execute("ALTER TABLE readings ADD PRIMARY KEY (pk)")
        conn.execute(
            "ALTER TABLE readings ADD CONSTRAINT uq_c_readings_site_source "
            "UNIQUE (site_id, source_id)"
        )
        conn.execute(
            "CREATE INDEX ix_c_readings_site_device_point_time "
            "ON readings (site_id, device, point, time)"
        )
        conn.execute("SELECT setval('readings_pk_seq', (SELECT max(pk) FROM readings))")
    with CentralDB(pg_url) as db:
        assert db.partitions() == ["readings_p202604", "readings_p202605", "readings_p202606"]
        assert_exact(db, [box])
        # Pulls go on after the migration: a new site, the old one again (nothing twice).
        assert all(r.ok for r in pull_all(db, [b.spec for b in boxes[:2]], page_rows=1000))
        assert_exact(db, boxes[:2])
        with db.connect() as conn:
            pks = conn.execute(text("SELECT count(DISTINCT pk), count(*) FROM readings")).one()
        assert pks[0] == pks[1]  # the pk sequence went on from the old table's


def test_the_district_report_is_the_sum_of_the_site_reports(pg_url: str, boxes: list[Box]) -> None:
    with CentralDB(pg_url) as db:
        assert all(r.ok for r in pull_all(db, [b.spec for b in boxes], page_rows=1000))
        district = from_central(db, None, None, TZ)
        alone = [from_central(db, None, None, TZ, sites=[b.site_id]) for b in boxes]
    assert [s.site_id for s in district.sites] == [b.site_id for b in boxes]
    csv_lines = to_csv(district).splitlines()
    assert csv_lines[0] == to_csv(alone[0]).splitlines()[0]  # the header
    assert sorted(csv_lines[1:]) == sorted(
        line for report in alone for line in to_csv(report).splitlines()[1:]
    )
    metered = sum(z.metered_m3 for s in district.sites for z in s.zones)
    assert metered > 0
    assert metered == pytest.approx(
        sum(z.metered_m3 for r in alone for s in r.sites for z in s.zones)
    )


def _reading_indexes(url: str) -> dict[str, bool]:
    """The indexes of the partitioned ``readings`` itself: {name: unique}."""
    with psycopg.connect(_plain(url)) as conn:
        return {
            name: unique
            for name, unique in conn.execute(
                "SELECT c.relname, i.indisunique FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = to_regclass('readings')"
            ).fetchall()
        }


ONE_BRIN = {"ix_c_readings_site_time_brin": False}


def test_readings_keep_one_brin_index_and_a_pull_stays_idempotent(
    pg_url: str, boxes: list[Box]
) -> None:
    box = boxes[0]
    with CentralDB(pg_url) as db:
        assert pull_all(db, [box.spec], page_rows=700)[0].ok
        assert _reading_indexes(pg_url) == ONE_BRIN
        with db._write() as conn:  # the cursor put back: every page meets stored rows
            conn.execute(text("UPDATE pull_cursors SET last_id = 0 WHERE table_name = 'readings'"))
        (again,) = pull_all(db, [box.spec], page_rows=700)
        assert again.ok
        assert_exact(db, [box])
    with psycopg.connect(_plain(pg_url)) as conn:  # a point's series is read by the BRIN
        conn.execute("SET enable_seqscan = off")
        plan = conn.execute(
            "EXPLAIN SELECT time, value FROM readings WHERE site_id = 'ganzhou-01' "
            "AND device = 'probe1' AND point = 'moisture' AND time >= '2026-05-01' "
            "AND time < '2026-05-08'"
        ).fetchall()
        per_partition = conn.execute(
            "SELECT count(*) FROM pg_index WHERE indrelid = to_regclass('readings_p202605')"
        ).fetchone()
    assert per_partition == (1,)  # what a COPY into a month maintains: one BRIN
    assert "Bitmap Index Scan on readings_p202605_site_id_time_idx" in (
        " ".join(r[0] for r in plan)
    )


_EARLIER_KEYS = {
    "one unique key": [
        "ALTER TABLE readings ADD CONSTRAINT uq_c_readings_site_device_point_time_source "
        "UNIQUE (site_id, device, point, time, source_id)"
    ],
    "a key and an index": [
        "ALTER TABLE readings ADD CONSTRAINT uq_c_readings_site_source_time "
        "UNIQUE (site_id, source_id, time)",
        "CREATE INDEX ix_c_readings_site_device_point_time "
        "ON readings (site_id, device, point, time)",
    ],
}


@pytest.mark.parametrize("earlier", sorted(_EARLIER_KEYS))
def test_an_office_database_with_earlier_readings_keys_gets_the_brin(
    pg_url: str, boxes: list[Box], earlier: str
) -> None:
    box = boxes[0]
    with CentralDB(pg_url) as db:
        assert pull_all(db, [box.spec], page_rows=1000)[0].ok
    with psycopg.connect(_plain(pg_url), autocommit=True) as conn:  # as a release before
        conn.execute("DROP INDEX ix_c_readings_site_time_brin")
        conn.execute("DROP TABLE readings_stored")
        for statement in _EARLIER_KEYS[earlier]:
            conn.execute(statement)
    assert ONE_BRIN.keys().isdisjoint(_reading_indexes(pg_url))
    with CentralDB(pg_url) as db:
        assert _reading_indexes(pg_url) == ONE_BRIN
        assert_exact(db, [box])
        with db._write() as conn:  # the migrated site put back: its rows met, not doubled
            conn.execute(text("UPDATE pull_cursors SET last_id = 0 WHERE table_name = 'readings'"))
        assert all(r.ok for r in pull_all(db, [b.spec for b in boxes[:2]], page_rows=1000))
        assert_exact(db, boxes[:2])
