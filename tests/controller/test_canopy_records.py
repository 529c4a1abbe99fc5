"""A zone's canopy records on disk: photo names in time order, the series cut, bad lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from controller.canopy import records as rec
from controller.canopy.records import CoverRecord, CoverRecords
from tests.helpers.photos import jpeg_bytes, png_bytes

AT = dt.datetime(2026, 6, 12, 10, 15, tzinfo=dt.UTC)
JPEG, PNG = jpeg_bytes(), png_bytes()
JPEG2 = JPEG + b"\x00"  # another photo of the same kind


def test_photos_of_one_second_get_names_in_time_order(tmp_path: Path) -> None:
    records = CoverRecords(tmp_path)
    a = records.add(CoverRecord("z1", AT, "ok", 0.2), JPEG)
    b = records.add(CoverRecord("z1", AT, "ok", 0.3, detail="uploaded by tian"), JPEG2)
    c = records.add(CoverRecord("z1", AT, "ok", 0.4), PNG)
    assert (a.image, b.image, c.image) == (
        "20260612T101500Z.jpg",
        "20260612T101500Z01.jpg",
        "20260612T101500Z.png",
    )
    assert records.photo("z1", "20260612T101500Z01.jpg") == tmp_path / "z1" / b.image
    assert records.photo("z1", b.image or "").read_bytes() == JPEG2  # type: ignore[union-attr]
    later = records.add(CoverRecord("z1", AT + dt.timedelta(seconds=1), "ok", 0.5), JPEG)
    assert records.latest_photo("z1") == tmp_path / "z1" / later.image  # type: ignore[operator]
    assert [r.cover for r in records.series("z1")] == [0.2, 0.3, 0.4, 0.5]


def test_the_series_is_cut_to_its_newest_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rec, "KEEP_LINES", 5)
    records = CoverRecords(tmp_path)
    for i in range(10):
        records.add(CoverRecord("z1", AT + dt.timedelta(hours=i), "timeout", detail="x" * 90))
    kept = records.series("z1")
    assert 5 <= len(kept) < 10 and kept[-1].at == AT + dt.timedelta(hours=9)
    assert [r.at for r in kept] == sorted(r.at for r in kept)


def test_a_torn_line_is_skipped(tmp_path: Path) -> None:
    records = CoverRecords(tmp_path)
    records.add(CoverRecord("z1", AT, "ok", 0.2))
    with (tmp_path / "z1" / "series.jsonl").open("a") as f:
        f.write('{"zone": "z1", "at": "2026-06-12T11:')  # a crash mid-line
    records.add(CoverRecord("z1", AT + dt.timedelta(hours=2), "ok", 0.3))
    # the torn line is skipped, the next one starts on a line of its own
    assert [r.cover for r in records.series("z1")] == [0.2, 0.3]


def test_in_memory_keeps_lines_but_no_photos() -> None:
    records = CoverRecords(None, memory_lines=3)
    for i in range(5):
        stored = records.add(CoverRecord("z1", AT + dt.timedelta(hours=i), "ok", i / 10), JPEG)
        assert stored.image is None
    assert [r.cover for r in records.series("z1")] == [0.2, 0.3, 0.4]
    assert records.latest_photo("z1") is None and records.photo("z1", "x.jpg") is None


def test_names_from_outside_never_become_paths(tmp_path: Path) -> None:
    records = CoverRecords(tmp_path)
    with pytest.raises(ValueError, match="not a zone name"):
        records.series("../etc")
    assert records.photo("z1", "../../etc/passwd") is None


def test_the_latest_cover_skips_failures_and_respects_its_age(tmp_path: Path) -> None:
    records = CoverRecords(tmp_path)
    assert records.latest_cover("z1") is None
    records.add(CoverRecord("z1", AT, "ok", 0.2))
    records.add(CoverRecord("z1", AT + dt.timedelta(hours=1), "ok", 0.25))
    records.add(CoverRecord("z1", AT + dt.timedelta(hours=2), "timeout", detail="no answer"))
    latest = records.latest_cover("z1")
    assert latest is not None and latest.cover == 0.25
    assert records.latest_cover("z1", since=AT + dt.timedelta(hours=1)) == latest
    assert records.latest_cover("z1", since=AT + dt.timedelta(minutes=61)) is None


def test_the_series_is_read_once_and_again_after_an_append(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = CoverRecords(tmp_path)
    for i in range(3):
        records.add(CoverRecord("z1", AT + dt.timedelta(hours=i), "ok", i / 10))
    parsed: list[str] = []
    parse = CoverRecord.from_json

    def counted(line: str) -> CoverRecord:
        parsed.append(line)
        return parse(line)

    monkeypatch.setattr(rec.CoverRecord, "from_json", staticmethod(counted))
    day = AT + dt.timedelta(days=1)
    for _ in range(5):  # a balance asking day after day
        assert records.cover_between("z1", AT, day) == (0.2, AT + dt.timedelta(hours=2))
        assert records.latest_cover("z1") is not None
    assert len(parsed) == 3  # one read of three lines
    records.add(CoverRecord("z1", AT + dt.timedelta(hours=3), "ok", 0.5))
    assert records.cover_between("z1", AT, day) == (0.5, AT + dt.timedelta(hours=3))
    assert [r.cover for r in records.series("z1")] == [0.0, 0.1, 0.2, 0.5]
    assert len(parsed) == 3 + 4  # read again once, after the append


def test_a_series_changed_on_disk_is_read_again(tmp_path: Path) -> None:
    records = CoverRecords(tmp_path)
    records.add(CoverRecord("z1", AT, "ok", 0.2))
    assert [r.cover for r in records.series("z1")] == [0.2]
    series = tmp_path / "z1" / "series.jsonl"
    series.write_text(CoverRecord("z1", AT, "ok", 0.35).to_json() + "\n", encoding="utf-8")
    assert [r.cover for r in records.series("z1")] == [0.35]
    series.unlink()
    assert records.series("z1") == [] and records.latest_cover("z1") is None
