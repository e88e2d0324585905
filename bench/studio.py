"""The seal studio's live preview (issue 10 §2): what one debounced request costs the server.

The preview view is called as Django calls it (``RequestFactory`` request through the view
function, decorators included) for a seal keeper of a verified company; the company, person and
membership are unsaved objects, because a contract seal's preview touches no table. "warm" is the
same design again (what a user waiting on a paused keyboard, or typing back, costs: the checked
design is cached per frozen spec); "cold" is a design not seen before (layout + SVG);
``max_name_chars`` is the limit shown beside an over-long name, first call for a size.
"""

from __future__ import annotations

import itertools
import os
import statistics
import time

from . import Bench

CHARS = "东南西北中华光明新星远达信诚恒泰金鑫"


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chop.settings")
    import django

    django.setup()
    from django.test import RequestFactory

    from chop.accounts.models import User
    from chop.orgs.models import Company, Membership, Role

    user = User(pk=1, login="13900000000", name="keeper")
    company = Company(pk=1, name="上海示例科技有限公司", uscc="9144030071526726XG")
    company.status = Company.Status.VERIFIED
    membership = Membership(company=company, user=user, role=Role.SEAL_KEEPER)
    return RequestFactory(), user, company, membership


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run(bench: Bench) -> None:
    factory, user, company, membership = _setup()
    from chop.seals import studio
    from chop.seals.studio_views import seal_preview

    base = {
        "kind": "contract",
        "name": company.name,
        "horizontal_text": "合同专用章",
        "size_mm": "40",
        "border_mm": "1.0",
        "color": "red",
        "font": "song",
        "star": "on",
    }

    def call(params: dict) -> int:
        request = factory.get("/seals/new/preview.svg", params)
        request.user, request.company, request.membership = user, company, membership
        return seal_preview(request).status_code

    assert call(base) == 200  # fonts parsed, glyphs cached: the state of a running server
    names = ("上海" + a + b + "科技有限公司" for a, b in itertools.product(CHARS, repeat=2))
    cold = []
    for _ in range(40):
        params = {**base, "name": next(names)}
        t0 = time.perf_counter()
        assert call(params) == 200
        cold.append((time.perf_counter() - t0) * 1000)
    bench.add(
        "studio: preview.svg contract Ø40, new design",
        statistics.median(cold),
        note=f"p95 {_percentile(cold, 0.95):.1f} ms; layout + SVG + form + view (40 names)",
    )
    warm = []
    for _ in range(300):
        t0 = time.perf_counter()
        call(base)
        warm.append((time.perf_counter() - t0) * 1000)
    bench.add(
        "studio: preview.svg contract Ø40, warm p50",
        statistics.median(warm),
        target="≤ 30 ms",
        note="same design again: cached per spec, through the view function",
    )
    bench.add("studio: preview.svg contract Ø40, warm p95", _percentile(warm, 0.95))
    too_long = {**base, "name": "国" * 60}
    assert call(too_long) == 422
    bench.add(
        "studio: preview 422 (name too long, with limit), warm",
        bench.median_ms(lambda: call(too_long), repeat=100),
    )
    from chop.sealart import max_name_chars

    for kind, sizes, label in (
        ("contract", {"size_mm": 38.0}, "contract Ø38"),
        ("contract", {"size_mm": 42.0}, "contract Ø42"),
        ("invoice", {"width_mm": 40.0, "height_mm": 30.0}, "invoice 40×30"),
        ("foreign", {"width_mm": 45.0, "height_mm": 30.0}, "foreign 45×30"),
    ):
        times, cpu = [], []
        for _ in range(5):
            max_name_chars.cache_clear()
            t0, c0 = time.perf_counter(), time.process_time()
            most = max_name_chars(kind, **sizes)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        bench.add(
            f"studio: max_name_chars first call, {label}",
            statistics.median(times),
            target="≤ 300 ms",
            note=f"= {most} characters; CPU {statistics.median(cpu):.0f} ms; was 2–7 s",
        )
    studio._checked.cache_clear()
