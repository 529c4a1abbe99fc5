"""Schema migrations: the baseline is today's schema; old databases are brought to head;
a database from a newer qanat is refused and left untouched."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from controller.store import (
    CropObservation,
    MeterMark,
    ProbeSample,
    RunSource,
    RunState,
    Severity,
    Store,
    StoreVersionError,
    migrate,
)


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _revision(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]


def _schema_diff(db: Path) -> list[object]:
    engine = create_engine(_url(db))
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))
    finally:
        engine.dispose()


def _populate(store: Store) -> None:
    store.raise_event(Severity.WARNING, "test", "z1", "before the upgrade")
    store.create_token("office", "viewer")
    store.record_audit("li-wei", "start", {"zone": "z1"})


def test_head_and_baseline_are_the_shipped_revisions() -> None:
    revisions = migrate.known_revisions()
    assert revisions[0] == migrate.BASELINE
    assert revisions[-1] == migrate.HEAD


def test_baseline_to_head_on_an_empty_database_is_the_models_schema(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    engine = create_engine(_url(db))
    with engine.begin() as conn:
        migrate.upgrade(conn)
    engine.dispose()
    assert _revision(db) == [migrate.HEAD]
    assert _schema_diff(db) == []
    with Store(_url(db)) as store:  # opens as current: nothing re-created, usable
        _populate(store)
        assert len(store.tokens()) == 1


def test_a_fresh_store_is_stamped_head_with_the_same_schema(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    Store(_url(db)).close()
    assert _revision(db) == [migrate.HEAD]
    assert _schema_diff(db) == []


def test_populated_database_from_before_migrations_is_stamped_and_kept(tmp_path: Path) -> None:
    db = tmp_path / "legacy.db"
    with Store(_url(db)) as store:
        _populate(store)
    with sqlite3.connect(db) as conn:  # as the release before migrations left it
        conn.execute("DROP TABLE alembic_version")
    with Store(_url(db)) as store:
        assert [e.message for e in store.events()] == ["before the upgrade"]
        assert [t.name for t in store.tokens()] == ["office"]
    assert _revision(db) == [migrate.HEAD]
    assert _schema_diff(db) == []


def test_database_from_a_newer_qanat_is_refused_and_untouched(tmp_path: Path) -> None:
    db = tmp_path / "newer.db"
    with Store(_url(db)) as store:
        _populate(store)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0042_from_the_future'")
    before = db.read_bytes()
    with pytest.raises(StoreVersionError) as err:
        Store(_url(db))
    assert isinstance(err.value, migrate.SchemaRevisionError)
    assert err.value.revision == "0042_from_the_future" and err.value.head == migrate.HEAD
    assert "0042_from_the_future" in str(err.value) and "newer qanat" in str(err.value)
    assert _revision(db) == ["0042_from_the_future"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    assert len(db.read_bytes()) == len(before)


def test_a_store_at_0002_gains_the_run_meter_table_and_keeps_its_open_run(
    tmp_path: Path,
) -> None:
    db = tmp_path / "r0002.db"
    with Store(_url(db)) as store:
        run = store.plan_run("z1", RunSource.MANUAL, 10)
        assert run.id is not None
        store.start_run(run.id)
        store.update_run_progress(run.id, 1.25)
    with sqlite3.connect(db) as conn:  # as 0002_notify_outbox left it
        conn.execute("DROP TABLE run_meter")
        conn.execute("UPDATE alembic_version SET version_num = '0002_notify_outbox'")
    with Store(_url(db)) as store:
        (open_run,) = store.open_runs()
        assert open_run.id == run.id and open_run.applied_m3 == 1.25
        assert store.run_meter(run.id) is None
        at = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
        store.update_run_progress(run.id, 1.5, meter=MeterMark("flow1", 120.5, at))
        mark = store.run_meter(run.id)
        assert mark is not None and (mark.device, mark.total_m3, mark.time) == ("flow1", 120.5, at)
        store.finish_run(run.id, RunState.INTERRUPTED, "daemon restarted")
        assert store.run_meter(run.id) is None  # ended: the mark goes with it
    assert _revision(db) == [migrate.HEAD]
    assert _schema_diff(db) == []


def _at(hour: int) -> datetime:
    return datetime(2026, 6, 1, hour, 0, tzinfo=UTC)


def test_a_store_at_0003_gains_the_probe_samples_table_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    db = tmp_path / "r0003.db"
    with Store(_url(db)) as store:
        _populate(store)
    with sqlite3.connect(db) as conn:  # as 0003_run_meter left it
        conn.execute("DROP TABLE probe_samples")
        conn.execute("UPDATE alembic_version SET version_num = '0003_run_meter'")
    with Store(_url(db)) as store:
        assert [e.message for e in store.events()] == ["before the upgrade"]
        assert store.probe_samples() == []
        row = store.add_probe_sample(
            ProbeSample(
                device="probe1",
                point="moisture",
                sampled_at=_at(8),
                theta_pct=24.5,
                method="gravimetric",
                raw_pct=28.0,
                raw_source="store",
                entered_by="li",
            )
        )
        assert row.id == 1 and row.entered_at is not None
        (back,) = store.probe_samples("probe1", "moisture")
        assert (back.theta_pct, back.raw_pct, back.sampled_at) == (24.5, 28.0, _at(8))
        assert store.last_probe_sample_id() == 1
    assert _revision(db) == [migrate.HEAD]
    assert _schema_diff(db) == []


def _downgrade(db: Path, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = create_engine(_url(db))
    with engine.begin() as conn:  # as migrate.upgrade runs alembic: on an open connection
        config = Config()
        config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
    engine.dispose()


def test_0004_downgrades_to_0003_and_upgrades_again(tmp_path: Path) -> None:
    db = tmp_path / "down.db"
    with Store(_url(db)) as store:
        _populate(store)
    _downgrade(db, "0003_run_meter")
    assert _revision(db) == ["0003_run_meter"]
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "probe_samples" not in tables and "events" in tables
    with Store(_url(db)) as store:  # opening upgrades it again
        assert store.probe_samples() == []
        assert [e.message for e in store.events()] == ["before the upgrade"]
    assert _revision(db) == [migrate.HEAD]
    assert _schema_diff(db) == []


def _reading_indexes(db: Path) -> dict[str, list[str]]:
    with sqlite3.connect(db) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'readings'"
                " AND sql IS NOT NULL"
            )
        ]
        return {n: [c[2] for c in conn.execute(f"PRAGMA index_info('{n}')")] for n in names}


def _query_plan(db: Path, sql: str) -> str:
    with sqlite3.connect(db) as conn:
        return " ".join(str(r[-1]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))


_OLD_READING_INDEXES = {
    "ix_readings_device_point_time": ["device", "point", "time"],
    "ix_readings_time": ["time"],
}
_NEW_READING_INDEXES = {"ix_readings_time_device_point": ["time", "device", "point"]}


def _store_with_readings(db: Path) -> None:
    from drivers.reading import Quality, Reading

    with Store(_url(db)) as store:
        _populate(store)
        store.add_readings(
            Reading("probe1", "moisture", 20.0 + h, "%", Quality.OK, _at(h)) for h in range(6)
        )
        store.add_readings([Reading("probe2", "moisture", None, "%", Quality.COMM_ERROR, _at(3))])


def test_a_store_at_0004_keeps_one_readings_index_and_its_readings(tmp_path: Path) -> None:
    db = tmp_path / "r0004.db"
    _store_with_readings(db)
    _downgrade(db, "0004_probe_samples")
    assert _revision(db) == ["0004_probe_samples"]
    assert _reading_indexes(db) == _OLD_READING_INDEXES  # as 0004 left it
    with Store(_url(db)) as store:  # opening upgrades it
        got = store.good_values("probe1", "moisture", _at(1), _at(4))
        assert [v for _, v in got] == [21.0, 22.0, 23.0]
        assert [r.quality for r in store.latest_readings("probe2")] == ["comm_error"]
    assert _revision(db) == [migrate.HEAD]
    assert _reading_indexes(db) == _NEW_READING_INDEXES
    assert _schema_diff(db) == []


def test_0005_downgrades_to_the_two_indexes_and_upgrades_again(tmp_path: Path) -> None:
    db = tmp_path / "down5.db"
    _store_with_readings(db)
    assert _reading_indexes(db) == _NEW_READING_INDEXES
    _downgrade(db, "0004_probe_samples")
    assert _reading_indexes(db) == _OLD_READING_INDEXES
    with Store(_url(db)) as store:
        assert len(store.readings("probe1", "moisture", _at(0), _at(6))) == 6
    assert _reading_indexes(db) == _NEW_READING_INDEXES
    assert _schema_diff(db) == []


def test_a_store_at_0005_gains_crop_observations_and_0006_downgrades(tmp_path: Path) -> None:
    db = tmp_path / "r0005.db"
    with Store(_url(db)) as store:
        _populate(store)
    _downgrade(db, "0005_readings_time_index")
    assert _revision(db) == ["0005_readings_time_index"]
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "crop_observations" not in tables and "events" in tables
    with Store(_url(db)) as store:  # opening upgrades it again
        assert [e.message for e in store.events()] == ["before the upgrade"]
        first = store.add_crop_observation(
            CropObservation(zone="z1", stage="VE", observed_on=date(2026, 5, 2), entered_by="li")
        )
        store.add_crop_observation(
            CropObservation(zone="z1", stage="V6", observed_on=date(2026, 5, 20), entered_by="li")
        )
        again = store.add_crop_observation(  # VE recorded again: the newer record holds
            CropObservation(zone="z1", stage="VE", observed_on=date(2026, 5, 4), entered_by="li")
        )
        assert first.id is not None and again.id is not None and again.id > first.id
        got = store.crop_observations("z1")
        assert [(o.stage, o.observed_on) for o in got] == [
            ("VE", date(2026, 5, 4)),
            ("V6", date(2026, 5, 20)),
        ]
        assert store.crop_observations("z1", since=date(2026, 5, 10))[0].stage == "V6"
        assert store.crop_observations("z2") == []
    assert _revision(db) == [migrate.HEAD] == ["0006_crop_observations"]
    assert _schema_diff(db) == []


@pytest.mark.parametrize(
    "where",
    [
        # a point's series (charts, agronomy), retention's old rows, the newest time stored
        "device = 'probe1' AND point = 'moisture' AND time >= '2026-06-01' AND time < '2026-06-02'",
        "time < '2026-06-01 03:00:00'",
    ],
)
def test_every_time_query_on_readings_is_served_by_the_index(tmp_path: Path, where: str) -> None:
    db = tmp_path / "plan.db"
    _store_with_readings(db)
    plan = _query_plan(db, f"SELECT * FROM readings WHERE {where} ORDER BY time")
    assert "USING INDEX ix_readings_time_device_point" in plan, plan
    newest = _query_plan(db, "SELECT max(time) FROM readings")
    assert "ix_readings_time_device_point" in newest, newest
