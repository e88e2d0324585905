"""Server-rendered SVG charts for the monitoring page: no JavaScript library and no CDN, so the
charts work under the site's CSP, print, and read the same in every browser.

Colours are SVG presentation attributes (``fill``), not ``style``: the CSP allows no inline
styles. Each chart has a ``<title>`` and ``<desc>`` (referenced by ``aria-labelledby``) and each
bar its own ``<title>`` with the exact number.
"""

from __future__ import annotations

import math
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .monitoring import DailySeries

PALETTE = ("#c8102e", "#1f6feb", "#2da44e", "#bf8700", "#8250df", "#6e7781")
FONT = "font-family=\"system-ui, -apple-system, 'PingFang SC', 'Noto Sans CJK SC', sans-serif\""


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _count(label: str, n: int) -> str:
    """ "label: n" with the language's own colon (full-width in Chinese)."""
    return pgettext("chart count", "%(label)s: %(n)s") % {"label": label, "n": n}


def _nice_max(value: int) -> int:
    """The axis top: the smallest 1, 2 or 5 × 10^k at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * exp >= value:
            return step * exp
    return 10 * exp  # pragma: no cover - the loop always returns


def _svg_open(uid: str, width: int, height: int, title: str, desc: str, css: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{uid}-t {uid}-d" {FONT} font-size="12">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>'
    )


def daily_stacked_bars(data: DailySeries, uid: str = "chart-daily") -> SafeString:
    """Uses per day, one stacked bar per day, one colour per seal (the legend is the page's)."""
    width, height = 640, 240
    left, right, top, bottom = 40, 8, 10, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(data.days), 1)
    totals = [sum(s[1][i] for s in data.series) for i in range(len(data.days))]
    top_value = _nice_max(max(totals, default=0))
    top_value += top_value % 2  # the middle grid line falls on a whole number
    title = _("Uses per day per seal")
    desc = _("%(total)s uses over %(days)s days, %(seals)s seals; the busiest day had %(max)s.") % {
        "total": sum(totals),
        "days": len(data.days),
        "seals": len(data.series),
        "max": max(totals, default=0),
    }
    out = [_svg_open(uid, width, height, title, desc, "chart chart-daily")]
    # grid lines and the y axis
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        label = round(top_value * frac)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#57606a">{label}</text>'
        )
    band = plot_w / n
    bar_w = max(band * 0.7, 1.0)
    every = max(1, math.ceil(n / 8))
    for i, day in enumerate(data.days):
        x = left + band * i + (band - bar_w) / 2
        y = top + plot_h
        for k, (label, counts) in enumerate(data.series):
            value = counts[i]
            if not value:
                continue
            h = plot_h * value / top_value
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour(k)}"><title>{day.isoformat()} · {escape(_count(label, value))}'
                f"</title></rect>"
            )
        if i % every == 0:
            out.append(
                f'<text x="{left + band * i + band / 2:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle" fill="#57606a">{day.strftime("%m-%d")}</text>'
            )
    out.append("</svg>")
    return mark_safe("".join(out))


def person_bars(rows: list[tuple[str, int]], uid: str = "chart-person") -> SafeString:
    """Uses by person, one horizontal bar each, busiest first, the number at the bar's end."""
    width = 400
    row_h, top = 26, 6
    label_w, num_w = 120, 44
    height = top * 2 + row_h * max(len(rows), 1)
    top_value = max((n for _name, n in rows), default=1) or 1
    title = _("Uses by person")
    desc = pgettext("list separator", "; ").join(_count(name, n) for name, n in rows) or _(
        "No uses."
    )
    out = [_svg_open(uid, width, height, title, desc, "chart chart-person")]
    plot_w = width - label_w - num_w
    for i, (name, n) in enumerate(rows):
        y = top + row_h * i
        w = max(plot_w * n / top_value, 2)
        short = name if len(name) <= 9 else name[:8] + "…"
        out.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" fill="#24292f">'
            f"{escape(short)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" rx="2" '
            f'fill="{colour(0)}"><title>{escape(_count(name, n))}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" fill="#24292f">{n}</text>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))


def swatch(i: int) -> SafeString:
    """A legend's colour square, as a tiny SVG (no inline style under the CSP)."""
    return mark_safe(
        f'<svg class="swatch" viewBox="0 0 10 10" width="10" height="10" aria-hidden="true">'
        f'<rect width="10" height="10" rx="2" fill="{colour(i)}"/></svg>'
    )
