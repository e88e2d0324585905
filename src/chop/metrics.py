"""The process-side Prometheus metrics: requests by route and status, and signing latency.

Counted in each process with ``prometheus_client``. Under ``chop serve`` several gunicorn workers
answer requests, so ``PROMETHEUS_MULTIPROC_DIR`` is set before anything imports
``prometheus_client`` and each worker writes its values to files there; ``/metrics``
(``chop.platform.probes``) adds them up across the workers. Without it (runserver, tests) the
values stay in this process.

Labels are bounded sets: the route is the URL pattern's name (``contracts:detail``), never the
raw path, so a scanner cannot create a series per URL it tries. What lives in the database (task
queue, webhook failures) is not counted here but read at scrape time, so every process and the
workers agree on it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "chop_http_requests",
    "HTTP requests answered, by route name, method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "chop_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name and method.",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
SIGNING_SECONDS = Histogram(
    "chop_signing_seconds",
    "Time of a contract signing act (locks, checks, stamping, signature, records), by mode "
    "(person or auto) and outcome (signed, refused, error).",
    ["mode", "outcome"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


@contextlib.contextmanager
def signing_timed(mode: str, refused: type[BaseException]) -> Iterator[None]:
    """Time the block as one signing act; an exception of type ``refused`` counts as refused,
    any other as error."""
    start = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "signed"
    except refused:
        outcome = "refused"
        raise
    finally:
        SIGNING_SECONDS.labels(mode, outcome).observe(time.perf_counter() - start)
