"""Malformed input is a 422 naming the field, never a 500, and never reaches the daemon."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.asgi import AsgiClient
from tests.helpers.fakes import FakeControlService

API = "/api/v1"
START = f"{API}/zones/z1/start"


def _field_errors(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(error["loc"]) for error in body["detail"]]


@pytest.mark.parametrize(
    "minutes",
    [0, -1, -0.0, 1440.01, 1e9, 1e308, "abc", "5", True, None, [], {}, 10**400],
)
def test_bad_minutes(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService, minutes: object
) -> None:
    r = client.post(START, token=tokens["technician"], json={"minutes": minutes})
    assert r.status_code == 422, r.text
    assert ("body", "minutes") in _field_errors(r.json())
    assert service.calls == []


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_minutes(client: AsgiClient, tokens: dict[str, str], literal: str) -> None:
    r = client.post(
        START,
        token=tokens["technician"],
        content=f'{{"minutes": {literal}}}'.encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert _field_errors(r.json()) == [("body", "minutes")]
    assert "finite" in r.json()["detail"][0]["msg"] or "less than" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", "application/json"),
        (b"{", "application/json"),
        (b"minutes=5", "application/x-www-form-urlencoded"),
        (b'{"minutes": 5}', "text/plain"),
        (b"\xff\xfe", "application/json"),
        (b"[]", "application/json"),
        (b'"minutes"', "application/json"),
        (b'{"minutes": 5, "zone": "z2"}', "application/json"),
    ],
)
def test_malformed_bodies(
    client: AsgiClient,
    tokens: dict[str, str],
    service: FakeControlService,
    content: bytes,
    content_type: str,
) -> None:
    r = client.post(
        START, token=tokens["technician"], content=content, headers={"content-type": content_type}
    )
    assert r.status_code in (400, 422), r.text
    assert service.calls == []


@pytest.mark.parametrize("hours", [0, -2, 168.5, 1e9, "two", None])
def test_bad_pause(client: AsgiClient, tokens: dict[str, str], hours: object) -> None:
    r = client.post(f"{API}/pause", token=tokens["technician"], json={"hours": hours})
    assert r.status_code == 422
    assert ("body", "hours") in _field_errors(r.json())


def test_missing_body(client: AsgiClient, tokens: dict[str, str]) -> None:
    for path in (START, f"{API}/pause", f"{API}/forecast"):
        r = client.post(path, token=tokens["technician"])
        assert r.status_code == 422, path
        assert _field_errors(r.json()) == [("body",)]


@pytest.mark.parametrize(
    "path", ["/alarms/0/ack", "/alarms/abc/ack", "/alarms/99999999999999999999999/ack"]
)
def test_bad_alarm_id(client: AsgiClient, tokens: dict[str, str], path: str) -> None:
    r = client.post(API + path, token=tokens["technician"])
    assert r.status_code == 422
    assert _field_errors(r.json()) == [("path", "alarm_id")]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/runs", {"limit": "0"}, "limit"),
        ("/runs", {"limit": "abc"}, "limit"),
        ("/decisions", {"limit": "100000"}, "limit"),
        ("/alarms", {"open": "maybe"}, "open"),
        ("/alarms", {"limit": "NaN"}, "limit"),
        ("/zones/z1/water-balance", {"days": "0"}, "days"),
        ("/zones/z1/water-balance", {"days": "1e9"}, "days"),
    ],
)
def test_bad_query(
    client: AsgiClient, tokens: dict[str, str], path: str, params: dict[str, str], field: str
) -> None:
    r = client.get(API + path, token=tokens["viewer"], params=params)
    assert r.status_code == 422
    assert _field_errors(r.json()) == [("query", field)]


# -- forecast --------------------------------------------------------------------

GOOD_DAY = {"date": "2026-05-15", "et0_mm": 6.0, "rain_mm": 0.0}


def _day(**changes: Any) -> dict[str, Any]:
    return {**GOOD_DAY, **changes}


@pytest.mark.parametrize(
    ("days", "loc"),
    [
        ([], ("body", "days")),
        ([_day(date=f"2026-05-{d:02d}") for d in range(1, 18)], ("body", "days")),
        ([_day(), _day(et0_mm=3.0)], ("body", "days")),
        ([_day(date="15/05/2026")], ("body", "days", 0, "date")),
        ([_day(date="2026-02-30")], ("body", "days", 0, "date")),
        ([_day(date=20260515)], ("body", "days", 0, "date")),
        ([_day(date="2026-05-15T00:00:00")], ("body", "days", 0, "date")),
        ([_day(et0_mm=-0.1)], ("body", "days", 0, "et0_mm")),
        ([_day(et0_mm=1e300)], ("body", "days", 0, "et0_mm")),
        ([_day(rain_mm=-1)], ("body", "days", 0, "rain_mm")),
        ([_day(rain_mm="0")], ("body", "days", 0, "rain_mm")),
        ([_day(tmin_c=-300)], ("body", "days", 0, "tmin_c")),
        ([_day(wind_m_s=-1)], ("body", "days", 0, "wind_m_s")),
        ([{"date": "2026-05-15", "et0_mm": 6.0}], ("body", "days", 0, "rain_mm")),
        ([_day(et0=6.0)], ("body", "days", 0, "et0")),
        ([_day(), "2026-05-16"], ("body", "days", 1)),
        ({"date": "2026-05-15"}, ("body", "days")),
    ],
)
def test_forecast_validation(
    client: AsgiClient,
    tokens: dict[str, str],
    service: FakeControlService,
    days: Any,
    loc: tuple[Any, ...],
) -> None:
    r = client.post(f"{API}/forecast", token=tokens["technician"], json={"days": days})
    assert r.status_code == 422, r.text
    assert loc in _field_errors(r.json())
    assert service.calls == []


def test_forecast_duplicate_date_is_named(client: AsgiClient, tokens: dict[str, str]) -> None:
    r = client.post(f"{API}/forecast", token=tokens["technician"], json={"days": [_day(), _day()]})
    assert "2026-05-15 appears twice" in r.json()["detail"][0]["msg"]


def test_sixteen_days_accepted(client: AsgiClient, tokens: dict[str, str]) -> None:
    days = [_day(date=f"2026-05-{d:02d}") for d in range(1, 17)]
    r = client.post(f"{API}/forecast", token=tokens["technician"], json={"days": days})
    assert r.json() == {"stored": 16}


# -- property: no JSON body gives a 500 -----------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included
    | st.text(max_size=12)
    | st.sampled_from(["2026-05-15", "2026-13-01", "0000-00-00"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["minutes", "hours", "days", "date", "et0_mm", "rain_mm", "tmin_c", "x"]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)
forecast_days = st.lists(
    st.fixed_dictionaries(
        {"date": st.dates().map(str) | json_values, "et0_mm": json_values | st.floats()},
        optional={"rain_mm": st.floats(), "tmin_c": json_values, "wind_m_s": st.floats()},
    ),
    max_size=18,
)
POSTS = [START, f"{API}/pause", f"{API}/forecast"]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    path=st.sampled_from(POSTS),
    body=json_values
    | st.fixed_dictionaries({"minutes": json_values})
    | st.fixed_dictionaries({"hours": json_values})
    | st.fixed_dictionaries({"days": forecast_days}),
)
def test_no_json_body_gives_500(
    client: AsgiClient, tokens: dict[str, str], path: str, body: Any
) -> None:
    r = client.post(path, token=tokens["technician"], json=body)
    assert r.status_code in (200, 201, 422), (json.dumps(body), r.text)
    r.json()  # always a JSON body, even when the input held NaN
