"""Every GET endpoint returns the service's data as JSON with ISO 8601 times."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tests.helpers.asgi import AsgiClient
from tests.helpers.fakes import NOW, FakeControlService

API = "/api/v1"
NOW_ISO = "2026-05-14T06:30:00+00:00"


def test_status(client: AsgiClient, tokens: dict[str, str]) -> None:
    r = client.get(f"{API}/status", token=tokens["viewer"])
    assert r.status_code == 200
    assert r.json() == {
        "site_id": "ganzhou-01",
        "name": "Ganzhou demo",
        "time": NOW_ISO,
        "state": "running",
        "paused_until": None,
        "open_alarms": 1,
        "weather": {"air_temp_c": 21.5, "wind_m_s": None},
        "et0_today_mm": 6.2,
        "active_runs": 1,
        "clock_trusted": True,
        "clock_note": "",
        "offline_devices": {},
    }
    assert datetime.fromisoformat(r.json()["time"]) == NOW


def test_zones_and_one_zone(client: AsgiClient, tokens: dict[str, str]) -> None:
    listed = client.get(f"{API}/zones", token=tokens["viewer"]).json()
    assert [z["name"] for z in listed] == ["z1", "z2"]
    one = client.get(f"{API}/zones/z1", token=tokens["viewer"]).json()
    assert one == listed[0]
    assert one["valve_on"] is True
    assert one["run_id"] == 7
    assert one["moisture_pct"] == {"0.2": 23.5, "0.4": None}
    assert one["fertilizer_season_kg"] == {"urea": 30.0}
    assert one["next_run"] == {
        "start": "2026-05-15T02:30:00+00:00",
        "duration_min": 38.0,
        "depth_mm": 19.0,
        "reason": "depletion 51 mm > RAW 48 mm",
        "reason_codes": [],  # the fake's decision has none
        "reason_values": {},
        "deferred": False,  # queued
    }
    assert one["doubted"] == {}
    assert listed[1]["next_run"]["start"].endswith("+00:00")
    assert listed[1]["run_id"] is None


def test_unknown_zone_is_404(client: AsgiClient, tokens: dict[str, str]) -> None:
    for path in ("/zones/nope", "/zones/nope/water-balance"):
        r = client.get(API + path, token=tokens["viewer"])
        assert r.status_code == 404, path
        assert "nope" in r.json()["detail"]


def test_water_balance(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    r = client.get(f"{API}/zones/z2/water-balance", token=tokens["viewer"], params={"days": "7"})
    assert r.status_code == 200
    (day,) = r.json()
    assert day["zone"] == "z2"
    assert day["day"] == "2026-05-13"
    assert day["dr_end_mm"] == 41.5
    assert service.calls[-1] == ("water_balance", {"zone": "z2", "days": 7})
    client.get(f"{API}/zones/z2/water-balance", token=tokens["viewer"])
    assert service.calls[-1] == ("water_balance", {"zone": "z2", "days": 30})


def test_devices(client: AsgiClient, tokens: dict[str, str]) -> None:
    (device,) = client.get(f"{API}/devices", token=tokens["viewer"]).json()
    assert device["name"] == "probe1"
    assert device["unit"] == 3
    assert device["health"] == {"ok": 120, "errors": 0, "last_ok": NOW_ISO}
    assert device["readings"] == [
        {
            "point": "moisture",
            "value": 23.5,
            "decoded": 23.5,
            "unit": "%",
            "quality": "ok",
            "time": NOW_ISO,
            "detail": "",
        }
    ]


def test_runs(client: AsgiClient, tokens: dict[str, str]) -> None:
    (run,) = client.get(f"{API}/runs", token=tokens["viewer"]).json()
    assert run == {
        "id": 7,
        "zone": "z1",
        "source": "manual",
        "state": "running",
        "phase": "water",
        "planned_min": 30.0,
        "started_at": NOW_ISO,
        "ended_at": None,
        "end_reason": "",
        "applied_m3": None,
        "fertilizer": {"urea": 1.5},
    }
    assert client.get(f"{API}/runs", token=tokens["viewer"], params={"zone": "z2"}).json() == []


def test_decisions(client: AsgiClient, tokens: dict[str, str]) -> None:
    (decision,) = client.get(f"{API}/decisions", token=tokens["viewer"]).json()
    assert decision["time"] == NOW_ISO
    assert decision["planned_start"] == "2026-05-15T02:30:00+00:00"
    assert decision["reason"] == "depletion 51 mm > RAW 48 mm"
    assert decision["inputs"] == {"et0_mm": 6.2, "kc": 1.15}
    r = client.get(f"{API}/decisions", token=tokens["viewer"], params={"zone": "z1", "limit": "0"})
    assert r.status_code == 422


def test_alarms(client: AsgiClient, tokens: dict[str, str], service: FakeControlService) -> None:
    r = client.get(f"{API}/alarms", token=tokens["viewer"], params={"open": "true", "limit": "5"})
    (alarm,) = r.json()
    assert alarm["id"] == 1
    assert alarm["latched"] is True
    assert alarm["time"] == NOW_ISO
    assert alarm["acked_at"] is None
    assert service.calls[-1] == ("alarms", {"open_only": True, "limit": 5})
    client.get(f"{API}/alarms", token=tokens["viewer"])
    assert service.calls[-1] == ("alarms", {"open_only": False, "limit": 100})


def test_non_finite_numbers_go_out_as_null(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    zone = service.zones_by_name["z1"]
    service.zones_by_name["z1"] = replace(
        zone, depletion_mm=float("nan"), moisture_pct={"0.2": float("inf")}
    )
    r = client.get(f"{API}/zones/z1", token=tokens["viewer"])
    assert r.status_code == 200
    assert r.json()["depletion_mm"] is None
    assert r.json()["moisture_pct"] == {"0.2": None}
