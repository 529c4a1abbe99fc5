"""The printable HTML report: tables and, per zone, an inline SVG chart of cumulative water
against the conventional baseline (m³/mu). No JavaScript, no web fonts, no CDN: the page
prints and opens offline as it is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from controller.counted import counted
from controller.office.report import Report, ZoneReport, site_depths
from controller.paths import bundled

__all__ = ["cumulative_svg", "render_html"]

TEMPLATES = bundled("controller.office", "templates")

_W, _H = 640, 260  # px
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 28, 36


def _nice_step(top: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 × 10ⁿ) giving about ``ticks`` ticks up to ``top``."""
    raw = max(top, 1e-9) / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _path(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))


def cumulative_svg(zone: ZoneReport, title: str) -> Markup:
    """Cumulative metered water and baseline, m³/mu, over the report's days (inline SVG)."""
    series = zone.cumulative
    if not series:
        return Markup("")
    first, last = series[0][0], series[-1][0]
    span = max((last - first).days, 1)
    top = max(max(w for _, w, _ in series), max(b for _, _, b in series), 1.0)
    step = _nice_step(top)
    y_max = step * (int(top / step) + 1)
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(day: dt.date) -> float:
        return _LEFT + (day - first).days / span * plot_w

    def y(value: float) -> float:
        return _TOP + plot_h - value / y_max * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="{_W}" '
        f'height="{_H}" role="img" aria-label="{escape(title)}" font-family="sans-serif" '
        'font-size="11">',
        f'<text x="{_LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    tick = 0.0
    while tick <= y_max + 1e-9:
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{_LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
        tick += step
    months = sorted({d.replace(day=1) for d, _, _ in series if d.replace(day=1) >= first})
    for month in months:
        parts.append(
            f'<line x1="{x(month):.1f}" x2="{x(month):.1f}" y1="{_TOP}" y2="{_TOP + plot_h}" '
            f'stroke="#eee"/><text x="{x(month):.1f}" y="{_H - _BOTTOM + 14}" '
            f'text-anchor="middle">{month:%Y-%m}</text>'
        )
    baseline = [(x(d), y(b)) for d, _, b in series]
    metered = [(x(d), y(w)) for d, w, _ in series]
    parts += [
        f'<path d="{_path(baseline)}" fill="none" stroke="#888" stroke-width="2" '
        'stroke-dasharray="6 4" class="baseline"/>',
        f'<path d="{_path(metered)}" fill="none" stroke="#1565c0" stroke-width="2.5" '
        'class="metered"/>',
        f'<text x="12" y="{_TOP + plot_h / 2:.0f}" transform="rotate(-90 12 '
        f'{_TOP + plot_h / 2:.0f})" text-anchor="middle">m³/mu</text>',
        f'<g transform="translate({_W - _RIGHT - 220},{_TOP + 6})">'
        '<line x1="0" x2="24" y1="0" y2="0" stroke="#1565c0" stroke-width="2.5"/>'
        '<text x="30" y="4">metered (qanat)</text>'
        '<line x1="0" x2="24" y1="16" y2="16" stroke="#888" stroke-width="2" '
        'stroke-dasharray="6 4"/><text x="30" y="20">conventional baseline</text></g>',
        "</svg>",
    ]
    return Markup("".join(parts))


def render_html(report: Report, title: str = "Water balance report · 水平衡报告") -> str:
    """The whole report as one self-contained HTML page."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["n"] = lambda v, digits=1: f"{v:z,.{digits}f}"  # z: never "-0.0"
    charts = {
        (s.site_id, z.zone.zone): cumulative_svg(
            z, f"{s.site_id} · {z.zone.label or z.zone.zone}: cumulative water, m³/mu"
        )
        for s in report.sites
        for z in s.zones
    }
    return env.get_template("report.html").render(
        report=report,
        title=title,
        charts=charts,
        site_depths={s.site_id: site_depths(s) for s in report.sites},
        sites_counted=counted(len(report.sites), "site", "sites"),
    )
