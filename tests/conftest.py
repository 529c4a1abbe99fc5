"""Shared fixtures: paths to the shipped example files."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "deploy" / "examples" / "demo-site.toml"


@pytest.fixture
def demo_site_text() -> str:
    return DEMO_SITE.read_text(encoding="utf-8")
