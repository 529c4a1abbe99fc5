"""``[[fertigation.channels]]`` and ``[[fertigation.recipes]]``: loaded, cross-checked, named."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.config.site import load_site
from controller.runtime.dosing import single_injector_of
from controller.runtime.runs import RecipeError
from tests.helpers.dosing import channel_only, channel_site_text
from tests.helpers.site import DEMO_SITE
from tests.helpers.sitefile import load_text, problems_of


def test_single_tank_demo_site_has_no_channels_and_no_new_outputs() -> None:
    site = load_site(DEMO_SITE)
    assert site.fertigation is not None
    assert site.fertigation.channels == []
    assert not [r for r in site.output_roles() if r.startswith("dosing:")]


def test_channel_site_loads_with_a_leased_output_per_channel(tmp_path: Path) -> None:
    site = load_text(tmp_path, channel_site_text())
    f = site.fertigation
    assert f is not None
    assert [(c.name, c.kind) for c in f.channels] == [
        ("N", "fertilizer"),
        ("P", "fertilizer"),
        ("K", "fertilizer"),
        ("acid", "acid"),
    ]
    roles = site.output_roles()
    assert roles["dosing:acid"].device == "relay2"
    assert roles["dosing:N"].point == "ch1"
    assert f.recipes[0].ph == 6.3


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        (
            ('injector = "dose_p"', 'injector = "dose_n"'),
            "channels[1].injector: channel 'P': injector 'dose_n' already doses channel 'N'",
        ),
        (
            ('injector = "dose_k"', 'injector = "flow1"'),
            "fertigation.channels[2].injector: device 'flow1' is a flow_meter, expected injector",
        ),
        (('power = "relay2.ch4"', 'power = "relay2.ch1"'), "fertigation.channels[3].power"),
        (
            ('name = "P"\nkind', 'name = "N"\nkind'),
            "fertigation.channels[1].name: channel 'N' is named twice",
        ),
        (
            ('{ channel = "K", l_mu', '{ channel = "Kx", l_mu'),
            "fertigation.recipes[0].doses[2].channel: recipe 'jointing': unknown channel 'Kx'",
        ),
        (
            ("stock_kg_l = 0.25\n", ""),
            "fertigation.recipes[0].doses[1].kg_mu: channel 'P' has no stock_kg_l",
        ),
        (
            ('{ channel = "acid", l_m3 = 0.14 }', '{ channel = "acid", l_mu = 0.14 }'),
            "fertigation.recipes[0].doses[3]: acid channel 'acid' is dosed in l_m3",
        ),
        (
            ("ph = 6.3\n", "ph = 8.5\n"),
            "fertigation.recipes[0].ph: 8.5 is outside safety.ph_min..ph_max",
        ),
        (
            ("ph = 6.3\n", ""),
            "fertigation.recipes[0].ph: recipe 'jointing' doses acid: give its pH setpoint",
        ),
        (
            ("ec_ms_cm = 1.6\n", "ec_ms_cm = 0.5\n"),
            "fertigation.recipes[0].ec_ms_cm: 0.5 is not above source_ec_ms_cm 0.6",
        ),
        (
            ("ec_ms_cm = 1.6\n", "ec_ms_cm = 9.0\n"),
            "fertigation.recipes[0].ec_ms_cm: 9 exceeds safety.ec_max_ms_cm",
        ),
        (("source_ph = 8.0\n", ""), "fertigation.loop.source_ph: acid channel 'acid' needs it"),
        (
            ("source_ph = 8.0\n", "source_ph = 8.5\n"),
            "fertigation.loop.source_ph: 8.5 is not below safety.ph_max 8.5",
        ),
        (('kind = "acid"', 'kind = "base"'), "fertigation.channels[3].kind"),
        (
            (
                'max_run_min = 90\n\n[[fertigation.channels]]\nname = "P"',
                'max_run_min = 0\n\n[[fertigation.channels]]\nname = "P"',
            ),
            "fertigation.channels[0].max_run_min",
        ),
        (
            ('{ channel = "N", kg_mu = 1.5 }', '{ channel = "N", kg_mu = 1.5, l_mu = 3.0 }'),
            "give exactly one of kg_mu, l_mu, l_m3",
        ),
    ],
)
def test_bad_channel_or_recipe_is_refused_naming_it(
    tmp_path: Path, replace: tuple[str, str], expected: str
) -> None:
    found = problems_of(tmp_path, channel_site_text(replace=replace))
    assert any(expected in p for p in found), found


def test_two_acid_channels_and_a_missing_loop_are_refused(tmp_path: Path) -> None:
    text = channel_site_text(
        replace=('kind = "fertilizer"\ninjector = "dose_k"', 'kind = "acid"\ninjector = "dose_k"')
    )
    text = text.replace(
        "[fertigation.loop]\nline_volume_l = 150\nmixing_tau_s = 20\nsource_ph = 8.0\n", ""
    )
    found = problems_of(tmp_path, text)
    assert any("fertigation.channels: one acid channel, not 2" in p for p in found), found
    assert any("fertigation.loop: channels need" in p for p in found), found


def test_channel_site_needs_no_single_injector(tmp_path: Path) -> None:
    site = load_text(tmp_path, channel_only(channel_site_text()))
    f = site.fertigation
    assert f is not None
    assert (f.injector, f.injector_power, f.tanks) == (None, None, [])
    assert not f.injector_modbus_via_supply and not any(c.modbus_via_supply for c in f.channels)
    assert "injector_power" not in site.output_roles()
    assert [e.recipe for e in f.events] == ["jointing"]
    with pytest.raises(RecipeError, match=r"fertigation\.injector"):
        single_injector_of(site)


KG_EVENT = "\n[[fertigation.events]]\ndate = 2026-07-01\nn_kg_mu = 1\n"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # neither channels nor the single injector: nothing would dose
        (
            lambda t: t.split("[fertigation.loop]")[0].replace(
                'injector = "doser1"\ninjector_power = "relay1.ch5"', ""
            ),
            "fertigation.injector: nothing doses: give injector and injector_power",
        ),
        (
            lambda t: t.replace('injector_power = "relay1.ch5"', ""),
            "fertigation.injector_power: the injector 'doser1' needs its supply",
        ),
        (
            lambda t: t.replace('injector = "doser1"\n', ""),
            "fertigation.injector: injector_power is given: name the injector it feeds",
        ),
        (
            lambda t: channel_only(t).replace(
                "[fertigation]\n", "[fertigation]\ninjector_modbus_via_supply = true\n", 1
            ),
            "fertigation.injector_modbus_via_supply: true without fertigation.injector",
        ),
        (
            lambda t: t.replace('injector = "dose_k"', 'injector = "doser1"'),
            "fertigation.channels[2].injector: 'doser1' is also fertigation.injector",
        ),
        (
            lambda t: (
                channel_only(t) + "\n[[fertigation.events]]\ndate = 2026-07-01\nn_kg_mu = 1\n"
            ),
            "fertigation.events[1]: a kg or target-EC event needs the single injector",
        ),
    ],
)
def test_single_injector_problems_name_the_key(
    tmp_path: Path, change: object, expected: str
) -> None:
    assert callable(change)
    found = problems_of(tmp_path, change(channel_site_text()))
    assert any(expected in p for p in found), found


def test_channel_site_without_injector_refuses_tanks(tmp_path: Path) -> None:
    text = channel_only(channel_site_text()).replace(
        'ph_meter = "ph1"\n',
        'ph_meter = "ph1"\ntanks = [{ name = "urea", level = "tank_n", nutrient = "N", '
        "concentration_kg_m3 = 200, area_m2 = 1.13 }]\n",
    )
    found = problems_of(tmp_path, text)
    assert any("fertigation.tanks: tanks feed the single injector" in p for p in found), found
