"""Control verbs reach the service with the caller's name; refusals are 409s."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from controller.daemon.protocol import ControlRefused
from controller.store import StoreWriteError
from tests.helpers.asgi import AsgiClient
from tests.helpers.fakes import FakeControlService
from web.api.routes.site import STOPPED_NOT_RECORDED

API = "/api/v1"


def test_technician_starts_a_zone(
    client: AsgiClient,
    tokens: dict[str, str],
    service: FakeControlService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The service numbers the runs; the API answers with the id of the run it started
    # (not a constant: each start gets its own).
    ids = iter([41, 42])
    started = service.start_zone

    def start_zone(zone: str, minutes: float, actor: str) -> int:
        started(zone, minutes, actor)
        return next(ids)

    monkeypatch.setattr(service, "start_zone", start_zone)
    r = client.post(f"{API}/zones/z2/start", token=tokens["technician"], json={"minutes": 12.5})
    assert r.status_code == 201
    assert r.json() == {"run_id": 41}
    assert service.calls == [("start_zone", {"zone": "z2", "minutes": 12.5, "actor": "tian"})]
    r = client.post(f"{API}/zones/z1/start", token=tokens["technician"], json={"minutes": 3})
    assert (r.status_code, r.json()) == (201, {"run_id": 42})
    assert service.calls[1] == ("start_zone", {"zone": "z1", "minutes": 3.0, "actor": "tian"})


def test_whole_minutes_are_floats(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    client.post(f"{API}/zones/z2/start", token=tokens["technician"], json={"minutes": 1440})
    minutes = service.calls[-1][1]["minutes"]
    assert minutes == 1440.0
    assert isinstance(minutes, float)


def test_refused_is_409_with_reason_and_code(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    service.refuse = ControlRefused("zone z1 max run time is 240 min", code="over_max_run")
    r = client.post(f"{API}/zones/z1/start", token=tokens["technician"], json={"minutes": 600})
    assert r.status_code == 409
    assert r.json() == {
        "detail": "zone z1 max run time is 240 min",
        "code": "over_max_run",
        "reason_code": "over_max_run",
    }
    service.refuse = ControlRefused("site is paused")
    r = client.post(f"{API}/resume", token=tokens["admin"])
    assert r.json() == {"detail": "site is paused", "code": "refused", "reason_code": "refused"}
    service.refuse = ControlRefused(
        "paused until 2026-05-01T10:00:00+00:00", "RunRefused", "paused"
    )
    r = client.post(f"{API}/zones/z1/start", token=tokens["technician"], json={"minutes": 5})
    assert r.json() == {  # the sequencer's refusal: its class the code, as before
        "detail": "paused until 2026-05-01T10:00:00+00:00",
        "code": "RunRefused",
        "reason_code": "paused",
    }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/zones/z9/start", {"minutes": 5}),
        ("/zones/z9/stop", None),
        ("/alarms/42/ack", None),
    ],
)
def test_unknown_name_is_404(
    client: AsgiClient,
    tokens: dict[str, str],
    service: FakeControlService,
    path: str,
    body: object,
) -> None:
    r = client.post(API + path, token=tokens["technician"], json=body)
    assert r.status_code == 404
    assert r.json()["detail"]
    assert service.calls == []


def test_stop_stop_all_resume_ack(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    token = tokens["technician"]
    for path in ("/zones/z1/stop", "/stop-all", "/resume", "/alarms/1/ack"):
        r = client.post(API + path, token=token)
        assert r.status_code == 204, path
        assert r.content == b""
    assert service.calls == [
        ("stop_zone", {"zone": "z1", "actor": "tian"}),
        ("stop_all", {"actor": "tian"}),
        ("resume", {"actor": "tian"}),
        ("ack_alarm", {"alarm_id": 1, "actor": "tian"}),
    ]


def test_pause(client: AsgiClient, tokens: dict[str, str], service: FakeControlService) -> None:
    r = client.post(f"{API}/pause", token=tokens["admin"], json={"hours": 1.5})
    assert r.status_code == 200
    assert r.json() == {"paused_until": "2026-05-14T08:00:00+00:00"}
    assert service.calls == [("pause", {"hours": 1.5, "actor": "ada"})]


def test_forecast_reaches_the_service_as_dates_and_floats(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    days = [
        {"date": "2026-05-15", "et0_mm": 6.1, "rain_mm": 0},
        {"date": "2026-05-16", "et0_mm": 5.0, "rain_mm": 2.5, "tmin_c": -1.5, "wind_m_s": 3.2},
    ]
    r = client.post(f"{API}/forecast", token=tokens["technician"], json={"days": days})
    assert r.status_code == 200
    assert r.json() == {"stored": 2}
    assert service.calls == [
        (
            "post_forecast",
            {
                "days": [
                    {"date": date(2026, 5, 15), "et0_mm": 6.1, "rain_mm": 0.0},
                    {
                        "date": date(2026, 5, 16),
                        "et0_mm": 5.0,
                        "rain_mm": 2.5,
                        "tmin_c": -1.5,
                        "wind_m_s": 3.2,
                    },
                ],
                "actor": "tian",
            },
        )
    ]


def test_unexpected_error_is_a_bare_logged_500(
    client: AsgiClient,
    tokens: dict[str, str],
    service: FakeControlService,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service.fail = RuntimeError("sqlite3.OperationalError: disk I/O error at /var/lib/qanat")
    with caplog.at_level(logging.ERROR, logger="web.errors"):
        r = client.post(f"{API}/stop-all", token=tokens["technician"])
        read = client.get(f"{API}/zones", token=tokens["viewer"])
    for response in (r, read):
        assert response.status_code == 500
        assert response.json() == {"detail": "internal error"}
        assert b"sqlite" not in response.content
    assert len(caplog.records) == 2
    assert "POST /api/v1/stop-all" in caplog.records[0].getMessage()
    assert caplog.records[0].exc_info is not None


def test_a_stop_all_whose_ends_the_database_refuses_is_503_saying_the_water_is_off(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    service.refuse = StoreWriteError("sqlite3.OperationalError: disk I/O error")
    r = client.post(f"{API}/stop-all", token=tokens["technician"])
    assert r.status_code == 503
    assert r.json() == {"detail": STOPPED_NOT_RECORDED}
    assert b"sqlite" not in r.content
