"""The site check's problems and the crop observations' and soil samples' refusals in the
page's language: every coded problem has its message in both catalogs, filled with its
values; an uncoded one is shown as the check wrote it."""

from __future__ import annotations

import re

import pytest

from controller.config.dosing import MESSAGES
from controller.config.schema_problems import SCHEMA_TYPES
from controller.config.site import ConfigError, apply_overrides, load_site
from controller.config.site_messages import MESSAGES as SITE_MESSAGES
from controller.daemon.croprefusal import MESSAGES as REFUSALS
from controller.daemon.lookups import MESSAGES as LOOKUPS
from controller.errors import CodedProblem, ProblemsError
from controller.learning.samplerefusal import MESSAGES as SAMPLE_REFUSALS
from models.crops import TUNING_MESSAGES
from tests.helpers.site import DEMO_SITE
from web.i18n import LOCALES, catalog
from web.pages.site_problems import coded_problems, problem_text, site_problems


def assert_message_with_its_values(locale: str, key: str, english: str, *also: str) -> None:
    """The catalog of ``locale`` has message ``key``, and it uses only values the code's
    ``english`` gives (``{name}`` or ``{name:spec}``) and ``also``: the page fills it from
    the values that come with the code, so any other placeholder would fail to format."""
    message = catalog(locale).get(key)
    assert message is not None, f"{locale}: no message {key}"
    given = set(re.findall(r"\{(\w+)", english)) | set(also)
    used = set(re.findall(r"\{(\w+)\}", message))
    assert used <= given, f"{locale}: {key} uses {sorted(used - given)}, not given"


@pytest.mark.parametrize("locale", sorted(LOCALES))
@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_dosing_problem_has_a_message_with_its_values(locale: str, code: str) -> None:
    # the site check names the recipe whether or not its English does (the path does)
    assert_message_with_its_values(locale, f"site_check.dosing.{code}", MESSAGES[code], "recipe")


@pytest.mark.parametrize("locale", sorted(LOCALES))
@pytest.mark.parametrize("code", sorted(SITE_MESSAGES))
def test_every_zone_plan_and_crop_problem_has_a_message_with_its_values(
    locale: str, code: str
) -> None:
    # every problem of a zone names it, whether or not its English does (the path does)
    also = ("zone",) if code.startswith("zone.") else ()
    assert_message_with_its_values(locale, f"site_check.{code}", SITE_MESSAGES[code], *also)


@pytest.mark.parametrize("locale", sorted(LOCALES))
@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_every_crop_observation_refusal_has_a_message_with_its_values(
    locale: str, code: str
) -> None:
    assert_message_with_its_values(locale, f"phenology.refusal.{code}", REFUSALS[code])


@pytest.mark.parametrize("locale", sorted(LOCALES))
@pytest.mark.parametrize("code", sorted(SAMPLE_REFUSALS))
def test_every_soil_sample_refusal_has_a_message_with_its_values(locale: str, code: str) -> None:
    assert_message_with_its_values(locale, f"probes.refusal.{code}", SAMPLE_REFUSALS[code])


def test_coded_problems_are_translated_and_the_others_shown_as_written() -> None:
    coded_line = "fertigation.recipes[0].ph: 9 is outside ... (site.toml)"
    other_line = "zones[0].crop: unknown crop 'kale' (site.toml)"
    values = {"recipe": "rig", "ph": "9", "ph_min": "4.5", "ph_max": "8"}
    exc = ProblemsError(
        [coded_line, other_line], coded=[CodedProblem(coded_line, "dosing.ph_outside", values)]
    )
    assert site_problems("zh-CN", exc) == [
        "站点校验未通过：配方「rig」：pH 设定值 9 超出安全范围 4.5–8。",
        f"站点校验未通过：{other_line}",
    ]
    assert site_problems("en", exc)[0] == (
        "Site check failed: Recipe rig: pH setpoint 9 is outside the safety range 4.5–8."
    )


@pytest.mark.parametrize("locale", sorted(LOCALES))
@pytest.mark.parametrize("kind", sorted(SCHEMA_TYPES))
def test_every_schema_problem_has_a_message_naming_its_field(locale: str, kind: str) -> None:
    message = catalog(locale).get(f"site_check.schema.{kind}")
    assert message is not None
    used = set(re.findall(r"\{(\w+)\}", message))
    assert "field" in used
    assert used <= {"field", "gt", "ge", "lt", "le", "min_length", "max_length", "expected"}


def test_a_schema_problem_is_said_in_the_page_language_naming_the_field() -> None:
    line = "zones[1].area_mu: Input should be less than or equal to 100000 (site.toml)"
    values = {"field": "zones.z2.area_mu", "zone": "z2", "le": "100000"}
    exc = ProblemsError([line], coded=[CodedProblem(line, "schema.less_than_equal", values)])
    assert site_problems("zh-CN", exc) == ["站点校验未通过：zones.z2.area_mu不能大于 100000。"]
    assert site_problems("en", exc) == [
        "Site check failed: zones.z2.area_mu must be at most 100000."
    ]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "zh-CN",
            [
                "地块 z1 的灌溉触发点 MAD（根区亏缺占 TAW 的比例，0.2–0.8）不能大于 0.8。",
                "地块 z1 的田间持水量 (m³/m³)不能大于 0.6。",
                "地块 z1 的Kc 修正系数不能大于 1.3。",
                "zones.z1.cold_kc须是 true 或 false。",
                "探头权重（0–1，土壤探头对水量平衡的修正比例）不能大于 1。",
            ],
        ),
        (
            "en",
            [
                "Irrigation trigger MAD (root-zone depletion as a share of TAW, 0.2–0.8) of zone"
                " z1 must be at most 0.8.",
                "Field capacity (m³/m³) of zone z1 must be at most 0.6.",
                "Kc factor of zone z1 must be at most 1.3.",
                "zones.z1.cold_kc must be true or false.",
                "Probe weight (0–1: how much the soil probes correct the water balance) must be"
                " at most 1.",
            ],
        ),
    ],
)
def test_a_schema_problem_names_a_form_field_by_its_label_and_any_other_by_its_path(
    locale: str, expected: list[str]
) -> None:
    zone = {"mad_fraction": 0.9, "soil_fc_m3m3": 0.7, "kc_factor": 2.0, "cold_kc": "sometimes"}
    with pytest.raises(ConfigError) as caught:
        apply_overrides(
            load_site(DEMO_SITE), {"zones": {"z1": zone}, "policy": {"probe_weight": 2}}
        )
    exc = caught.value
    coded = coded_problems(exc)
    assert [problem_text(locale, p, coded) for p in exc.problems] == expected
    # the site file's lines (the CLI's and the API's) keep the key path
    assert [p.split(":", 1)[0] for p in exc.problems] == [
        "zones[0].mad_fraction",
        "zones[0].soil_fc_m3m3",
        "zones[0].kc_factor",
        "zones[0].cold_kc",
        "policy.probe_weight",
    ]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "zh-CN",
            [
                "地块 z1 的灌溉模式须是 'et'、'sensor'、'calendar' 或 'manual' 之一。",
                "作物 制种玉米 的拔节期 MAD不能大于 0.8。",
            ],
        ),
        (
            "en",
            [
                "Irrigation mode of zone z1 must be one of 'et', 'sensor', 'calendar' or 'manual'.",
                "MAD of crop seed corn, period vegetative must be at most 0.8.",
            ],
        ),
    ],
)
def test_a_list_of_choices_and_a_crop_periods_mad_are_said_in_the_page_language(
    locale: str, expected: list[str]
) -> None:
    """pydantic's "or" joins the allowed values in the page's language; a period's MAD key
    path names the crop and the period as the crop form does."""
    with pytest.raises(ConfigError) as caught:
        apply_overrides(
            load_site(DEMO_SITE),
            {
                "zones": {"z1": {"mode": "timer"}},
                "crops": {"seed_corn": {"stages": {"vegetative": {"mad": 2}}}},
            },
        )
    exc = caught.value
    coded = coded_problems(exc)
    assert [problem_text(locale, p, coded) for p in exc.problems] == expected
    assert exc.problems[1].startswith("crops.seed_corn.stages.vegetative.mad:")  # the file's


@pytest.mark.parametrize("locale", sorted(LOCALES))
@pytest.mark.parametrize("code", sorted(TUNING_MESSAGES))
def test_every_refused_period_tuning_has_a_message_with_its_values(locale: str, code: str) -> None:
    english = TUNING_MESSAGES[code]  # the page names the crop and the period as it shows them
    assert_message_with_its_values(locale, f"site_check.crops.{code}", english, "crop", "period")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "zh-CN",
            "站点校验未通过：制种玉米的抽雄吐丝期是关键期：触发点固定为 FAO-56 的 p（不亏缺），"
            "其 MAD 不能调整。",
        ),
        (
            "en",
            "Site check failed: Crop seed corn, period flowering: a critical period; its trigger "
            "is held to FAO-56 p (no deficit), its MAD is not tunable.",
        ),
    ],
)
def test_a_period_tuning_the_crop_library_refuses_is_said_naming_crop_and_period(
    locale: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        apply_overrides(
            load_site(DEMO_SITE), {"crops": {"seed_corn": {"stages": {"flowering": {"mad": 0.5}}}}}
        )
    assert site_problems(locale, caught.value) == [expected]


@pytest.mark.parametrize("locale", sorted(LOCALES))
@pytest.mark.parametrize("code", sorted(LOOKUPS))
def test_every_lookup_that_found_nothing_has_a_message_with_its_values(
    locale: str, code: str
) -> None:
    assert_message_with_its_values(locale, f"lookup.{code}", LOOKUPS[code])


def _misspelt(key: str) -> ConfigError:
    """The demo site's first fertigation event saved from the settings page with its
    ``n_kg_mu`` written as ``key``: the site check's error."""
    site = load_site(DEMO_SITE)
    events = site.model.model_dump(mode="json")["fertigation"]["events"]
    events[0][key] = events[0].pop("n_kg_mu")
    with pytest.raises(ConfigError) as caught:
        apply_overrides(site, {"fertigation": {"events": events}})
    return caught.value


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("zh-CN", "fertigation.events[0].n_kg：没有这一项（是不是想写 'n_kg_mu'？）。"),
        ("en", "fertigation.events[0].n_kg: there is no such setting (did you mean 'n_kg_mu'?)."),
    ],
)
def test_a_misspelt_key_names_the_key_it_was_meant_to_be_as_the_cli_does(
    locale: str, expected: str
) -> None:
    exc = _misspelt("n_kg")
    line = next(p for p in exc.problems if ".n_kg:" in p)
    assert "(did you mean 'n_kg_mu'?)" in line  # the site file's line, as check-config says
    assert problem_text(locale, line, coded_problems(exc)) == expected


def test_an_unknown_key_near_none_is_only_unknown() -> None:
    exc = _misspelt("colour")
    line = next(p for p in exc.problems if ".colour:" in p)
    assert problem_text("zh-CN", line, coded_problems(exc)) == (
        "fertigation.events[0].colour：没有这一项。"
    )
