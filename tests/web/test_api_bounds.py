"""Every integer, date and name the API takes is bounded: a clean 422 naming it, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.asgi import AsgiClient
from tests.helpers.fakes import FakeControlService

API = "/api/v1"
HUGE = str(2**63)  # one past SQLite's largest INTEGER


def _names(body: dict[str, Any]) -> str:
    """Where the 422 points: the field locations, or the message."""
    detail = body["detail"]
    if isinstance(detail, str):
        return detail
    return " ".join(str(error["loc"][-1]) for error in detail)


@pytest.mark.parametrize(
    ("path", "params", "culprit"),
    [
        ("/export/readings", {"after": HUGE}, "after"),
        ("/export/readings", {"after": "-1"}, "after"),
        ("/export/readings", {"after": "1" * 400}, "after"),
        ("/export/readings", {"ids": "99999999999999999999999"}, "ids"),
        ("/export/readings", {"ids": f"1,{HUGE}"}, "ids"),
        ("/export/readings", {"ids": "0"}, "ids"),
        ("/export/readings", {"ids": "-5"}, "ids"),
        ("/export/readings", {"ids": "1e3"}, "ids"),
        ("/export/readings", {"ids": "１２"}, "ids"),  # full-width digits
        ("/export/readings", {"ids": "1," * 30_000}, "ids"),
        ("/export/readings", {"limit": HUGE}, "limit"),
        ("/report", {"start": "0001-01-01", "end": "9999-12-31"}, "start"),
        ("/report", {"start": "2026-01-01", "end": "9999-12-31"}, "end"),
        ("/report", {"start": "1999-12-31", "end": "2026-01-01"}, "start"),
        ("/report", {"start": "2000-01-01", "end": "2099-12-31"}, "days"),
        ("/report", {"start": "2026-01-01", "end": "2026-01-02", "tz": "x" * 1000}, "tz"),
        ("/zones/z1/water-balance", {"days": HUGE}, "days"),
        ("/runs", {"zone": "z" * 65}, "zone"),
        ("/decisions", {"zone": "z" * 65}, "zone"),
        ("/alarms", {"limit": HUGE}, "limit"),
    ],
)
def test_out_of_range_query_parameters_are_named_422s(
    client: AsgiClient, tokens: dict[str, str], path: str, params: dict[str, str], culprit: str
) -> None:
    r = client.get(API + path, params=params, token=tokens["admin"])
    assert r.status_code == 422, r.text
    assert culprit in _names(r.json())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/alarms/{10**30}/ack"),
        ("POST", f"/alarms/{HUGE}/ack"),
        ("POST", "/alarms/0/ack"),
        ("GET", f"/zones/{'z' * 65}"),
        ("GET", f"/zones/{'z' * 65}/water-balance"),
        ("POST", f"/zones/{'z' * 65}/stop"),
    ],
)
def test_out_of_range_path_parameters_are_422s(
    client: AsgiClient,
    tokens: dict[str, str],
    service: FakeControlService,
    method: str,
    path: str,
) -> None:
    r = client.request(method, API + path, token=tokens["admin"])
    assert r.status_code == 422, r.text
    assert service.calls == [] or all("actor" not in c[1] for c in service.calls)


def test_the_largest_sqlite_integer_is_still_a_cursor(
    client: AsgiClient, tokens: dict[str, str]
) -> None:
    r = client.get(
        f"{API}/export/readings", params={"after": str(2**63 - 1)}, token=tokens["admin"]
    )
    assert r.status_code == 200
    assert r.content == b""


def test_an_unknown_alarm_is_a_404(client: AsgiClient, tokens: dict[str, str]) -> None:
    r = client.post(f"{API}/alarms/{2**63 - 1}/ack", token=tokens["technician"])
    assert r.status_code == 404
    assert "alarm" in r.json()["detail"]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1969-07-20", "2100-01-01"])
def test_forecast_days_outside_the_supported_years_are_refused(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService, day: str
) -> None:
    body = {"days": [{"date": day, "et0_mm": 5.0, "rain_mm": 0.0}]}
    r = client.post(f"{API}/forecast", json=body, token=tokens["technician"])
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][-1] == "date"
    assert service.calls == []
