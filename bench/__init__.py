"""``make bench``: speed figures for the engines, each against a named reference where one exists.

Each module in this package exposes ``run(bench: Bench)``. Figures are medians of repeated runs in
this one process; a reference (for example pyHanko's documented default signing path) runs in the
same process on the same input so the ratio means something on any machine.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Row:
    name: str
    median_ms: float
    target: str = ""
    reference: str = ""
    reference_ms: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.reference_ms is None or self.median_ms <= 0:
            return None
        return self.reference_ms / self.median_ms


@dataclass
class Bench:
    rows: list[Row] = field(default_factory=list)

    @staticmethod
    def median_ms(
        fn: Callable[[], object],
        *,
        repeat: int = 20,
        warmup: int = 2,
        gc_on: bool = False,
        clock: Callable[[], float] = time.perf_counter,
    ) -> float:
        """Median wall time of ``fn`` in milliseconds, after a warm-up, with GC off while timing
        (``gc_on``: with the collector running, as in the application; ``clock``:
        ``time.process_time`` for this process's CPU time, which a loaded machine inflates less)."""
        for _ in range(warmup):
            fn()
        times = []
        gc_was_enabled = gc.isenabled()
        if gc_on:
            gc.enable()
        else:
            gc.disable()
        try:
            for _ in range(repeat):
                t0 = clock()
                fn()
                times.append((clock() - t0) * 1000)
        finally:
            if gc_was_enabled:
                gc.enable()
            else:
                gc.disable()
        return statistics.median(times)

    def add(self, name: str, median_ms: float, **kw) -> Row:
        row = Row(name, median_ms, **kw)
        self.rows.append(row)
        print(self.format_row(row), flush=True)
        return row

    @staticmethod
    def header() -> str:
        return (
            f"{'benchmark':<52} {'median':>10} {'target':>12} {'reference':>12} {'ratio':>8}  note"
        )

    @staticmethod
    def format_row(r: Row) -> str:
        ref = f"{r.reference_ms:9.2f} ms" if r.reference_ms is not None else ""
        ratio = f"{r.ratio:7.1f}x" if r.ratio is not None else ""
        return f"{r.name:<52} {r.median_ms:7.2f} ms {r.target:>12} {ref:>12} {ratio:>8}  {r.note}"


def child(module: str, what: str) -> dict:
    """Run ``python -m <module> <what>`` in a fresh process (its own memory peak, database and
    media directory) and return the JSON object its last output line holds."""
    done = subprocess.run(
        [sys.executable, "-m", module, what],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", ".")},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
