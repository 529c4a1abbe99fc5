"""Settings kept in ``site.overrides.toml``: the file round-trips, "not set" is a removed key,
and the fertigation plan is replaced as a whole under the site file's checks."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest

from controller.config import overrides
from controller.config.site import ConfigError, SiteConfig, apply_overrides, load_site
from tests.helpers.site import DEMO_SITE, on_free_ports

PLAN = [
    {
        "label": "拔节肥 “第一次”",
        "zones": ["z1", "z2"],
        "date": dt.date(2026, 6, 1),
        "n_kg_mu": 1.5,
        "p2o5_kg_mu": 0.75,
    },
    {"label": "", "day_after_planting": 35, "k2o_kg_mu": 0.125},
    {
        "label": "EC 2.2",
        "zones": ["z3"],
        "day_after_planting": 50,
        "target_ec_ms_cm": 2.2,
        "tank": "urea",
    },
]


def test_the_fertigation_plan_round_trips_as_arrays_of_tables(tmp_path: Path) -> None:
    saved = {"fertigation": {"events": PLAN}, "zones": {"z1": {"mad_fraction": 0.45}}}
    overrides.save(tmp_path, saved)
    text = (tmp_path / overrides.OVERRIDES_FILE).read_text(encoding="utf-8")
    assert text.count("[[fertigation.events]]") == 3
    assert 'zones = ["z1", "z2"]' in text and "date = 2026-06-01" in text
    assert "拔节肥" in text  # written as text, not as \u escapes
    assert overrides.load(tmp_path) == saved
    assert tomllib.loads(text) == saved


def test_recipes_round_trip_with_their_doses_as_inline_tables(tmp_path: Path) -> None:
    recipe = {
        "name": "tassel",
        "stage": "大喇叭口期",
        "ec_ms_cm": 1.8,
        "doses": [{"channel": "N", "kg_mu": 2.0}, {"channel": "acid", "l_m3": 0.14}],
    }
    saved = {"fertigation": {"recipes": [recipe], "events": PLAN}}
    overrides.save(tmp_path, saved)
    text = (tmp_path / overrides.OVERRIDES_FILE).read_text(encoding="utf-8")
    assert 'doses = [{ channel = "N", kg_mu = 2.0 }, { channel = "acid", l_m3 = 0.14 }]' in text
    assert overrides.load(tmp_path) == saved


def test_an_empty_plan_is_kept_as_an_empty_list(tmp_path: Path) -> None:
    overrides.save(tmp_path, {"fertigation": {"events": []}})
    assert overrides.load(tmp_path) == {"fertigation": {"events": []}}


def test_none_removes_a_saved_key_and_empty_tables_go_with_it() -> None:
    saved = {"zones": {"z1": {"mad_fraction": 0.4}, "z2": {"mode": "et", "mad_fraction": 0.3}}}
    merged = overrides.merge(saved, {"zones": {"z1": {"mad_fraction": None}}})
    assert merged == {"zones": {"z2": {"mode": "et", "mad_fraction": 0.3}}}
    merged = overrides.merge(merged, {"zones": {"z2": {"mad_fraction": None, "mode": None}}})
    assert merged == {}
    assert overrides.merge({}, {"zones": {"z4": {"mad_fraction": None}}}) == {}
    # a list replaces the old one whole
    plan = overrides.merge({"fertigation": {"events": PLAN}}, {"fertigation": {"events": []}})
    assert plan == {"fertigation": {"events": []}}


def test_keys_that_are_not_bare_are_quoted(tmp_path: Path) -> None:
    text = overrides.dumps({"policy": {"odd key": 1}})
    assert tomllib.loads(text) == {"policy": {"odd key": 1}}


def test_the_plan_override_replaces_the_site_files_events(site: SiteConfig) -> None:
    assert site.fertigation is not None and len(site.fertigation.events) == 8
    changed = apply_overrides(site, {"fertigation": {"events": PLAN}})
    assert changed.fertigation is not None
    events = changed.fertigation.events
    assert [e.label for e in events] == [p["label"] for p in PLAN]
    assert events[0].zones == ["z1", "z2"] and events[0].date == dt.date(2026, 6, 1)
    assert events[2].tank == "urea" and events[2].target_ec_ms_cm == 2.2
    assert changed.fertigation.tanks == site.fertigation.tanks  # only the plan changes
    empty = apply_overrides(site, {"fertigation": {"events": []}})
    assert empty.fertigation is not None and empty.fertigation.events == []


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        (
            {"day_after_planting": 30, "date": dt.date(2026, 6, 1), "n_kg_mu": 1},
            "fertigation.events[0]: give exactly one of day_after_planting or date",
        ),
        ({"day_after_planting": 30}, "fertigation.events[0]: give n_kg_mu"),
        (
            {"day_after_planting": 30, "n_kg_mu": 1, "zones": ["z9"]},
            "fertigation.events[0].zones[0]: unknown zone 'z9'",
        ),
        (
            {"day_after_planting": 30, "target_ec_ms_cm": 9, "tank": "urea"},
            "fertigation.events[0].target_ec_ms_cm: 9 mS/cm exceeds safety.ec_max_ms_cm",
        ),
        (
            {"day_after_planting": 30, "target_ec_ms_cm": 2, "tank": "lime"},
            "fertigation.events[0].tank: unknown tank 'lime'",
        ),
        (
            {"day_after_planting": 500, "n_kg_mu": 1},
            "fertigation.events[0].day_after_planting: Input should be less than or equal to 366",
        ),
        (
            {"day_after_planting": 30, "n_kg_mu": 1, "valve": "relay1.ch1"},
            "fertigation.events[0].valve: unknown key",
        ),
    ],
)
def test_a_plan_is_checked_like_the_site_file(
    site: SiteConfig, event: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        apply_overrides(site, {"fertigation": {"events": [event]}})
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems
    assert all(p.endswith("(site.overrides.toml)") for p in caught.value.problems)


def test_a_nutrient_needs_a_tank_that_holds_it(tmp_path: Path, demo_site_text: str) -> None:
    text = re.sub(r'^  \{ name = "potash".*\n', "", on_free_ports(demo_site_text), flags=re.M)
    text = re.sub(r"^k2o_kg_mu = .*\n", "", text, flags=re.M)  # the site file's plan without K
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    site = load_site(tmp_path / "site.toml")
    event = {"day_after_planting": 30, "k2o_kg_mu": 1.0}
    with pytest.raises(ConfigError) as caught:
        apply_overrides(site, {"fertigation": {"events": [event]}})
    assert caught.value.problems == [
        "fertigation.events[0].k2o_kg_mu: no fertigation.tanks holds K2O (site.overrides.toml)"
    ]


def test_a_site_without_an_injector_has_no_plan_to_edit(tmp_path: Path) -> None:
    text = on_free_ports(DEMO_SITE.read_text(encoding="utf-8"))
    text = re.sub(r"^\[fertigation\].*?(?=^\[weather\])", "", text, flags=re.M | re.S)
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    site = load_site(tmp_path / "site.toml")
    assert site.fertigation is None
    with pytest.raises(ConfigError) as caught:
        apply_overrides(site, {"fertigation": {"events": []}})
    assert caught.value.problems == [
        "fertigation: the site file has no [fertigation] section (no injector): nothing to edit "
        "(site.overrides.toml)"
    ]


def test_mad_fraction_is_set_and_taken_back(site: SiteConfig) -> None:
    tuned = apply_overrides(site, {"zones": {"z1": {"mad_fraction": 0.35}}})
    assert tuned.zones[0].mad_fraction == 0.35
    with pytest.raises(ConfigError) as caught:
        apply_overrides(site, {"zones": {"z1": {"mad_fraction": 0.9}}})
    assert caught.value.problems[0].startswith("zones[0].mad_fraction: ")
    # "not set" is the key gone from the saved file: laid over the site file, the crop's p
    saved = overrides.merge(
        {"zones": {"z1": {"mad_fraction": 0.35}}}, {"zones": {"z1": {"mad_fraction": None}}}
    )
    assert apply_overrides(site, saved).zones[0].mad_fraction is None


def test_a_misspelt_key_names_the_editable_key_it_was_meant_to_be(site: SiteConfig) -> None:
    """As ``qanat check-config`` does for the site file; a key the site file knows but the
    pages may not set (``valve``) gets no hint, nor does one near only such keys."""
    with pytest.raises(ConfigError) as caught:
        apply_overrides(
            site,
            {
                "polcy": {"probe_weight": 0.5},
                "policy": {"probe_weigth": 0.5},
                "zones": {"z2": {"mad_fracton": 0.4, "valve": "relay1.ch8", "vavle": "x"}},
                "crops": {"seed_corn": {"stages": {"vegetative": {"mda": 0.5}}}},
            },
        )
    source = "(site.overrides.toml)"
    assert caught.value.problems == [
        f"polcy: not editable from the pages (did you mean 'policy'?) {source}",
        f"policy.probe_weigth: not editable from the pages (did you mean 'probe_weight'?) {source}",
        f"zones[1].mad_fracton: not editable from the pages (did you mean 'mad_fraction'?) "
        f"{source}",
        f"zones[1].valve: not editable from the pages {source}",
        f"zones[1].vavle: not editable from the pages {source}",
        f"crops.seed_corn.stages.vegetative.mda: not editable from the pages "
        f"(did you mean 'mad'?) {source}",
    ]
