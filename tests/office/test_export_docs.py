"""The export's tables as the README and docs/office.md list them: every one the box
serves (controller.office.export.TABLES), and no other."""

from __future__ import annotations

import re

from controller.office.export import TABLES
from tests.helpers.site import ROOT


def test_the_readme_lists_every_exported_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"/api/v1/export/\{([a-z_,]+)\}", readme)
    assert listed is not None
    assert listed.group(1).split(",") == list(TABLES)


def test_office_md_lists_every_exported_table() -> None:
    office = (ROOT / "docs" / "office.md").read_text(encoding="utf-8")
    line = next(line for line in office.splitlines() if line.startswith("Tables: "))
    assert re.findall(r"`([a-z_]+)`", line.split("(never", 1)[0]) == list(TABLES)
