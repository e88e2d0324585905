"""The text fitting's bisection (``fitting._largest_fit``) finds exactly the fit an exhaustive
scan finds: every height, largest first, with every aspect, largest first (the search it replaced,
which made ``max_name_chars`` take seconds)."""

from __future__ import annotations

import pytest

from chop.sealart import SealSpec, max_name_chars
from chop.sealart import fitting as fitting_module
from chop.sealart.layout import build
from chop.sealart.text import spec_for


def _exhaustive(heights, aspects, attempt):
    for h in heights:
        for asp in aspects:
            got = attempt(h, asp)
            if got is not None:
                return got
    return None


def _boxes(spec: SealSpec):
    return [tuple(round(v, 9) for v in s.box) for s in build(spec).shapes if s.box]


SPECS = [
    SealSpec(kind="contract", name="上海示例科技有限公司"),
    SealSpec(kind="contract", name="国" * 30, size_mm=38),
    SealSpec(
        kind="custom", name="深圳市前海示例国际供应链管理股份有限公司", horizontal_text="项目专用章"
    ),
    SealSpec(kind="official", name="国" * 36, bottom_text="3101150012345", size_mm=42),
    SealSpec(kind="invoice", name="国" * 26, taxpayer_id="91310115MA1K3XXX2X"),
    SealSpec(
        kind="foreign", name="SHANGHAI EXAMPLE TECHNOLOGY CO., LTD.", horizontal_text="上海示例"
    ),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.kind}-{len(s.name)}")
def test_bisection_places_every_glyph_where_the_exhaustive_scan_does(spec, monkeypatch):
    fast = _boxes(spec)
    monkeypatch.setattr(fitting_module, "_largest_fit", _exhaustive)
    assert _boxes(spec) == fast


@pytest.mark.parametrize(
    ("kind", "sizes"),
    [("contract", {"size_mm": 38}), ("invoice", {"width_mm": 30, "height_mm": 20})],
)
def test_max_name_chars_is_the_exhaustive_limit(kind, sizes, monkeypatch):
    most = max_name_chars(kind, **sizes)
    monkeypatch.setattr(fitting_module, "_largest_fit", _exhaustive)
    build(spec_for(kind, "国" * most, **sizes))  # fits with the old search too
    with pytest.raises(Exception) as err:
        build(spec_for(kind, "国" * (most + 1), **sizes))
    assert getattr(err.value, "code", None) in ("does_not_fit", "too_long")


def test_a_name_that_fits_at_once_costs_one_layout_attempt():
    """The search must not make the common case (the name fits at the kind's own height and
    aspect) pay for the bisection: rendering every official seal goes through it."""
    calls = []

    def attempt(h, asp):
        calls.append((h, asp))
        return ["placed"]

    heights, aspects = fitting_module._shrink_steps(5.0, 3.0, 1.0, 0.6)
    assert fitting_module._largest_fit(heights, aspects, attempt) == ["placed"]
    assert calls == [(heights[0], aspects[0])]


def test_the_search_finds_the_first_fit_of_the_ordered_scan():
    heights, aspects = fitting_module._shrink_steps(5.0, 3.0, 1.0, 0.6)

    def attempt(h, asp):  # fits from 4.0 mm down, at aspects ≤ 0.85
        return (h, asp) if h <= 4.0 + 1e-9 and asp <= 0.85 else None

    assert fitting_module._largest_fit(heights, aspects, attempt) == _exhaustive(
        heights, aspects, attempt
    )
