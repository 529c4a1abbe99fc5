"""The quota burn-down as a small server-drawn SVG: water used (m³/mu, a step line by day),
the quota (a level line) and the last plan's projection to harvest (dashed), over the season
part of the quota year (from the first water, or a month before today, to harvest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from controller.agronomy.quota import QuotaView

__all__ = ["BurnDown", "burn_down"]

WIDTH, HEIGHT = 600, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 22
MIN_SPAN_DAYS = 30


@dataclass(frozen=True)
class BurnDown:
    """SVG coordinates (``used``, ``projection``: polyline points) and axis labels."""

    width: int
    height: int
    used: str
    projection: str
    quota_y: float
    today_x: float
    y_max: float
    x_from: date
    x_to: date
    left: int
    right: float
    bottom: float


def burn_down(q: QuotaView) -> BurnDown:
    """The chart of ``q`` (module docstring)."""
    first = q.days[0][0] if q.days else q.today
    x0 = max(min(first, q.today - timedelta(days=MIN_SPAN_DAYS)), q.year_start)
    x1 = q.harvest if q.harvest is not None and q.harvest > q.today else q.today
    x1 = min(max(x1, x0 + timedelta(days=MIN_SPAN_DAYS)), q.year_end)
    span = max((x1 - x0).days, 1)
    top = max(q.quota_m3_per_mu, q.used_m3_per_mu, q.projected_m3_per_mu or 0.0) * 1.1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(d: date) -> float:
        return LEFT + plot_w * min(max((d - x0).days / span, 0.0), 1.0)

    def y(v: float) -> float:
        return TOP + plot_h * (1.0 - v / top)

    points = [(x(x0), y(0.0))]
    level = 0.0
    for day, total in q.days:
        if day < x0:
            level = total
            points[0] = (x(x0), y(level))
            continue
        points += [(x(day), y(level)), (x(day), y(total))]
        level = total
    points.append((x(q.today), y(level)))
    projection = ""
    if q.projected_m3_per_mu is not None and q.harvest is not None and q.harvest > q.today:
        projection = _pts([(x(q.today), y(level)), (x(q.harvest), y(q.projected_m3_per_mu))])
    return BurnDown(
        width=WIDTH,
        height=HEIGHT,
        used=_pts(points),
        projection=projection,
        quota_y=round(y(q.quota_m3_per_mu), 1),
        today_x=round(x(q.today), 1),
        y_max=top,
        x_from=x0,
        x_to=x1,
        left=LEFT,
        right=WIDTH - RIGHT,
        bottom=HEIGHT - BOTTOM,
    )


def _pts(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
