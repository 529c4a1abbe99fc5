"""The crop page (苗情): a technician records a stage with a photo from a phone form; every
role sees stages observed against predicted and where the Kc comes from, in Chinese and in
English; bad input comes back naming the field, nothing stored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from controller.daemon.cropdesk import NOTE_MAX_CHARS, PHOTO_MAX_BYTES
from controller.store import CropObservation, Store
from tests.helpers.pages import audit_rows, csrf_of
from tests.helpers.photos import jpeg_bytes, png_bytes

PAGE = "/zones/z1/crop"  # the fake's today is 2026-05-14; z1 was sown on 2026-04-20


def _post(client: Any, form: dict[str, str], photo: bytes | None = None) -> Any:
    data = {"csrf": csrf_of(client, PAGE)} | form
    files = {"photo": ("IMG_0001.jpg", photo, "image/jpeg")} if photo is not None else None
    r = client.post(
        "/zones/z1/observations",
        data=data,
        files=files,
        headers={"referer": f"http://127.0.0.1:8080{PAGE}"},
    )
    if r.status_code == 422:  # refused: the page again, the form as typed
        return r
    assert r.status_code == 303, r.text
    return client.get(r.headers["location"])


def test_a_technician_records_a_stage_and_everyone_sees_it(as_role: Any, store: Store) -> None:
    tech = as_role("technician")
    page = tech.get(PAGE)
    assert page.status_code == 200 and 'id="observation-form"' in page.text
    assert 'enctype="multipart/form-data"' in page.text and 'max="2026-05-14"' in page.text
    assert "日历（播种后天数）" in page.text  # no observation yet: the calendar
    gdd = page.text.split('id="crop-gdd"', 1)[1].split("</p>", 1)[0]
    assert "无数据" in gdd and "气象站自播种以来没有气温记录" in gdd and "0 °C·d" not in gdd
    shown = _post(
        tech, {"stage": "VE", "observed_on": "2026-05-08", "note": "出苗整齐"}, jpeg_bytes()
    )
    assert "已记录 出苗 (VE)（2026-05-08）" in shown.text  # the flash
    assert "实地观测 + 积温" in shown.text and "出苗整齐" in shown.text
    row = shown.text.split('id="stage-VE"', 1)[1].split("</tr>", 1)[0]
    assert "2026-05-08" in row and "2026-05-02" in row and "+6 天" in row
    (obs,) = store.crop_observations("z1")
    assert obs.photo.startswith("z1-VE-") and obs.photo.endswith(".jpg")
    viewer = as_role("viewer")
    page = viewer.get(PAGE)
    assert 'id="observation-form"' not in page.text  # a viewer reads, does not record
    photo = viewer.get(f"/zones/z1/observations/{obs.id}/photo")
    assert photo.status_code == 200 and photo.content == jpeg_bytes()
    (audit,) = [a for a in audit_rows(store) if a.action == "crop.observe"]
    assert audit.actor == "tian" and audit.detail["stage"] == "VE"
    zone_page = viewer.get("/zones/z1").text
    assert 'href="/zones/z1/crop"' in zone_page  # linked from the zone page, which says
    assert "Kc 来源: 实地观测 + 积温" in zone_page  # where the Kc comes from


def test_the_stage_select_preselects_no_stage(as_role: Any) -> None:
    """A record saved with only a note typed must not become emergence: the select starts
    on its placeholder, and the browser asks for a stage before sending."""
    page = as_role("technician").get(PAGE).text
    start = page.index('id="observation-stage"')
    select = page[start : page.index("</select>", start)]
    assert "required" in select.split(">", 1)[0]
    assert '<option value="" selected>选择生育期</option>' in select
    assert select.count("selected") == 1


def test_a_stage_far_off_the_calendar_is_refused_until_confirmed(
    as_role: Any, store: Store
) -> None:
    """No station here: maturity 20 days after planting is 125 days off the calendar; the
    refusal names the stage, the date and what the calendar expects, in the page's language;
    ticked, the record is kept and shown as confirmed against the prediction."""
    tech = as_role("technician")
    form = {"stage": "maturity", "observed_on": "2026-05-10", "note": "核对过"}
    r = _post(tech, form)
    assert r.status_code == 422
    assert (
        "记录未保存：生育期：2026-05-10 的成熟：播种后第 20 天，而日历上成熟约在第 145 天"
        "（可接受相差 30 天以内；有气温的天数太少，无法计算积温）。"
        "如作物确实处于此生育期，请勾选确认后再保存。" in r.text
    )
    assert 'id="observation-confirm"' in r.text and store.crop_observations("z1") == []
    shown = _post(tech, form | {"confirm": "yes"})
    assert [o.stage for o in store.crop_observations("z1")] == ["maturity"]
    row = shown.text.split('id="stage-maturity"', 1)[1].split("</tr>", 1)[0]
    assert "2026-05-10" in row and "已确认（与积温预测不符）" in row
    assert "已确认" not in shown.text.split('id="stage-VE"', 1)[1].split("</tr>", 1)[0]
    (audit,) = [a for a in audit_rows(store) if a.action == "crop.observe"]
    assert audit.detail["confirmed_against"] == "calendar"
    tech.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(tech)})
    page = _post(tech, {"stage": "tasseling", "observed_on": "2026-05-09"}).text
    assert (
        "Not saved: Stage: tasselling on 2026-05-09: day 19 after planting, where the calendar "
        "puts tasselling at about day 83 (accepted within 30 days; too few days with "
        "temperatures to count degree days)." in page
    )


def test_a_record_nobody_confirmed_is_not_shown_confirmed(as_role: Any, store: Store) -> None:
    """Maturity stored 20 days after planting without the page's check (a record from before
    the rule): implausible by the calendar, and said so, never "confirmed"."""
    store.add_crop_observation(
        CropObservation(
            zone="z1", stage="maturity", observed_on=dt.date(2026, 5, 10), entered_by="li"
        )
    )
    tech = as_role("technician")
    row = tech.get(PAGE).text.split('id="stage-maturity"', 1)[1].split("</tr>", 1)[0]
    assert "2026-05-10" in row and "与日历不符（未确认）" in row and "已确认" not in row
    tech.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(tech)})
    row = tech.get(PAGE).text.split('id="stage-maturity"', 1)[1].split("</tr>", 1)[0]
    assert "implausible by the calendar (not confirmed)" in row and "confirmed against" not in row


def test_deleting_an_already_replaced_record_says_the_newer_one_stays_in_force(
    as_role: Any, store: Store
) -> None:
    tech = as_role("technician")
    _post(tech, {"stage": "VE", "observed_on": "2026-05-02"})  # replaced by
    _post(tech, {"stage": "VE", "observed_on": "2026-05-08"})  # this one
    older, newer = store.rows_after("crop_observations", 0)  # type: ignore[attr-defined]
    r = tech.post(
        f"/zones/z1/observations/{older.id}/delete",
        data={"csrf": csrf_of(tech, PAGE)},
        headers={"referer": f"http://127.0.0.1:8080{PAGE}"},
    )
    assert r.status_code == 303
    shown = tech.get(r.headers["location"]).text
    assert "已删除 2026-05-02 的出苗 (VE)记录；该生育期仍以 2026-05-08 的记录为准。" in shown
    assert "回到预测。" not in shown.split('id="observation-form"', 1)[0]
    assert [o.id for o in store.crop_observations("z1")] == [newer.id]
    tech.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(tech)})
    r = tech.post(
        f"/zones/z1/observations/{newer.id}/delete",
        data={"csrf": csrf_of(tech, PAGE)},
        headers={"referer": f"http://127.0.0.1:8080{PAGE}"},
    )
    shown = tech.get(r.headers["location"]).text
    assert "the stage is back on its prediction." in shown


def test_a_mistaken_record_is_deleted_and_its_stage_goes_back_to_the_prediction(
    as_role: Any, store: Store
) -> None:
    tech = as_role("technician")
    _post(tech, {"stage": "VE", "observed_on": "2026-05-02"}, jpeg_bytes())  # replaced by
    _post(tech, {"stage": "VE", "observed_on": "2026-05-08"}, jpeg_bytes())  # this one
    _post(tech, {"stage": "V6", "observed_on": "2026-05-12"})
    (ve,) = [o for o in store.crop_observations("z1") if o.stage == "VE"]
    photos = Path(store.url.removeprefix("sqlite:///")).parent / "photos"
    assert len(list(photos.glob("z1-VE-*"))) == 2
    page = tech.get(PAGE).text
    assert f'action="/zones/z1/observations/{ve.id}/delete"' in page
    assert 'data-confirm="删除 2026-05-08 的出苗 (VE)记录？该生育期将回到预测。"' in page
    r = tech.post(
        f"/zones/z1/observations/{ve.id}/delete",
        data={"csrf": csrf_of(tech, PAGE)},
        headers={"referer": f"http://127.0.0.1:8080{PAGE}"},
    )
    assert r.status_code == 303
    shown = tech.get(r.headers["location"]).text
    assert "已删除 2026-05-08 的出苗 (VE)记录，该生育期已回到预测。" in shown
    # the older VE it had replaced is gone too: VE is predicted only, V6 still observed
    assert [o.stage for o in store.crop_observations("z1")] == ["V6"]
    assert list(photos.glob("z1-VE-*")) == []  # their photos with them
    row = shown.split('id="stage-VE"', 1)[1].split("</tr>", 1)[0]
    assert "<td>—</td>" in row and "2026-05-02" in row  # observed: none; predicted: day 12
    (audit,) = [a for a in audit_rows(store) if a.action == "crop.delete"]
    assert audit.actor == "tian" and audit.detail["stage"] == "VE"
    assert audit.detail["observed_on"] == "2026-05-08" and len(audit.detail["ids"]) == 2
    again = tech.post(
        f"/zones/z1/observations/{ve.id}/delete",
        data={"csrf": csrf_of(tech, PAGE)},
        headers={"referer": f"http://127.0.0.1:8080{PAGE}"},
    )
    assert f"未删除：地块 z1 没有第 {ve.id} 条观测。" in tech.get(again.headers["location"]).text
    assert 'action="/zones/z1/observations/' not in as_role("viewer").get(PAGE).text


def test_the_page_speaks_english_too(as_role: Any) -> None:
    tech = as_role("technician")
    _post(tech, {"stage": "VE", "observed_on": "2026-05-08"})
    tech.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(tech)})
    page = tech.get(PAGE).text
    assert "Crop stages" in page and "field observation + degree days" in page
    assert "Stages: observed and predicted" in page and "emergence (VE)" in page
    assert "+6 d" in page and "出苗" not in page


# (form, photo, the Chinese page's refusal, the English page's, the API's English)
REFUSALS = [
    (
        {"stage": "", "observed_on": "2026-07-06", "note": "只写了备注"},
        None,
        "记录未保存：生育期：请选择所见的生育期（只有备注不能作为生育期记录）。",
        "Not saved: Stage: choose the stage seen (a note alone is not a stage record).",
        "no stage given",
    ),
    (
        {"stage": "V99", "observed_on": "2026-05-08"},
        None,
        "记录未保存：生育期：没有生育期 V99。",
        "Not saved: Stage: there is no stage V99.",
        "unknown stage &#39;V99&#39;",
    ),
    (
        {"stage": "VE", "observed_on": "2026-05-20"},
        None,
        "记录未保存：日期：2026-05-20 还没到（今天是 2026-05-14）。",
        "Not saved: Date: 2026-05-20 is in the future (today is 2026-05-14).",
        "2026-05-20 is in the future (today",
    ),
    (
        {"stage": "VE", "observed_on": "2026-04-19"},
        None,
        "记录未保存：日期：2026-04-19 早于播种日 2026-04-20。",
        "Not saved: Date: 2026-04-19 is before planting on 2026-04-20.",
        "is before planting on",
    ),
    (
        {"stage": "VE", "observed_on": "8 May"},
        None,
        "记录未保存：日期：8 May 不是日期（格式 YYYY-MM-DD）。",
        "Not saved: Date: 8 May is not a date (YYYY-MM-DD).",
        "&#39;8 May&#39; is not a date",
    ),
    (
        {"stage": "VE", "observed_on": "2026-05-08"},
        b"not an image",
        "记录未保存：照片：照片不是可读取的 JPEG 或 PNG 图片。",
        "Not saved: Photo: the photo is not a JPEG or PNG picture the box can read.",
        "the photo: not a JPEG or PNG picture",
    ),
    (
        {"stage": "VE", "observed_on": "2026-05-08"},
        png_bytes(PHOTO_MAX_BYTES),
        "记录未保存：照片：照片有 700 KiB，超过 700 KiB。",
        "Not saved: Photo: the photo is 700 KiB, more than 700 KiB.",
        "KiB, more than 700 KiB",
    ),
]


@pytest.mark.parametrize(("form", "photo", "zh", "en", "english"), REFUSALS)
def test_bad_input_comes_back_naming_the_field_in_the_pages_language(
    as_role: Any,
    store: Store,
    form: dict[str, str],
    photo: bytes | None,
    zh: str,
    en: str,
    english: str,
) -> None:
    tech = as_role("technician")
    page = _post(tech, form, photo).text
    assert zh in page
    assert english not in page and en not in page  # no English inside the Chinese page
    tech.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(tech)})
    page = _post(tech, form, photo).text
    assert en in page and zh not in page
    assert store.crop_observations("z1") == []


def test_stages_out_of_order_are_refused_with_the_stages_named_in_the_pages_language(
    as_role: Any, store: Store
) -> None:
    tech = as_role("technician")
    _post(tech, {"stage": "V6", "observed_on": "2026-05-12"})
    page = _post(tech, {"stage": "jointing", "observed_on": "2026-05-10"}).text
    assert "2026-05-10 的拔节会早于 2026-05-12 的六叶 (V6)：生育期须按顺序。" in page
    assert "jointing on 2026-05-10 is before V6" not in page
    page = _post(tech, {"stage": "VE", "observed_on": "2026-05-13"}).text
    assert "2026-05-13 的出苗 (VE)会晚于 2026-05-12 的六叶 (V6)：生育期须按顺序。" in page
    tech.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(tech)})
    page = _post(tech, {"stage": "jointing", "observed_on": "2026-05-10"}).text
    assert (
        "jointing on 2026-05-10 would come before six leaves (V6) on 2026-05-12: "
        "stages come in order." in page
    )
    assert [o.stage for o in store.crop_observations("z1")] == ["V6"]


def test_a_refused_observation_comes_back_with_what_was_typed(as_role: Any, store: Store) -> None:
    """A stage out of order refused: the stage, the date and the note come back in the form
    (the photo is chosen again), nothing saved."""
    tech = as_role("technician")
    _post(tech, {"stage": "V6", "observed_on": "2026-05-12"})
    typed = {"stage": "jointing", "observed_on": "2026-05-10", "note": "北头 3 行，节间伸长"}
    r = _post(tech, typed)
    assert r.status_code == 422 and 'id="observation-refused"' in r.text
    assert "生育期须按顺序" in r.text
    start = r.text.index('id="observation-form"')
    form = r.text[start : r.text.index("</form>", start)]
    assert '<option value="jointing" selected>' in form
    assert f'value="{typed["observed_on"]}"' in form and f'value="{typed["note"]}"' in form
    assert [o.stage for o in store.crop_observations("z1")] == ["V6"]


def test_an_unknown_zone_or_photo_is_a_404(as_role: Any) -> None:
    viewer = as_role("viewer")
    assert viewer.get("/zones/z9/crop").status_code == 404
    assert viewer.get("/zones/z1/observations/1/photo").status_code == 404


@pytest.mark.parametrize("chars", [NOTE_MAX_CHARS + 1, 3 * NOTE_MAX_CHARS])
def test_a_note_past_the_fields_limit_is_refused_naming_the_limit(
    as_role: Any, store: Store, chars: int
) -> None:
    tech = as_role("technician")
    assert f'maxlength="{NOTE_MAX_CHARS}"' in tech.get(PAGE).text  # the limit the server keeps
    page = _post(tech, {"stage": "VE", "observed_on": "2026-05-08", "note": "苗" * chars}).text
    assert f"记录未保存：备注：最多 {NOTE_MAX_CHARS} 个字符" in page
    assert store.crop_observations("z1") == []
    _post(tech, {"stage": "VE", "observed_on": "2026-05-08", "note": "苗" * NOTE_MAX_CHARS})
    assert len(store.crop_observations("z1")) == 1  # the limit itself is kept


def test_a_form_sent_again_from_a_refused_page_goes_back_to_the_crop_page(
    as_role: Any,
) -> None:
    """The refused page's address is the POST's: going back there was a GET of a POST-only
    address (405)."""
    tech = as_role("technician")
    r = tech.post(
        "/zones/z1/observations",
        data={"csrf": csrf_of(tech, PAGE), "stage": "VE", "observed_on": "2026-05-08"},
        headers={"referer": "http://127.0.0.1:8080/zones/z1/observations"},
    )
    assert r.status_code == 303 and r.headers["location"] == PAGE


def test_the_same_stage_and_date_sent_again_updates_its_record(as_role: Any, store: Store) -> None:
    tech = as_role("technician")
    _post(tech, {"stage": "VE", "observed_on": "2026-05-08", "note": "a"})
    shown = _post(tech, {"stage": "VE", "observed_on": "2026-05-08", "note": "b"})
    assert "已更新 出苗 (VE)（2026-05-08）的记录" in shown.text  # the flash says it replaced
    listed = shown.text.split('id="crop-observations"', 1)[1].split("</table>", 1)[0]
    assert listed.count("<td>出苗 (VE)</td>") == 1 and "<td>b</td>" in listed
    (obs,) = store.crop_observations("z1")
    assert obs.note == "b"
    tech.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(tech)})
    shown = _post(tech, {"stage": "VE", "observed_on": "2026-05-08", "note": "c"})
    assert "Updated the record of emergence (VE) on 2026-05-08" in shown.text
