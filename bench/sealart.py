"""Seal engine speed: an official seal to PNG (600 px) and to PDF operators, cold and cached.

"cold" clears the render cache (layout and outputs are redone from the spec) but keeps the parsed
font, whose loading is a one-off per process and reported on its own row; "cold, no glyph cache"
also forgets the glyph outlines, which is what the first seal with new characters costs.
"cached" is what repeated stamping with the same seal costs: a dictionary look-up.
"""

from __future__ import annotations

import os
import statistics
import time

from chop import sealart
from chop.sealart import fonts as seal_fonts

from . import Bench

SPEC = sealart.official_seal_for("上海示例科技有限公司", bottom_text="3101150012345", size_mm=40)


def _cold() -> sealart.Drawing:
    sealart.clear_cache()
    return sealart.render(SPEC)


def _cold_no_glyphs() -> sealart.Drawing:
    seal_fonts.LoadedFont.glyph.cache_clear()
    return _cold()


def _cpu_median_ms(fn, repeat: int = 30) -> float:
    """Median CPU time of ``fn``: on a shared 2-core machine other processes inflate wall-clock
    medians several-fold, CPU time shows what the code itself costs. Reported beside wall time."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append((time.process_time() - t0) * 1000)
    return statistics.median(times)


def run(bench: Bench) -> None:
    load = os.getloadavg()[0]
    print(f"-- sealart: load average {load:.2f} on {os.cpu_count()} CPUs (wall-clock medians)")
    sealart.clear_cache(fonts=True)
    t0 = time.perf_counter()
    sealart.render(SPEC).to_png(px=600)
    first = (time.perf_counter() - t0) * 1000
    bench.add("sealart: first seal in a process (font parse)", first, note="one run, not a median")

    bench.add(
        "sealart: official Ø40 → PNG 600 px, cold",
        bench.median_ms(lambda: _cold().to_png(px=600)),
        target="≤ 30 ms",
        note="layout + raster + PNG encode; fonts parsed, glyph outlines cached",
    )
    bench.add(
        "sealart: official Ø40 → PNG 600 px, cold, no glyph cache",
        bench.median_ms(lambda: _cold_no_glyphs().to_png(px=600)),
        target="≤ 30 ms",
        note="also re-reads the 23 glyph outlines from the font",
    )
    bench.add(
        "sealart: official Ø40 → PNG 600 px, cached",
        bench.median_ms(lambda: sealart.render(SPEC).to_png(px=600), repeat=200),
        note="same spec again: render cache + per-drawing output cache",
    )
    bench.add(
        "sealart: official Ø40 → PDF operators, cold",
        bench.median_ms(lambda: _cold().pdf_content()),
        target="≤ 5 ms",
        note="layout + content stream; fonts parsed, glyph outlines cached",
    )
    bench.add(
        "sealart: official Ø40 → PDF operators, cold, no glyph cache",
        bench.median_ms(lambda: _cold_no_glyphs().pdf_content()),
        target="≤ 5 ms",
    )
    bench.add(
        "sealart: official Ø40 → PDF operators, cached",
        bench.median_ms(lambda: sealart.render(SPEC).pdf_content(), repeat=200),
    )
    bench.add(
        "sealart: official Ø40 → PNG 600 px, cold (CPU time)",
        _cpu_median_ms(lambda: _cold().to_png(px=600)),
        target="≤ 30 ms",
        note="process CPU time, far less affected by other load on the machine",
    )
    bench.add(
        "sealart: official Ø40 → PDF operators, cold (CPU time)",
        _cpu_median_ms(lambda: _cold().pdf_content()),
        target="≤ 5 ms",
        note="process CPU time, far less affected by other load on the machine",
    )
    bench.add(
        "sealart: official Ø40 → SVG, cold",
        bench.median_ms(lambda: _cold().to_svg()),
    )
    bench.add(
        "sealart: official Ø40 → PNG 300 dpi (472 px), cold",
        bench.median_ms(lambda: _cold().to_png(dpi=300)),
    )
