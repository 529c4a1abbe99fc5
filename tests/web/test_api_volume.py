"""A run by volume through the API: the target reaches the service with the cap; a body
that cannot be one is a 422 naming the field, a refusal of the service a 409."""

from __future__ import annotations

import pytest

from controller.daemon.protocol import ControlRefused
from tests.helpers.asgi import AsgiClient
from tests.helpers.fakes import FakeControlService

API = "/api/v1"


@pytest.mark.parametrize(
    ("body", "volume"),
    [
        ({"minutes": 30, "volume_m3": 20}, {"volume_m3": 20.0}),
        ({"minutes": 30, "volume_mm": 0.001}, {"volume_mm": 0.001}),  # just valid
        ({"minutes": 30, "volume_m3": 120_000}, {"volume_m3": 120_000.0}),  # at the bound
    ],
)
def test_a_run_by_volume_reaches_the_service_with_its_cap(
    client: AsgiClient,
    tokens: dict[str, str],
    service: FakeControlService,
    body: dict[str, float],
    volume: dict[str, float],
) -> None:
    r = client.post(f"{API}/zones/z2/start", token=tokens["technician"], json=body)
    assert r.status_code == 201, r.json()
    assert service.calls == [
        ("start_zone", {"zone": "z2", "minutes": 30.0, "actor": "tian", **volume})
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"minutes": 30, "volume_m3": 0}, "volume_m3"),  # just invalid
        ({"minutes": 30, "volume_m3": -5}, "volume_m3"),
        ({"minutes": 30, "volume_m3": 120_000.5}, "volume_m3"),  # just over the bound
        ({"minutes": 30, "volume_m3": "20"}, "volume_m3"),  # strict: text is no number
        ({"minutes": 30, "volume_mm": 0}, "volume_mm"),
        ({"volume_m3": 20}, "minutes"),  # no cap
        ({"minutes": 30, "volume_m3": 20, "volume_mm": 5}, ""),  # both: one target
    ],
)
def test_a_body_that_is_no_run_by_volume_is_a_422_naming_the_field(
    client: AsgiClient,
    tokens: dict[str, str],
    service: FakeControlService,
    body: dict[str, object],
    field: str,
) -> None:
    r = client.post(f"{API}/zones/z2/start", token=tokens["technician"], json=body)
    assert r.status_code == 422
    detail = r.json()["detail"]
    if field:
        assert any(d["loc"][-1] == field for d in detail), detail
    else:
        assert any("not both" in d["msg"] for d in detail), detail
    assert service.calls == []


def test_a_cap_too_short_refused_by_the_service_is_a_409(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    service.refuse = ControlRefused(
        "zone z2: 20 m3 at its nominal 100 m3/h takes 12.0 min, more than the time cap of 5 min",
        "VolumeError",
    )
    r = client.post(
        f"{API}/zones/z2/start", token=tokens["technician"], json={"minutes": 5, "volume_m3": 20}
    )
    assert r.status_code == 409
    assert r.json()["code"] == "VolumeError" and "time cap of 5 min" in r.json()["detail"]
