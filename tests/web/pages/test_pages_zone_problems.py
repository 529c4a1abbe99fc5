"""A zone edit the whole-site check refuses, over the daemon's own service: the settings
page says why in its language (a Chinese page shows none of the check's English), while
``qanat check-config`` keeps the site file's English, word for word."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.cli import main
from controller.config import overrides
from tests.helpers.livepages import LiveSite, page_clients
from tests.helpers.pages import csrf_of
from tests.helpers.site import quick_site

# z1 keeps its crop by degree days; the first event doses z1 and z2 by name; a dated event
# doses z1 on 1 June (day 25 after planting, the first event's, if z1 is sown on 7 May).
FIRST_EVENT = 'label = "苗期 (拔节前)"\n'
DATED_EVENT = (
    '[[fertigation.events]]\nlabel = "六一"\nzones = ["z1"]\ndate = 2026-06-01\nn_kg_mu = 0.5\n\n'
)
ZONE = {"crop": "seed_corn", "planting_date": "2026-04-20", "mode": "et", "mad_fraction": ""}

# (the zone form's change, the Chinese page's problem, the English page's, the site file's)
PROBLEMS = [
    (
        {"mode": "manual"},
        "站点校验未通过：地块 z1 是手动模式：施肥计划无法给它安排灌溉。",
        "Site check failed: Zone z1 is in manual mode: the plan cannot run it.",
        "fertigation.events[0].zones[0]: zone 'z1' is manual: no run is planned",
    ),
    (
        {"crop": "cotton"},
        "站点校验未通过：地块 z1：积温作物日历只适用于玉米，不适用于棉花。",
        "Site check failed: Zone z1: the degree-day crop clock is for maize only, not cotton.",
        "zones[0].crop_clock: 'gdd' needs a maize crop (seed_corn, maize_grain), not 'cotton'",
    ),
    (
        {"planting_date": "2026-05-07"},
        "站点校验未通过：地块 z1 在 2026-06-01 已有另一次施肥。",
        "Site check failed: Zone z1 already has another fertigation event on 2026-06-01.",
        "fertigation.events[8]: zone 'z1' already has fertigation.events[0] on 2026-06-01",
    ),
]


def _site(tmp_path: Path) -> Path:
    quick_site(tmp_path)
    path = tmp_path / "site.toml"
    text = path.read_text(encoding="utf-8")
    for old, new in {
        'crop = "seed_corn"\nplanting_date = 2026-04-20\n': (
            'crop = "seed_corn"\ncrop_clock = "gdd"\nplanting_date = 2026-04-20\n'
        ),
        FIRST_EVENT: FIRST_EVENT + 'zones = ["z1", "z2"]\n',
        "[weather]": DATED_EVENT + "[weather]",
    }.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSite]:
    _site(tmp_path)
    site = LiveSite(tmp_path)
    try:
        yield site
    finally:
        site.close()


@pytest.mark.parametrize(("change", "zh", "en", "english"), PROBLEMS)
def test_a_refused_zone_edit_is_said_in_the_pages_language(
    live: LiveSite, change: dict[str, str], zh: str, en: str, english: str
) -> None:
    with page_clients(live) as client:
        for lang, shown, absent in (("zh-CN", zh, [en, english]), ("en", en, [zh, english])):
            admin = client("admin", lang)
            sent = admin.post("/settings/zones/z1", data={**ZONE, **change, "csrf": csrf_of(admin)})
            assert sent.status_code == 422
            page = html.unescape(sent.text)
            assert shown in page
            for text in absent:
                assert text.split(": ", 1)[-1] not in page
    assert "zones" not in overrides.load(live.data_dir)  # nothing saved


@pytest.mark.parametrize(("change", "zh", "en", "english"), PROBLEMS)
def test_check_config_keeps_the_site_files_english(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, str],
    zh: str,
    en: str,
    english: str,
) -> None:
    path = _site(tmp_path)
    text = path.read_text(encoding="utf-8")
    zone = 'name = "z1"'
    start = text.index(zone)
    end = text.index("[[zones]]", start)
    block = text[start:end]
    for key, value in change.items():
        line = f"{key} = {value}" if key == "planting_date" else f'{key} = "{value}"'
        block = re.sub(rf"^{key} = .*$", line, block, flags=re.M)
        if line not in block:
            block = block.replace(zone, f"{zone}\n{line}")
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")
    assert main(["check-config", "--json", str(path)]) != 0
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert f"{english} (site.toml)" in problems
