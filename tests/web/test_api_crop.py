"""``/api/v1/zones/{zone}/observations`` and ``/crop``: stages recorded by a technician
(audited), read by any role; bad input a 422 naming the field, nothing stored."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from controller.daemon.cropdesk import PHOTO_MAX_BYTES
from controller.store import Store
from tests.helpers.asgi import AsgiClient
from tests.helpers.photos import jpeg_bytes, png_bytes

API = "/api/v1"
# the fake service's today is 2026-05-14; z1 (demo site) was sown on 2026-04-20


def _post(client: AsgiClient, token: str, body: dict[str, Any], zone: str = "z1") -> Any:
    return client.post(f"{API}/zones/{zone}/observations", token=token, json=body)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _listed(client: AsgiClient, token: str) -> list[dict[str, Any]]:
    r = client.get(f"{API}/zones/z1/observations", token=token)
    assert r.status_code == 200, r.text
    result: list[dict[str, Any]] = r.json()
    return result


def test_a_technician_records_a_stage_with_a_photo_and_a_viewer_reads_it(
    client: AsgiClient, tokens: dict[str, str], store: Store
) -> None:
    body = {"stage": "VE", "observed_on": "2026-05-08", "note": "出苗整齐", "photo_base64": ""}
    body["photo_base64"] = _b64(jpeg_bytes())
    r = _post(client, tokens["technician"], body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["stage"], made["observed_on"], made["photo"]) == ("VE", "2026-05-08", True)
    assert made["entered_by"] == "tian" and made["note"] == "出苗整齐"
    photo = client.get(f"{API}/zones/z1/observations/{made['id']}/photo", token=tokens["viewer"])
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg" and photo.content == jpeg_bytes()
    assert [o["stage"] for o in _listed(client, tokens["viewer"])] == ["VE"]
    audit = [a for a in store.rows_after("audit", 0) if a.action == "crop.observe"]  # type: ignore[attr-defined]
    assert len(audit) == 1 and audit[0].detail == {
        "id": made["id"],
        "zone": "z1",
        "stage": "VE",
        "observed_on": "2026-05-08",
    }
    # the crop now runs from the observation: VE is day 12 of the calendar, seen on day 18
    view = client.get(f"{API}/zones/z1/crop", token=tokens["viewer"]).json()
    assert view["today"]["kc_source"] == "observation"
    assert view["today"]["crop_day"] == pytest.approx(12.0 + 6.0)  # no station: a day a day
    assert view["today"]["days_after_planting"] == 24
    # no station here: the degree days are no data, said so, never 0
    assert view["today"]["gdd_degc_day"] is None
    assert view["today"]["gdd_missing"] == "no_temperatures"
    ve = next(s for s in view["stages"] if s["stage"] == "VE")
    assert (ve["observed_on"], ve["predicted_on"], ve["days_late"]) == (
        "2026-05-08",
        "2026-05-02",
        6,
    )


def test_a_viewer_may_not_record_and_a_technician_may(
    client: AsgiClient, tokens: dict[str, str]
) -> None:
    body = {"stage": "VE", "observed_on": "2026-05-08"}
    refused = _post(client, tokens["viewer"], body)
    assert refused.status_code == 403 and "technician required" in refused.json()["detail"]
    assert _listed(client, tokens["viewer"]) == []
    assert _post(client, tokens["technician"], body).status_code == 201
    assert _post(client, tokens["admin"], body | {"observed_on": "2026-05-09"}).status_code == 201
    # the stage recorded again replaces the earlier record
    assert [o["observed_on"] for o in _listed(client, tokens["viewer"])] == ["2026-05-09"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"stage": "V99", "observed_on": "2026-05-08"}, "stage", "unknown stage 'V99'"),
        ({"stage": "VE", "observed_on": "2026-05-15"}, "observed_on", "is in the future"),
        ({"stage": "VE", "observed_on": "2026-04-19"}, "observed_on", "before planting"),
        (
            {"stage": "VE", "observed_on": "2026-05-08", "photo_base64": "not base64!"},
            "photo",
            "not base64",
        ),
        (
            {"stage": "VE", "observed_on": "2026-05-08", "photo_base64": _b64(b"GIF89a....")},
            "photo",
            "not a JPEG or PNG",
        ),
        (
            {
                "stage": "VE",
                "observed_on": "2026-05-08",
                "photo_base64": _b64(png_bytes(PHOTO_MAX_BYTES)),
            },
            "photo",
            "more than 700 KiB",
        ),
        ({"stage": "VE", "observed_on": "08.05.2026"}, "observed_on", "date"),
        ({"stage": "VE", "observed_on": "2026-05-08", "colour": "green"}, "colour", "Extra"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: AsgiClient, tokens: dict[str, str], body: dict[str, Any], field: str, words: str
) -> None:
    r = _post(client, tokens["technician"], body)
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"][-1] == field
    assert words in error["msg"]
    assert _listed(client, tokens["viewer"]) == []


def test_the_largest_photo_is_taken_and_one_byte_more_is_not(
    client: AsgiClient, tokens: dict[str, str]
) -> None:
    small = png_bytes()
    # the text chunk adds 12 bytes of length, type and CRC and 4 of keyword and NUL
    exact = png_bytes(PHOTO_MAX_BYTES - len(small) - 16)
    assert len(exact) == PHOTO_MAX_BYTES
    body = {"stage": "VE", "observed_on": "2026-05-08", "photo_base64": _b64(exact)}
    assert _post(client, tokens["technician"], body).status_code == 201
    over = png_bytes(PHOTO_MAX_BYTES - len(small) - 15)
    body = {"stage": "V6", "observed_on": "2026-05-12", "photo_base64": _b64(over)}
    r = _post(client, tokens["technician"], body)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "photo"]


def test_stages_out_of_order_are_refused_both_ways(
    client: AsgiClient, tokens: dict[str, str]
) -> None:
    t = tokens["technician"]
    assert _post(client, t, {"stage": "V6", "observed_on": "2026-05-10"}).status_code == 201
    early = _post(client, t, {"stage": "jointing", "observed_on": "2026-05-09"})
    assert early.status_code == 422
    assert early.json()["detail"][0]["msg"] == (
        "jointing on 2026-05-09 is before V6 on 2026-05-10 (stages come in order)"
    )
    late = _post(client, t, {"stage": "VE", "observed_on": "2026-05-11"})
    assert late.status_code == 422
    assert "VE on 2026-05-11 is after V6 on 2026-05-10" in late.json()["detail"][0]["msg"]
    # the same day, and the right order, are fine
    assert _post(client, t, {"stage": "VE", "observed_on": "2026-05-10"}).status_code == 201
    assert _post(client, t, {"stage": "jointing", "observed_on": "2026-05-13"}).status_code == 201
    assert [o["stage"] for o in _listed(client, t)] == ["VE", "V6", "jointing"]


def test_an_unknown_zone_or_photo_is_a_404(client: AsgiClient, tokens: dict[str, str]) -> None:
    body = {"stage": "VE", "observed_on": "2026-05-08"}
    assert _post(client, tokens["technician"], body, zone="z9").status_code == 404
    assert client.get(f"{API}/zones/z9/crop", token=tokens["viewer"]).status_code == 404
    made = _post(client, tokens["technician"], body).json()  # no photo
    r = client.get(f"{API}/zones/z1/observations/{made['id']}/photo", token=tokens["viewer"])
    assert r.status_code == 404


def test_observations_are_exported_like_other_records(
    client: AsgiClient, tokens: dict[str, str]
) -> None:
    body = {"stage": "VE", "observed_on": "2026-05-08", "note": "出苗"}
    assert _post(client, tokens["technician"], body).status_code == 201
    r = client.get(f"{API}/export/crop_observations", token=tokens["viewer"])
    assert r.status_code == 200
    (row,) = [json.loads(line) for line in r.text.splitlines() if line]
    assert (row["id"], row["zone"], row["stage"], row["observed_on"]) == (
        1,
        "z1",
        "VE",
        "2026-05-08",
    )
    assert row["note"] == "出苗" and row["entered_by"] == "tian"


def test_a_stage_far_off_the_calendar_needs_confirm_true(
    client: AsgiClient, tokens: dict[str, str], store: Store
) -> None:
    body = {"stage": "maturity", "observed_on": "2026-05-10"}
    r = _post(client, tokens["technician"], body)
    assert r.status_code == 422
    (err,) = r.json()["detail"]
    assert err["loc"] == ["body", "stage"]
    assert err["msg"].startswith(
        "maturity on 2026-05-10 is day 20 after planting, where the calendar puts maturity "
        "at about day 145"
    )
    assert store.crop_observations("z1") == []
    r = _post(client, tokens["technician"], body | {"confirm": True})
    assert r.status_code == 201, r.text
    view = client.get(f"{API}/zones/z1/crop", token=tokens["viewer"]).json()
    confirmed = {s["stage"]: s["confirmed_against_prediction"] for s in view["stages"]}
    assert confirmed["maturity"] is True and confirmed["VE"] is False


def test_a_technician_deletes_a_mistaken_record(
    client: AsgiClient, tokens: dict[str, str], store: Store
) -> None:
    made = _post(client, tokens["technician"], {"stage": "V6", "observed_on": "2026-05-12"})
    ident = made.json()["id"]
    path = f"{API}/zones/z1/observations/{ident}/delete"
    assert client.post(path, token=tokens["viewer"]).status_code == 403
    r = client.post(path, token=tokens["technician"])
    assert r.status_code == 200, r.text
    assert (r.json()["stage"], r.json()["observed_on"]) == ("V6", "2026-05-12")
    assert store.crop_observations("z1") == []
    view = client.get(f"{API}/zones/z1/crop", token=tokens["viewer"]).json()
    assert view["today"]["kc_source"] == "calendar"
    audit = [a for a in store.rows_after("audit", 0) if a.action == "crop.delete"]  # type: ignore[attr-defined]
    assert len(audit) == 1 and audit[0].detail["ids"] == [ident]
    gone = client.post(path, token=tokens["technician"])
    assert gone.status_code == 404 and f"no crop observation {ident} on zone 'z1'" in gone.text
    other = client.post(f"{API}/zones/z2/observations/{ident}/delete", token=tokens["technician"])
    assert other.status_code == 404


def test_deleting_an_already_replaced_record_keeps_the_stage_on_its_newer_one(
    client: AsgiClient, tokens: dict[str, str], store: Store
) -> None:
    older = _post(client, tokens["technician"], {"stage": "V6", "observed_on": "2026-05-10"})
    newer = _post(client, tokens["technician"], {"stage": "V6", "observed_on": "2026-05-12"})
    path = f"{API}/zones/z1/observations/{older.json()['id']}/delete"
    r = client.post(path, token=tokens["technician"])
    assert r.status_code == 200 and r.json()["observed_on"] == "2026-05-10"
    listed = _listed(client, tokens["viewer"])
    assert [(o["id"], o["observed_on"]) for o in listed] == [(newer.json()["id"], "2026-05-12")]
    view = client.get(f"{API}/zones/z1/crop", token=tokens["viewer"]).json()
    (v6,) = [s for s in view["stages"] if s["stage"] == "V6"]
    assert v6["observed_on"] == "2026-05-12"


def test_a_stage_recorded_again_on_the_same_day_replaces_its_record(
    client: AsgiClient, tokens: dict[str, str], store: Store
) -> None:
    """One record of a stage a day: the form sent twice, or a note added, updates it (the
    photo kept unless a new one comes); the audit keeps both entries. Another day's record of
    the stage is kept as history, as before."""
    first = {"stage": "VE", "observed_on": "2026-05-08", "note": "a"}
    first["photo_base64"] = _b64(jpeg_bytes())
    r = _post(client, tokens["technician"], first)
    assert r.status_code == 201 and r.json()["replaced"] == []
    old_id = r.json()["id"]
    r = _post(
        client, tokens["technician"], {"stage": "VE", "observed_on": "2026-05-08", "note": "b"}
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["replaced"] == [old_id] and made["note"] == "b" and made["photo"] is True
    photo = client.get(f"{API}/zones/z1/observations/{made['id']}/photo", token=tokens["viewer"])
    assert photo.status_code == 200 and photo.content == jpeg_bytes()
    exported = client.get(f"{API}/export/crop_observations", token=tokens["viewer"]).text
    rows = [json.loads(line) for line in exported.splitlines() if line]
    assert [(o["id"], o["note"]) for o in rows] == [(made["id"], "b")]
    audit = [a for a in store.rows_after("audit", 0) if a.action == "crop.observe"]  # type: ignore[attr-defined]
    assert [a.detail.get("replaced") for a in audit] == [None, [old_id]]
    assert [a.actor for a in audit] == ["tian", "tian"]
    # another day: a new record in force, the earlier one kept (deleting it goes back to it)
    r = _post(client, tokens["technician"], {"stage": "VE", "observed_on": "2026-05-09"})
    assert r.status_code == 201 and r.json()["replaced"] == []
    exported = client.get(f"{API}/export/crop_observations", token=tokens["viewer"]).text
    assert len([line for line in exported.splitlines() if line]) == 2
