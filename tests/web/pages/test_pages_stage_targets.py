"""The settings page's table of crop periods (stage-wise depletion targets): shown to every
role, today's period marked, the zone's rule; per-crop period MADs and the zone's rule edited
by admins only, each bad value named with its crop, period and bound."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from controller.store import Store
from tests.helpers.pages import PageService, audit_rows, csrf_of
from web.pages import settings as settings_page

STAGES = "/settings/crops/seed_corn/stages"


def _table(page: str, zone: str) -> str:
    start = page.index(f'id="stages-table-{zone}"')
    return page[start : page.index("</table>", start)]


def _rows(table: str) -> list[str]:
    return re.findall(r"<tr id=\"stage-[^\"]+\"[^>]*>.*?</tr>", table, flags=re.S)


def test_each_zone_shows_its_crops_periods_with_today_marked(as_role: Any) -> None:
    """The fake's day is 2026-05-14, day 24 after planting: seed corn's establishment (to 30)."""
    page = html.unescape(as_role("viewer").get("/settings").text)
    rows = _rows(_table(page, "z1"))
    assert len(rows) == 5  # the library's five periods of seed corn
    names = [re.search(r'<td class="period">([^<]+)', r)[1].strip() for r in rows]  # type: ignore[index]
    assert names == ["出苗期", "拔节期", "抽雄吐丝期", "籽粒形成期", "成熟期"]
    today = [r for r in rows if 'class="today"' in r]
    assert len(today) == 1 and "出苗期" in today[0] and "当前（播后 24 天）" in today[0]
    flowering = rows[2]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", flowering, flags=re.S)
    assert cells[1] == "100" and cells[2] == "1.5"  # ends on day 100, Ky 1.5
    assert "0.40" in cells[3] and "上限为 p，不亏缺" in cells[3]  # shown, not editable
    assert 'name="mad:flowering"' not in flowering
    assert cells[4] == "是" and cells[5].startswith("0.55")  # critical; FAO-56 p beside it
    ripening = rows[4]
    assert (
        'name="mad:ripening"' in ripening and 'value="0.65"' in ripening and "disabled" in ripening
    )
    assert "MAD > p：允许亏缺" in ripening  # 0.65 past p 0.55: a deficit by design
    assert "本轮灌区的规则：分期（按生育期）。" in page
    assert 'id="targets-z1"' in page


def test_the_table_speaks_english_too(as_role: Any) -> None:
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": "en", "next": "/settings", "csrf": csrf_of(viewer)})
    page = html.unescape(viewer.get("/settings").text)
    assert "Growth periods and irrigation triggers of seed corn" in page
    assert "capped at p, no deficit" in page and "cannot be changed" in page
    assert "today (day 24)" in page and "yield formation" in page


def test_an_admin_sets_a_periods_mad_and_empties_it_again(
    as_role: Any, service: PageService, store: Store
) -> None:
    admin = as_role("admin")
    page = admin.get("/settings").text
    assert 'name="mad:ripening"' in page and "disabled" not in _table(page, "z1")
    form = {"mad:vegetative": "0.40", "mad:ripening": "0.7", "csrf": csrf_of(admin)}
    assert admin.post(STAGES, data=form).status_code == 303
    # the unchanged period is no setting (its default); the changed one is
    assert service.saved[-1] == {
        "crops": {"seed_corn": {"stages": {"vegetative": None, "ripening": {"mad": 0.7}}}}
    }
    shown = _rows(_table(html.unescape(admin.get("/settings").text), "z1"))[4]
    assert 'value="0.70"' in shown and "默认 0.65" in shown
    form = {"mad:ripening": "", "csrf": csrf_of(admin)}
    assert admin.post(STAGES, data=form).status_code == 303
    assert service.saved[-1] == {"crops": {"seed_corn": {"stages": {"ripening": None}}}}


def test_bad_values_are_named_by_period_and_bound(
    as_role: Any, service: PageService, store: Store
) -> None:
    admin = as_role("admin")
    form = {
        "mad:vegetative": "0.9",
        "mad:ripening": "lots",
        "mad:flowering": "0.6",
        "mad:tillering": "0.5",
        "csrf": csrf_of(admin),
    }
    sent = admin.post(STAGES, data=form)
    assert sent.status_code == 422
    page = html.unescape(sent.text)
    errors = page[page.index('id="settings-errors"') :]
    assert "制种玉米「拔节期」：MAD “0.9” 必须在 0.2 到 0.8 之间。" in errors
    assert "制种玉米「成熟期」：MAD “lots” 不是数字" in errors
    assert "制种玉米「抽雄吐丝期」是关键期：触发点由规则限制在 FAO-56 p 以内" in errors
    assert "制种玉米没有生育期 “tillering”。" in errors
    assert service.saved == []  # nothing of a refused form is saved


def test_a_crop_no_zone_grows_is_not_found(as_role: Any, service: PageService) -> None:
    admin = as_role("admin")
    sent = admin.post(
        "/settings/crops/cotton/stages", data={"mad:ripening": "0.5", "csrf": csrf_of(admin)}
    )
    assert sent.status_code == 404 and service.saved == []


def test_the_zones_rule_is_chosen_on_its_form(as_role: Any, service: PageService) -> None:
    admin = as_role("admin")
    zone = {"crop": "seed_corn", "planting_date": "2026-04-20", "mode": "et"}
    sent = admin.post(
        "/settings/zones/z1", data={**zone, "targets": "fao56", "csrf": csrf_of(admin)}
    )
    assert sent.status_code == 303
    assert service.saved[-1]["zones"]["z1"]["targets"] == "fao56"
    sent = admin.post(
        "/settings/zones/z1", data={**zone, "targets": "wild", "csrf": csrf_of(admin)}
    )
    assert sent.status_code == 422
    assert "z1：未知触发规则 “wild”" in html.unescape(sent.text)
    assert len(service.saved) == 1


def test_viewers_and_technicians_cannot_edit_the_periods(
    as_role: Any, service: PageService, store: Store
) -> None:
    for role in ("viewer", "technician"):
        client = as_role(role)
        page = client.get("/settings").text
        assert 'name="mad:ripening"' in page
        ripening = _rows(_table(page, "z1"))[4]
        assert "disabled" in ripening  # shown, not editable
        sent = client.post(STAGES, data={"mad:ripening": "0.7", "csrf": csrf_of(client)})
        assert sent.status_code == 403
    assert service.saved == []
    refused = [a for a in audit_rows(store) if a.action == "page.refused"]
    assert {a.detail["path"] for a in refused} == {STAGES}


def test_a_form_that_changes_no_period_says_so_and_saves_nothing(
    as_role: Any, service: PageService
) -> None:
    """Empty fields on periods at their default, the values they have, only a critical
    period's empty field, or no period at all: nothing to save, said with the reason."""
    admin = as_role("admin")
    unchanged = "制种玉米：未保存：表单中每个生育期的 MAD 都与现值相同"
    none = "制种玉米：未保存：表单中没有可修改 MAD 的生育期（字段 mad:<生育期>，取值 0.2 到 0.8"
    for form, said in [
        ({"mad:vegetative": "", "mad:ripening": ""}, unchanged),
        ({"mad:vegetative": "0.40", "mad:ripening": "0.65"}, unchanged),
        ({"mad:flowering": ""}, none),
        ({"mad": "0.5"}, none),
    ]:
        sent = admin.post(STAGES, data={**form, "csrf": csrf_of(admin)})
        assert sent.status_code == 422, form
        page = html.unescape(sent.text)
        assert said in page[page.index('id="settings-errors"') :], form
        assert "设置已保存并生效" not in page
    assert service.saved == []


def _value(page: str, form: str, field: str) -> str:
    start = page.index(f'id="{form}"')
    tag = re.search(rf'<input name="{field}"[^>]*>', page[start:])
    assert tag is not None, field
    found = re.search(r'value="([^"]*)"', tag[0])
    return "" if found is None else found[1]


def _chosen(page: str, form: str, field: str) -> str:
    start = page.index(f'id="{form}"')
    select = page[start:].split(f'name="{field}"', 1)[1].split("</select>", 1)[0]
    found = re.search(r'<option value="([^"]+)" selected', select)
    assert found is not None, field
    return found[1]


def test_a_refused_form_keeps_what_was_typed_and_saves_nothing(
    as_role: Any, service: PageService
) -> None:
    admin = as_role("admin")
    zone = {"crop": "cotton", "planting_date": "2026-04-31", "mode": "sensor"}
    zone |= {"mad_fraction": "0.9", "targets": "fao56", "csrf": csrf_of(admin)}
    sent = admin.post("/settings/zones/z1", data=zone)
    assert sent.status_code == 422
    page = html.unescape(sent.text)
    assert _value(page, "settings-z1", "planting_date") == "2026-04-31"
    assert _value(page, "settings-z1", "mad_fraction") == "0.9"
    chosen = [_chosen(page, "settings-z1", f) for f in ("crop", "mode", "targets")]
    assert chosen == ["cotton", "sensor", "fao56"]
    # a choice that is none is not kept: the zone's own stays selected
    zone |= {"mode": "<b>flood</b>", "planting_date": "2026-04-20", "mad_fraction": ""}
    raw = admin.post("/settings/zones/z1", data=zone).text
    assert "<b>flood" not in raw  # escaped wherever it is said
    assert _chosen(html.unescape(raw), "settings-z1", "mode") == "et"
    service.invalid = ["zones.z1.planting_date: after the harvest (site.overrides.toml)"]
    zone |= {"mode": "sensor", "planting_date": "2026-05-02"}
    page = html.unescape(admin.post("/settings/zones/z1", data=zone).text)  # the site check's
    assert "after the harvest" in page
    assert _value(page, "settings-z1", "planting_date") == "2026-05-02"
    service.invalid = []
    policy = {"probe_weight": "2", "rain_skip_mm": "6.5", "csrf": csrf_of(admin)}
    page = html.unescape(admin.post("/settings/policy", data=policy).text)
    start = page.index('name="probe_weight"')
    assert 'value="2"' in page[start : start + 200]
    start = page.index('name="rain_skip_mm"')
    assert 'value="6.5"' in page[start : start + 200]
    assert service.saved == []


def test_the_mad_fields_bounds_are_the_ones_the_page_checks(
    as_role: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zone's and a period's MAD field carry the range the page refuses outside of, from
    one constant, not numbers written in the template."""
    monkeypatch.setattr(settings_page, "MAD_RANGE", (0.25, 0.75))
    page = as_role("admin").get("/settings").text
    fields = re.findall(r'<input name="(mad_fraction|mad:[a-z_]+)" type="number"[^>]*>', page)
    bounds = re.findall(
        r'<input name="(?:mad_fraction|mad:[a-z_]+)" type="number" min="([^"]*)" max="([^"]*)"',
        page,
    )
    assert "mad_fraction" in fields and any(f.startswith("mad:") for f in fields)
    assert bounds and set(bounds) == {("0.25", "0.75")}, bounds
