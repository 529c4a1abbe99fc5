"""``/api/v1/probes``: calibrations read by any role, samples added by a technician (audited),
bad input a 422 naming the field, an unknown probe a 404."""

from __future__ import annotations

from controller.store import Store
from tests.helpers.asgi import AsgiClient

API = "/api/v1"


def _post(client: AsgiClient, token: str, body: dict[str, object], probe: str = "probe1a"):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/probes/{probe}/samples", token=token, json=body)


def test_samples_make_the_calibration_every_role_reads(
    client: AsgiClient, tokens: dict[str, str], store: Store
) -> None:
    before = client.get(f"{API}/probes", token=tokens["viewer"]).json()
    assert [p["probe"] for p in before] == ["probe1a", "probe1b", "probe2a", "probe1"]
    assert before[0]["gain"] is None and before[0]["n_samples"] == 0
    for raw, theta in ((15.0, 13.0), (25.0, 21.0), (35.0, 29.0)):
        r = _post(client, tokens["technician"], {"theta_pct": theta, "raw_pct": raw, "note": "pit"})
        assert r.status_code == 201, r.text
    made = r.json()
    assert made["probe"] == "probe1a" and made["raw_source"] == "given"
    assert made["entered_by"] == "tian" and made["method"] == "gravimetric"
    (cal, *_) = client.get(f"{API}/probes", token=tokens["viewer"]).json()
    assert cal["n_samples"] == 3 and cal["gain_fitted"] is True
    assert abs(cal["gain"] - 0.8) < 1e-9 and abs(cal["offset_pct"] - 1.0) < 1e-9
    assert cal["se_pct"] is not None and cal["se_pct"] >= 0
    listed = client.get(f"{API}/probes/probe1a/samples", token=tokens["viewer"]).json()
    assert [s["theta_pct"] for s in listed] == [13.0, 21.0, 29.0]
    audit = [a for a in store.rows_after("audit", 0) if a.action == "probe.sample"]  # type: ignore[attr-defined]
    assert len(audit) == 3 and audit[0].actor == "tian" and audit[0].detail["raw_pct"] == 15.0


def test_bad_input_is_a_422_naming_the_field(
    client: AsgiClient, tokens: dict[str, str], store: Store
) -> None:
    tech = tokens["technician"]
    cases = {
        "theta_pct": {"theta_pct": 75.0, "raw_pct": 20.0},
        "method": {"theta_pct": 20.0, "raw_pct": 20.0, "method": "guess"},
        "at": {"theta_pct": 20.0, "raw_pct": 20.0, "at": "2026-05-14T08:00:00"},  # no zone
        "raw_pct": {"theta_pct": 20.0},  # no stored reading near now, none given
        "note": {"theta_pct": 20.0, "raw_pct": 20.0, "note": "x" * 501},
        "thetta_pct": {"thetta_pct": 20.0, "theta_pct": 20.0, "raw_pct": 20.0},
    }
    for field, body in cases.items():
        r = _post(client, tech, body)
        assert r.status_code == 422, (field, r.text)
        assert field in [e["loc"][-1] for e in r.json()["detail"]], (field, r.json())
    future = _post(client, tech, {"theta_pct": 20.0, "raw_pct": 20.0, "at": "2099-01-01T00:00:00Z"})
    assert future.status_code == 422 and future.json()["detail"][0]["loc"] == ["body", "at"]
    assert store.probe_samples() == []


def test_an_unknown_probe_is_404(client: AsgiClient, tokens: dict[str, str]) -> None:
    r = _post(client, tokens["technician"], {"theta_pct": 20.0, "raw_pct": 20.0}, probe="pump1")
    assert r.status_code == 404 and "pump1" in r.json()["detail"]
    assert client.get(f"{API}/probes/pump1/samples", token=tokens["viewer"]).status_code == 404


def test_a_viewer_may_not_add_a_sample(
    client: AsgiClient, tokens: dict[str, str], store: Store
) -> None:
    r = _post(client, tokens["viewer"], {"theta_pct": 20.0, "raw_pct": 20.0})
    assert r.status_code == 403 and store.probe_samples() == []
    assert _post(client, "", {"theta_pct": 20.0, "raw_pct": 20.0}).status_code == 401
