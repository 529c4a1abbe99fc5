"""The leaching the season's salt needs, on the zone page (zh and en) and in the site's
savings panel: the ledger's figures with the numbers they rest on."""

from __future__ import annotations

import dataclasses
from typing import Any

from controller.agronomy.salt import ZoneSalt
from tests.helpers.pages import PageService, csrf_of

SALT = ZoneSalt(
    zone="z1",
    ec_water_ds_m=0.6,
    ec_water_source="site",
    ece_threshold_ds_m=1.7,
    leaching_requirement=0.6 / 7.9,
    season_water_mm=360.0,
    drainage_mm=4.0,
    fc_water_mm=290.0,
    ece_start_ds_m=0.9,
    ece_now_ds_m=1.95,
    salt_in_g_m2=138.2,
    salt_out_g_m2=3.0,
    leaching_mm=26.4,
    leaching_m3_per_mu=17.6,
    ec_meter_ds_m=0.64,
)


def _salted(service: PageService, salt: ZoneSalt | None = SALT) -> None:
    report = service.savings()
    zones = [dataclasses.replace(z, salt=salt, leaching_m3_per_mu=17.6) for z in report.zones]
    salted = dataclasses.replace(report, zones=zones, leaching_m3_per_mu=17.6)
    service.savings = lambda: salted  # type: ignore[method-assign]


def test_zone_page_states_the_leaching_needed_with_its_numbers(
    as_role: Any, service: PageService
) -> None:
    _salted(service)
    viewer = as_role("viewer")
    page = viewer.get("/zones/z1").text
    salt = page[page.index('id="zone-salt"') :]
    assert "季后需淋洗水量: 26 mm (18 m³/亩)" in salt
    assert "灌溉水电导率 0.60 dS/m (站点配置)" in salt and "淋洗需求 0.076" in salt
    assert "本季用水 360 mm" in salt and "深层渗漏 4 mm" in salt
    assert "ECe) 现为 1.95 dS/m, 作物耐盐阈值 1.7 dS/m" in salt and "已超过阈值" in salt
    assert "电导率仪在清水灌溉时实测 0.64 dS/m" in salt
    viewer.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(viewer)})
    page = viewer.get("/zones/z1").text
    assert "Leaching needed after the season: 26 mm (18 m³/mu)" in page
    assert "water EC 0.60 dS/m (site file), leaching requirement 0.076 (FAO-29)" in page
    assert "root-zone ECe now 1.95 dS/m, the crop&#39;s threshold 1.7 dS/m" in page


def test_site_panel_shows_the_leaching_and_nothing_without_a_salt_balance(
    as_role: Any, service: PageService
) -> None:
    viewer = as_role("viewer")
    assert 'id="leaching-per-mu"' not in viewer.get("/").text
    assert 'id="zone-salt"' not in viewer.get("/zones/z1").text
    _salted(service)
    assert 'id="leaching-per-mu">18 m³/亩<' in viewer.get("/").text


def test_a_zone_whose_leaching_could_not_be_computed_says_why(
    as_role: Any, service: PageService
) -> None:
    _salted(service, dataclasses.replace(SALT, problem="leaching: need 0 <= ECw < 5 ECe"))
    page = as_role("viewer").get("/zones/z1").text
    assert "未能计算淋洗水量: leaching: need 0 &lt;= ECw &lt; 5 ECe" in page
