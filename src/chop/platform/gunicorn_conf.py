"""gunicorn's configuration file under ``chop serve`` (``-c python:chop.platform.gunicorn_conf``).

Only what the command line cannot say: the log format (the app's own, ``chop.logs``, so gunicorn's
lines about workers and timeouts look like the app's) and the hook that tells prometheus_client a
worker died, so its live values (none of Chop's metrics are gauges) stop being merged in while
its counters are kept. Workers, threads, timeouts and the address come from settings through
``chop serve``'s command line. Plain Python: gunicorn's master reads it before Django starts.
"""

from __future__ import annotations

import os

from chop import logs

logconfig_dict = logs.config(
    os.environ.get("CHOP_LOG_FORMAT", "json"), os.environ.get("LOG_LEVEL", "INFO")
)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
