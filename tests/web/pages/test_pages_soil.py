"""The soil page: the evidence (curves, before/after with uncertainty) for every role, the
approval for an admin only, and a fit replaced since it was shown refused by name."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

import pytest

from controller.daemon.protocol import ControlRefused, SettingsInvalid
from tests.helpers.fakes import SOIL_FITTED_AT, dry_down
from tests.helpers.pages import PageService, csrf_of, in_language


def _approve(client: Any, fitted_at: str, zone: str = "z1") -> Any:
    data = {"csrf": csrf_of(client, "/soil"), "fitted_at": fitted_at}
    r = client.post(
        f"/soil/{zone}/approve", data=data, headers={"referer": "http://127.0.0.1:8080/soil"}
    )
    assert r.status_code == 303, r.text
    return client.get(r.headers["location"])


def test_every_role_sees_the_evidence_and_only_an_admin_the_approval(as_role: Any) -> None:
    for role in ("viewer", "technician"):
        page = as_role(role).get("/soil")
        assert page.status_code == 200
        assert 'id="soil-table-z1"' in page.text and 'id="soil-approve-z1"' not in page.text
        assert "拟合需由管理员批准" in page.text
    page = as_role("admin").get("/soil").text
    assert 'id="soil-approve-z1"' in page and f'value="{SOIL_FITTED_AT}"' in page
    assert page.count('class="fit"') >= 3 and page.count('class="probe"') >= 27  # 3 curves
    assert "101 ± 9" in page and "1.08 ± 0.05" in page and "0.205 ± 0.010" in page
    assert "130" in page  # TAW before
    assert 'id="soil-approve-z2"' not in page and "尚无拟合" in page  # z2: no proposal
    # the Kc correction by its name in the page's language, not the site file's key
    assert "Kc 修正系数" in page and "kc_factor" not in page


def test_an_admin_approves_the_fit_shown(as_role: Any, service: PageService) -> None:
    admin = as_role("admin")
    shown = _approve(admin, SOIL_FITTED_AT)
    assert "z1：已批准" in shown.text and "Kc 修正系数 1.08" in shown.text
    ((_, args),) = [c for c in service.calls if c[0] == "approve_soil"]
    assert args["actor"] == "ada" and args["fitted_at"].isoformat() == SOIL_FITTED_AT


@pytest.mark.parametrize(
    ("lang", "no_time", "replaced", "no_fit"),
    [
        (
            "zh-CN",
            "未批准：拟合时间“{}”不是带 UTC 时差的时间（如 2026-07-01T17:40:00+00:00）",
            "未批准：所示拟合已被更新的拟合取代：请先查看再批准",
            "未批准：没有可批准的土壤拟合",
        ),
        (
            "en",
            "Not approved: the fit’s time “{}” is not a time with its UTC offset",
            "Not approved: the fit shown was replaced by a newer one",
            "Not approved: there is no soil fit to approve",
        ),
    ],
)
def test_a_replaced_fit_or_bad_time_is_not_approved_and_says_why(
    as_role: Any, service: PageService, lang: str, no_time: str, replaced: str, no_fit: str
) -> None:
    admin = as_role("admin")
    if lang == "en":
        _english(admin)
    assert replaced in html.unescape(_approve(admin, "2026-06-30T17:40:00+00:00").text)
    for sent in ("9999-99-99", "yesterday", "2026-07-01T17:40:00"):  # the last: no offset
        assert no_time.format(sent) in html.unescape(_approve(admin, sent).text), sent
    assert no_time.format("—") in html.unescape(_approve(admin, "").text)
    assert no_fit in html.unescape(_approve(admin, SOIL_FITTED_AT, zone="z2").text)
    assert len([c for c in service.calls if c[0] == "approve_soil"]) == 2  # both refused


def test_the_page_speaks_english_too(as_role: Any) -> None:
    admin = as_role("admin")
    admin.post("/lang", data={"csrf": csrf_of(admin, "/soil"), "lang": "en", "next": "/soil"})
    page = admin.get("/soil").text
    assert "Soil from dry-downs" in page and "Approve this fit" in page
    assert "In use: loam" in page
    assert "Kc factor" in page and "kc_factor" not in page


def _refused_by_the_site_check(
    as_role: Any, service: PageService, overrides: dict[str, float], lang: str
) -> str:
    service.validated = True
    service.soil_proposals["z1"]["overrides"] = overrides
    admin = as_role("admin")
    admin.post("/lang", data={"csrf": csrf_of(admin, "/soil"), "lang": lang, "next": "/soil"})
    page = _approve(admin, SOIL_FITTED_AT).text
    assert [c for c in service.calls if c[0] == "apply_settings"] == []  # nothing saved
    return page


def test_fitted_values_the_schema_refuses_are_named_in_chinese(
    as_role: Any, service: PageService
) -> None:
    fit = {"soil_fc_m3m3": 0.65, "soil_wp_m3m3": 0.1, "kc_factor": 1.0}
    page = _refused_by_the_site_check(as_role, service, fit, "zh-CN")
    assert "未批准：地块 z1 的田间持水量 (m³/m³)不能大于 0.6。" in page
    assert "soil_fc_m3m3" not in page
    assert "Input should be" not in page


def test_fitted_values_the_schema_refuses_are_named_in_english(
    as_role: Any, service: PageService
) -> None:
    fit = {"soil_fc_m3m3": 0.2, "soil_wp_m3m3": 0.19, "kc_factor": 1.0}
    page = _refused_by_the_site_check(as_role, service, fit, "en")
    assert (
        "Zone z1: field capacity 0.2 must exceed the wilting point 0.19 by at least 0.02 m³/m³."
        in page
    )


# -- a calibration dry-down ---------------------------------------------------------------------


def _ask(client: Any, fraction: str, zone: str = "z1") -> Any:
    data = {"csrf": csrf_of(client, "/soil"), "fraction": fraction}
    r = client.post(
        f"/soil/{zone}/dry-down", data=data, headers={"referer": "http://127.0.0.1:8080/soil"}
    )
    assert r.status_code == 303, r.text
    return client.get(r.headers["location"])


def _refused(client: Any, fraction: str, zone: str = "z1") -> str:
    """A refused dry-down: the page again (422), not a redirect that loses what was typed."""
    data = {"csrf": csrf_of(client, "/soil"), "fraction": fraction}
    r = client.post(
        f"/soil/{zone}/dry-down", data=data, headers={"referer": "http://127.0.0.1:8080/soil"}
    )
    assert r.status_code == 422, r.text
    return html.unescape(r.text)


def _english(client: Any) -> None:
    client.post("/lang", data={"csrf": csrf_of(client, "/soil"), "lang": "en", "next": "/soil"})


def test_an_admin_asks_for_a_dry_down_and_sees_it_requested(
    as_role: Any, service: PageService
) -> None:
    viewer = as_role("viewer").get("/soil").text
    assert "未申请标定落干。" in viewer and 'id="soil-dry-down-form-z1"' not in viewer
    admin = as_role("admin")
    assert 'id="soil-dry-down-form-z1"' in admin.get("/soil").text
    shown = _ask(admin, "0.75").text
    assert "z1：已申请一次标定落干，亏缺到 TAW 的 75%。" in shown
    assert "已申请：亏缺到 TAW 的 75%" in shown and "目标 78 mm" in shown
    ((_, args),) = [c for c in service.calls if c[0] == "request_dry_down"]
    assert args == {"zone": "z1", "fraction": 0.75, "actor": "ada"}


def test_the_page_shows_a_hold_and_its_end_in_english(as_role: Any, service: PageService) -> None:
    service.dry_downs["z1"] = dry_down(0.8, "holding")
    service.dry_downs["z2"] = dry_down(0.8, "done")
    admin = as_role("admin")
    _english(admin)
    page = admin.get("/soil").text
    assert "Holding the refill since 2026-06-28: Dr now 41 mm, target 83 mm (80% of TAW)." in page
    assert "Done on 2026-07-03: Dr 84 of 83 mm (80% of TAW) reached." in page
    assert "up to about 12 points of yield" in page


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh-CN", "未申请：要达到的亏缺（TAW 的比例）必须是 0.6 到 0.85 之间的数，而不是“{}”。"),
        (
            "en",
            "Not asked: Depletion to reach (fraction of TAW)"
            " must be a number from 0.6 to 0.85, not “{}”.",
        ),
    ],
)
def test_a_fraction_not_a_number_or_out_of_range_is_refused_by_its_label_and_range(
    as_role: Any, service: PageService, lang: str, said: str
) -> None:
    admin = as_role("admin")
    if lang == "en":
        _english(admin)
    for sent in ("0.9", "5", "lots", "nan", "0.5"):
        shown = _refused(admin, sent)
        (over_form,) = re.findall(r'id="soil-dry-down-refused-z1">([^<]*)<', shown)
        assert said.format(sent) in over_form, sent
        assert f'name="fraction" min="0.6" max="0.85" step="0.05" value="{sent}"' in shown
        assert "calibration_dry_down" not in shown and "500%" not in shown
    assert [c for c in service.calls if c[0] == "request_dry_down"] == []
    form = admin.get("/soil").text
    assert 'name="fraction" min="0.6" max="0.85"' in form


def test_a_dry_down_the_box_refuses_comes_back_with_why_and_the_fraction_typed(
    as_role: Any, service: PageService
) -> None:
    admin = as_role("admin")
    service.refuse = ControlRefused(
        "z1: a calibration dry-down holds only an et zone's trigger (this zone's mode is sensor)",
        "dry_down_et_only",
    )
    shown = _refused(admin, "0.7")
    (over_form,) = re.findall(r'id="soil-dry-down-refused-z1">([^<]*)<', shown)
    assert over_form.startswith("未申请：标定落干只适用于按蒸散规则灌溉的轮灌区")
    # the language switch of a page answered to a POST goes to a page a GET can show
    (back,) = re.findall(r'name="next" value="([^"]*)"', shown)
    assert admin.get(back).status_code == 200, back
    assert 'step="0.05" value="0.7"' in shown
    assert 'id="soil-dry-down-refused-z2"' not in shown  # over the zone asked only
    service.refuse = None
    shown = _refused(admin, "0.7", zone="z9")  # no such zone: said over the page
    (said,) = re.findall(r'id="soil-dry-down-refused">([^<]*)<', shown)
    assert "z9" in said


def test_the_fake_service_refuses_the_fraction_the_site_check_refuses(
    service: PageService,
) -> None:
    with pytest.raises(SettingsInvalid, match="calibration_dry_down"):
        service.request_dry_down("z1", 5.0, "ada")
    assert service.request_dry_down("z1", 0.85, "ada")["fraction"] == 0.85


def _withdraw(client: Any, zone: str = "z1") -> Any:
    data = {"csrf": csrf_of(client, "/soil")}
    r = client.post(
        f"/soil/{zone}/dry-down/withdraw",
        data=data,
        headers={"referer": "http://127.0.0.1:8080/soil"},
    )
    assert r.status_code == 303, r.text
    return client.get(r.headers["location"])


def test_an_admin_withdraws_a_hold_and_the_button_goes(as_role: Any, service: PageService) -> None:
    service.dry_downs["z1"] = dry_down(0.8, "holding")
    assert 'id="soil-dry-down-withdraw-z1"' not in as_role("viewer").get("/soil").text
    admin = as_role("admin")
    page = admin.get("/soil").text
    assert 'id="soil-dry-down-withdraw-z1"' in page
    assert 'id="soil-dry-down-withdraw-z2"' not in page  # nothing asked there
    shown = _withdraw(admin).text
    assert "z1：已撤回标定落干，恢复常规规则。" in shown
    assert 'id="soil-dry-down-withdraw-z1"' not in shown  # done: nothing left to withdraw
    ((_, args),) = [c for c in service.calls if c[0] == "withdraw_dry_down"]
    assert args == {"zone": "z1", "actor": "ada"}
    _english(admin)
    again = _withdraw(admin).text
    assert "Not withdrawn: no calibration dry-down is asked or holding in this zone" in again


def test_a_zone_not_watered_by_the_et_rule_is_offered_no_dry_down(
    as_role: Any, service: PageService
) -> None:
    service.zones_by_name["z2"] = replace(service.zones_by_name["z2"], mode="sensor")
    page = as_role("admin").get("/soil").text
    assert 'id="soil-dry-down-form-z1"' in page and 'id="soil-dry-down-form-z2"' not in page
    assert 'id="soil-dry-down-et-only-z2"' in page
    assert "标定落干只适用于按蒸散规则灌溉的轮灌区（模式 et）" in page


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "zh-CN",
            "本站未启用土壤拟合：如需启用，请在站点文件的 [learning.soil] 下设置 enabled = true。",
        ),
        ("en", "to turn it on, set enabled = true under [learning.soil] in the site file."),
    ],
)
def test_a_site_without_the_soil_fit_is_told_how_to_turn_it_on(
    as_role: Any, service: PageService, lang: str, said: str
) -> None:
    """The setting named with the value that turns the fit on: ``([learning.soil] enabled)``
    read as though it were on."""
    fit = service.soil_fit
    service.soil_fit = lambda zone: {**fit(zone), "enabled": False}  # type: ignore[method-assign]
    page = in_language(as_role("viewer"), lang).get("/soil").text
    assert said in html.unescape(page)
