"""Headless Chromium for the browser tests: Debian's, driven by Playwright without its
browser download, and where screenshots go."""

from __future__ import annotations

from tests.helpers.site import ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "artifacts"
