"""Server-side SVG charts of a team's decisions over time (no script, no library).

`decisions_chart` stacks pass / annotate / hold per day; `findings_chart` stacks the
findings of each policy per day (stacks, not lines: equal counts would hide each other). Both take `Moderation.team_stats()` rows and return inline SVG
markup; every label is escaped, and each bar or point has a <title> tooltip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT = 1000, 250
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 34

ACTION_COLOURS = {"pass": "#8fbf9f", "annotate": "#e6b54a", "hold": "#c8443c"}
ACTION_NAMES = {"pass": "Passed", "annotate": "Coached", "hold": "Held"}
# Distinguishable on white, also for the commonest colour blindness (Okabe–Ito first).
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7a7a7a",
           "#f0e442", "#332288", "#882255", "#44aa99", "#999933")


def _day(row: Mapping[str, Any]) -> date:
    value = row["day"]
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _nice_max(value: int) -> int:
    """A round top for the y axis, so that its four grid steps are whole round numbers
    (4, 8, 20, 40, 80, 200… at or above `value`)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if step * m * 4 >= value:
                return step * m * 4
        step *= 10


def _frame(top: int, days: Sequence[date], title: str) -> list[str]:
    """The axes, grid lines, y ticks and some x labels."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'class="chart" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        label = f"{value:.0f}"
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{label}</text>')
    if days:
        every = max(1, len(days) // 8)
        slot = plot_w / len(days)
        for i, day in enumerate(days):
            if i % every == 0 or i == len(days) - 1:
                x = LEFT + slot * (i + 0.5)
                parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" class="tick" '
                             f'text-anchor="middle">{day.strftime("%d %b")}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" class="axis"/>')
    return parts


def _stacked_bars(parts: list[str], days: list[Any], counts: Sequence[Mapping[str, int]], top: int,
                  series: Sequence[tuple[str, str, str]], tip: Callable[[Any, int, str], str]) -> None:
    """One bar per day, a segment per series (key, colour, CSS class) stacked from the axis up."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(counts))
    bar = max(2.0, slot * 0.7)
    for i, row in enumerate(counts):
        x = LEFT + slot * i + (slot - bar) / 2
        base = float(TOP + plot_h)
        for key, colour, css in series:
            n = int(row.get(key, 0))
            if not n:
                continue
            h = plot_h * n / top
            base -= h
            cls = f' class="{css}"' if css else ""
            parts.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"{cls}><title>{escape(tip(days[i], n, key))}</title></rect>')
    parts.append("</svg>")


def decisions_chart(rows: Sequence[Mapping[str, Any]]) -> Markup:
    """Stacked bars per day: how many replies passed, were coached (annotate), were held."""
    days = [_day(r) for r in rows]
    totals = [sum(int(r.get(k, 0)) for k in ACTION_COLOURS) for r in rows]
    top = _nice_max(max(totals, default=0))
    parts = _frame(top, days, "Replies per day: passed, coached, held")
    series = [(action, colour, f"bar-{action}") for action, colour in ACTION_COLOURS.items()]
    _stacked_bars(parts, days, rows, top, series,
                  lambda day, n, action: f"{day.isoformat()}: {n} {ACTION_NAMES[action].lower()}")
    return Markup("".join(parts))


def findings_chart(rows: Sequence[Mapping[str, Any]],
                   label: Callable[[str], str] = str) -> tuple[Markup, list[tuple[str, str, int]]]:
    """Findings per day, stacked by policy. Returns the SVG and the legend rows
    (label, colour, total), most frequent first."""
    days = [_day(r) for r in rows]
    totals: dict[str, int] = {}
    for row in rows:
        for policy, n in (row.get("findings") or {}).items():
            totals[policy] = totals.get(policy, 0) + int(n)
    policies = sorted((p for p, n in totals.items() if n), key=lambda p: (-totals[p], p))
    colours = {p: PALETTE[k % len(PALETTE)] for k, p in enumerate(policies)}
    peak = max((sum(int(n) for n in (r.get("findings") or {}).values()) for r in rows), default=0)
    top = _nice_max(peak)
    parts = _frame(top, days, "Findings per policy per day")
    _stacked_bars(parts, days, [r.get("findings") or {} for r in rows], top,
                  [(p, colours[p], "") for p in policies],
                  lambda day, n, policy: f"{day.isoformat()}: {n} × {label(policy)}")
    legend = [(label(p), colours[p], totals[p]) for p in policies]
    return Markup("".join(parts)), legend
