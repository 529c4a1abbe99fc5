"""The crop library's water-management periods (``[crop.stages]``): parsed, and refused with
an error naming the file, the crop and the period."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from models.crops import CropDataError, Stage, crop, load_crops

LIBRARY = Path(__file__).resolve().parents[2] / "models/crops/data/crops.toml"
SEED_STAGES = """[seed_corn.stages]
name = ["establishment", "vegetative", "flowering", "yield formation", "ripening"]
end_dap = [30, 78, 100, 125, 153]
ky = [0.4, 0.4, 1.5, 0.5, 0.2]
mad = [0.45, 0.40, 0.40, 0.50, 0.65]
critical = [false, false, true, true, false]
"""


def test_the_packaged_seed_corn_periods() -> None:
    seed = crop("seed_corn")
    assert [s.name for s in seed.stages] == [
        "establishment",
        "vegetative",
        "flowering",
        "yield formation",
        "ripening",
    ]
    assert seed.stages[2] == Stage("flowering", 100, 1.5, 0.40, True)
    assert seed.stages[-1].end_dap == seed.season_days == 153
    assert seed.stage_on_day(0).name == "establishment"
    assert seed.stage_on_day(30).name == "establishment"  # end_dap is inclusive
    assert seed.stage_on_day(31).name == "vegetative"
    assert seed.stage_on_day(79).name == "flowering"
    assert seed.stage_on_day(400).name == "ripening"  # after harvest: the last
    assert crop("pepper").stage_on_day(50) is None


def load_with(tmp_path: Path, old: str, new: str) -> None:
    text = LIBRARY.read_text(encoding="utf-8")
    assert SEED_STAGES in text, "test precondition: the seed corn periods as written here"
    assert old in SEED_STAGES, f"test precondition: {old!r}"
    path = tmp_path / "crops.toml"
    path.write_text(text.replace(SEED_STAGES, SEED_STAGES.replace(old, new)), encoding="utf-8")
    load_crops(path)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "end_dap = [30, 78, 100",
            "end_dap = [30, 78, 70",
            r"seed_corn\.stages\[2\] \(flowering\)\.end_dap: day 70 is not after "
            r"stages\[1\] \(vegetative\) \(day 78\); periods must be in order",
        ),
        (
            "end_dap = [30, 78",
            "end_dap = [30, 30",
            r"seed_corn\.stages\[1\] \(vegetative\)\.end_dap: day 30 is not after",
        ),
        (
            "end_dap = [30,",
            "end_dap = [-1,",
            r"seed_corn\.stages\[0\] \(establishment\)\.end_dap: day -1 is not after "
            r"planting",
        ),
        (
            "125, 153]",
            "160, 170]",
            r"seed_corn\.stages\[3\] \(yield formation\)\.end_dap: day 160 is past the "
            r"season's 153 days",
        ),
        (
            "125, 153]",
            "125, 154]",
            r"seed_corn\.stages\[4\] \(ripening\)\.end_dap: day 154 is past the season's 153",
        ),
        (
            "125, 153]",
            "125, 150]",
            r"seed_corn\.stages\[4\] \(ripening\)\.end_dap: the last period ends on day 150, "
            r"before the season's 153 days",
        ),
        (
            "end_dap = [30,",
            "end_dap = [30.5,",
            r"seed_corn\.stages\[0\] \(establishment\)\.end_dap: 30\.5 is not a whole day",
        ),
        (
            "ky = [0.4, 0.4, 1.5",
            "ky = [0.4, 0.4, 2.5",
            r"seed_corn\.stages\[2\] \(flowering\)\.ky: 2\.5 outside \[0\.0, 2\.0\]",
        ),
        (
            "ky = [0.4,",
            "ky = [-0.1,",
            r"seed_corn\.stages\[0\] \(establishment\)\.ky: -0\.1 outside",
        ),
        (
            "ky = [0.4,",
            'ky = ["high",',
            r"seed_corn\.stages\[0\] \(establishment\)\.ky: 'high' is not a finite number",
        ),
        (
            "0.50, 0.65]",
            "0.50, 0.95]",
            r"seed_corn\.stages\[4\] \(ripening\)\.mad: 0\.95 outside \[0\.2, 0\.8\]",
        ),
        (
            "mad = [0.45,",
            "mad = [0.1,",
            r"seed_corn\.stages\[0\] \(establishment\)\.mad: 0\.1 outside \[0\.2, 0\.8\]",
        ),
        (
            "critical = [false, false, true, true, false]",
            "critical = [false, false, true, true, false]\nmax_dap = [1, 2, 3, 4, 5]",
            r"seed_corn\.stages: unknown keys \['max_dap'\] \(known: name, end_dap, ky, mad, "
            r"critical\)",
        ),
        (
            "critical = [false, false, true, true, false]\n",
            "",
            r"seed_corn\.stages: missing key 'critical' \(one value per period: "
            r"\['establishment'",
        ),
        (
            "critical = [false, false, true, true, false]",
            "critical = [false, false, true, true]",
            r"seed_corn\.stages\.critical: 4 values for 5 periods; stages\[4\] \(ripening\) "
            r"has none",
        ),
        (
            "critical = [false, false, true, true, false]",
            "critical = [false, false, true, true, false, true]",
            r"seed_corn\.stages\.critical: 6 values for 5 periods",
        ),
        (
            "critical = [false, false, true, true, false]",
            "critical = [false, false, 1, true, false]",
            r"seed_corn\.stages\[2\] \(flowering\)\.critical: 1 is not true/false",
        ),
        (
            "critical = [false, false, true, true, false]",
            "critical = [false, false, false, false, false]",
            r"seed_corn\.stages\.critical: no period is critical",
        ),
        (
            '"yield formation", "ripening"]',
            '"yield formation", "flowering"]',
            r"seed_corn\.stages\[4\] \(flowering\)\.name: duplicate \(also stages\[2\]\)",
        ),
        (
            '"establishment",',
            '"",',
            r"seed_corn\.stages\[0\]\.name: '' is no name",
        ),
        (
            'name = ["establishment", "vegetative", "flowering", "yield formation", "ripening"]',
            "name = []",
            r"seed_corn\.stages\.name: expected a list of period names, got \[\]",
        ),
    ],
)
def test_a_bad_period_is_refused_naming_file_crop_and_period(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    with pytest.raises(CropDataError, match=r"crops\.toml: " + expected):
        load_with(tmp_path, old, new)


def test_stages_must_be_a_table(tmp_path: Path) -> None:
    text = LIBRARY.read_text(encoding="utf-8").replace(SEED_STAGES, "")
    text = text.replace('[seed_corn]\nname = "', '[seed_corn]\nstages = 3\nname = "')
    path = tmp_path / "crops.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CropDataError, match=r"seed_corn\.stages: expected a table, got 3"):
        load_crops(path)


def test_a_crop_built_in_code_is_checked_alike() -> None:
    """The settings page edits periods through the dataclass: the same checks apply."""
    seed = crop("seed_corn")
    late = dataclasses.replace(seed.stages[4], end_dap=140)
    with pytest.raises(CropDataError, match=r"seed_corn\.stages\[4\] \(ripening\)\.end_dap"):
        dataclasses.replace(seed, stages=(*seed.stages[:4], late))
    with pytest.raises(CropDataError, match=r"seed_corn\.stages\[1\] \(vegetative\)\.mad"):
        dataclasses.replace(
            seed,
            stages=(seed.stages[0], dataclasses.replace(seed.stages[1], mad=0.9), *seed.stages[2:]),
        )
    no_stages = dataclasses.replace(seed, stages=())
    assert no_stages.stage_on_day(80) is None
