"""The plausibility alarms' messages read back as codes (controller.agronomy.plausibility_notes)
and said in each catalog's language; the probe they name too.

A message recorded by an earlier release, which wrote the same words inline, reads the same
way (the stuck-probe message below is one as the box recorded it).
"""

from __future__ import annotations

import pytest

from controller.agronomy.plausibility_notes import (
    PLAUSIBILITY_NOTES,
    PROBE_WHERE,
    plausibility_note,
    probe_where,
)
from controller.said.records import RecordSayer
from controller.said.words import words
from tests.helpers.recorded import assert_templates_read_back

STUCK = (
    "probe1a.moisture (zone z1, 0.2 m): moisture flat at 24.10–24.12 % for 24.5 h "
    "(6 readings within 0.05 %): a frozen value; quarantined"
)


def test_a_template_reads_back_the_values_it_was_written_with() -> None:
    assert_templates_read_back(PLAUSIBILITY_NOTES, plausibility_note)
    where = probe_where("probe1a.moisture (zone z-north, 0.25 m)")
    assert (where.code, where.values) == (
        "probe",
        {"device": "probe1a", "zone": "z-north", "depth_m": "0.25"},
    )
    assert probe_where("probe1a at 0.2 m").code == ""


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_code_has_its_words(language: str) -> None:
    said = words(language)
    wanted = [f"plausibility.{c}" for c in PLAUSIBILITY_NOTES] + ["probe_where.probe"]
    assert [key for key in wanted if key not in said] == []


def test_the_english_words_are_the_record() -> None:
    english = words("en")
    assert {c: english[f"plausibility.{c}"] for c in PLAUSIBILITY_NOTES} == PLAUSIBILITY_NOTES
    assert english["probe_where.probe"] == PROBE_WHERE


def test_a_stuck_probe_is_said_in_chinese_with_the_probe_it_names() -> None:
    sayer = RecordSayer(words("zh_CN"), lambda t: f"{t:%H:%M}")
    assert sayer.alarm("probe1a", "probe_flatline", STUCK) == (
        "探头 probe1a（轮灌区 z1，深 0.2 m）：含水率在 24.10–24.12 % 之间 24.5 小时不变"
        "（6 个读数都在 0.05 % 以内）：读数冻结；已隔离"
    )
    assert (
        RecordSayer(words("en"), lambda t: f"{t:%H:%M}").alarm("probe1a", "probe_flatline", STUCK)
        == STUCK
    )  # the record's own words


def test_a_message_of_another_writer_under_the_code_is_said_as_recorded() -> None:
    sayer = RecordSayer(words("zh_CN"), lambda t: f"{t:%H:%M}")
    assert sayer.alarm("probe1a", "probe_flatline", "flat since noon") is None
