"""Rows from a box that the office database cannot take are said as the box's fault."""

from __future__ import annotations

import pytest

from controller.office.central import BadRows, CentralDB


def test_a_row_without_its_time_is_a_bad_row_naming_the_column(office_url: str) -> None:
    """A box (or a proxy) that sends a reading without its time: refused as a bad answer
    naming the table, the row and the column, not as a failed write to the office's own
    database, and nothing of the page is stored."""
    with CentralDB(office_url) as db:
        good = {
            "id": 1,
            "time": "2026-05-01T00:00:00+00:00",
            "device": "probe1a",
            "point": "moisture",
            "value": 21.5,
            "unit": "%",
            "quality": "ok",
            "detail": "",
        }
        with pytest.raises(BadRows) as info:
            db.store_page("ganzhou-01", "readings", [good, {"id": 2}], 2)
        # the site is the pull's to name: "ganzhou-01: ganzhou-01 readings row 2" it was
        assert (
            str(info.value)
            == "readings row 2: id 2 has no time, device, point, unit, quality, detail"
        )
        assert db.cursors("ganzhou-01") == {}
