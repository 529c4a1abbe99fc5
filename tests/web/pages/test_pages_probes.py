"""The soil probes page: a technician enters a sample (audited); everyone sees the
calibration there and on the devices page; bad input comes back naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from controller.learning.calibration import NOTE_MAX_CHARS
from controller.store import Severity, Store
from tests.helpers.pages import audit_rows, csrf_of


def _post(client: Any, form: dict[str, str]) -> Any:
    """The page a sample's form leads to: the probes page with the flash when it was kept,
    the refusal's page (422, the form as typed) when it was not."""
    data = {"csrf": csrf_of(client, "/probes"), "probe": "probe1a"} | form
    r = client.post(
        "/probes/samples", data=data, headers={"referer": "http://127.0.0.1:8080/probes"}
    )
    if r.status_code == 422:
        return r
    assert r.status_code == 303, r.text
    return client.get(r.headers["location"])


def test_a_technician_enters_samples_and_the_calibration_shows(as_role: Any, store: Store) -> None:
    tech = as_role("technician")
    page = tech.get("/probes")
    assert page.status_code == 200 and 'id="sample-form"' in page.text
    for raw, theta in (("15", "13"), ("25", "21"), ("35,0", "29")):  # a decimal comma is fine
        shown = _post(tech, {"theta_pct": theta, "raw_pct": raw, "note": "坑 1"})
    assert "probe1a" in shown.text and "#3" in shown.text  # the flash
    viewer = as_role("viewer")
    page = viewer.get("/probes")
    assert 'id="sample-form"' not in page.text  # a viewer reads, does not enter
    assert "θ = 0.800 ×" in page.text and "+1.00 %" in page.text and "3" in page.text
    assert "坑 1" in page.text
    # the devices page shows a probe's calibration under the device
    devices = viewer.get("/devices").text
    assert 'id="devcal-probe1"' in devices and "无土样" in devices
    _post(tech, {"probe": "probe1", "theta_pct": "20", "raw_pct": "24"})
    devices = viewer.get("/devices").text
    assert "θ = 1.000 ×" in devices and "-4.00 %" in devices and "± 1.50 %" in devices
    (row, *_) = [a for a in audit_rows(store) if a.action == "probe.sample"]
    assert row.actor == "tian" and row.detail["theta_pct"] == 13.0


# (form, the Chinese page's refusal, the English page's, the service's English)
REFUSALS = [
    (
        {"theta_pct": "abc", "raw_pct": "20"},
        "土样未保存：土样含水量（体积 %）：“abc”不是数字。",
        "“abc” is not a number.",
        "&#39;abc&#39; is not a number",
    ),
    (
        {"theta_pct": "80", "raw_pct": "20"},
        "土样含水量（体积 %）：80 % 超出 0–60 %（体积含水量 = 质量含水量 × 容重）。",
        "80 % is outside 0–60 % by volume",
        "theta_pct 80 is outside",
    ),
    (
        {"theta_pct": "20"},  # no reading stored near now, none typed
        "当时探头读数（%）：取样时间 2026-05-14 06:30（控制器本地时间）探头 probe1a 没有有效读数：",
        "the box has no good reading of probe probe1a at 2026-05-14 06:30 (controller local time)",
        "no good reading of probe",
    ),
    (
        {"theta_pct": "20", "raw_pct": "20", "at": "2099-01-01T08:00"},
        "土样未保存：取样时间：2099-01-01 08:00 还没到。",
        "2099-01-01 08:00 is in the future.",
        "at 2099-01-01 08:00 is in the future",
    ),
    (
        {"theta_pct": "", "raw_pct": "20"},
        "土样未保存：土样含水量（体积 %）：请填写土样的含水量。",
        "give the sample&#39;s reference water content.",
        "the reference θ is needed",
    ),
    (
        {"theta_pct": "20", "raw_pct": "20", "at": "x"},
        "土样未保存：取样时间：“x”不是日期时间。",
        "“x” is not a date and time.",
        "&#39;x&#39; is not a date and time",
    ),
]


@pytest.mark.parametrize(("form", "zh", "en", "english"), REFUSALS)
def test_bad_input_comes_back_naming_the_field_in_the_pages_language(
    as_role: Any, store: Store, form: dict[str, str], zh: str, en: str, english: str
) -> None:
    tech = as_role("technician")
    page = _post(tech, form).text
    assert zh in page
    assert english not in page and en not in page  # no English inside the Chinese page
    tech.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(tech)})
    page = _post(tech, form).text
    assert en in page and zh not in page
    assert store.probe_samples() == []


def test_a_refused_sample_comes_back_with_what_was_typed(as_role: Any, store: Store) -> None:
    """A technician in the field who typed a sample's figures and note and was refused (the
    time in the future, here) corrects one field, not all of them again."""
    tech = as_role("technician")
    typed = {
        "theta_pct": "21.5",
        "method": "reference",
        "at": "2099-01-01T08:00",
        "raw_pct": "24.5",
        "note": "坑 2，30 cm",
    }
    r = _post(tech, typed)
    assert r.status_code == 422 and store.probe_samples() == []
    assert 'id="sample-refused"' in r.text and "土样未保存：取样时间" in r.text
    start = r.text.index('id="sample-form"')
    form = r.text[start : r.text.index("</form>", start)]
    for field in ("theta_pct", "at", "raw_pct", "note"):
        assert f'value="{typed[field]}"' in form, field
    assert '<option value="reference" selected>' in form
    assert '<option value="probe1a" selected>' in form


def test_a_sample_of_no_probe_is_refused_naming_it(as_role: Any, store: Store) -> None:
    tech = as_role("technician")
    page = _post(tech, {"theta_pct": "20", "raw_pct": "20", "probe": "pump1"})
    assert "土样未保存：pump1" in page.text
    assert store.probe_samples() == []


def test_a_viewer_cannot_post_a_sample(as_role: Any, store: Store) -> None:
    viewer = as_role("viewer")
    token = csrf_of(viewer, "/probes")
    r = viewer.post(
        "/probes/samples",
        data={"csrf": token, "probe": "probe1a", "theta_pct": "20", "raw_pct": "20"},
    )
    assert r.status_code == 403 and store.probe_samples() == []


@pytest.mark.parametrize("chars", [NOTE_MAX_CHARS + 1, 3 * NOTE_MAX_CHARS])
def test_a_note_past_the_fields_limit_is_refused_naming_the_limit(
    as_role: Any, store: Store, chars: int
) -> None:
    tech = as_role("technician")
    assert f'maxlength="{NOTE_MAX_CHARS}"' in tech.get("/probes").text  # the server's limit
    form = {"theta_pct": "24", "raw_pct": "27"}
    page = _post(tech, {**form, "note": "土" * chars}).text
    assert f"土样未保存：备注：备注有 {chars} 个字符，最多 {NOTE_MAX_CHARS} 个。" in page
    assert store.probe_samples() == []
    _post(tech, {**form, "note": "土" * NOTE_MAX_CHARS})
    assert len(store.probe_samples()) == 1  # the limit itself is kept


def test_a_quarantined_probe_is_refused_naming_it_and_its_alarm_in_the_pages_language(
    as_role: Any, store: Store
) -> None:
    """A flat probe is the steady probe whose stored reading would stand: while the
    plausibility rules quarantine it, its own reading is no calibration point."""
    store.raise_event(Severity.ALARM, "probe_flatline", "probe1a", "flat", latched=True)
    tech = as_role("technician")
    page = _post(tech, {"theta_pct": "20"}).text
    assert "当时探头读数（%）：控制器目前怀疑探头 probe1a（土壤探头读数不变（已隔离））" in page
    tech.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(tech)})
    page = _post(tech, {"theta_pct": "20"}).text
    assert "the box doubts probe probe1a now (Soil probe flat (quarantined))" in page
    assert store.probe_samples() == []
    _post(tech, {"theta_pct": "20", "raw_pct": "24"})  # a reading typed in stands
    assert [s.raw_source for s in store.probe_samples()] == ["given"]
