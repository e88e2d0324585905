"""``chop serve``: the production web server, gunicorn, with the settings' workers and timeouts.

Why gunicorn rather than granian: it is already what the API benchmark measures Chop under, its
pre-fork sync workers suit a WSGI app whose requests spend their time in pyHanko, pdfium and the
database rather than waiting on sockets, it kills and replaces a worker stuck past the timeout
(a runaway PDF), and prometheus_client's multiprocess mode is documented for it (the
``child_exit`` hook in ``chop.platform.gunicorn_conf``). Granian's speed is in the HTTP layer,
which is not where a signing request's time goes.

What it does, then replaces itself with gunicorn (``exec``: same process id, so a supervisor's
SIGTERM reaches gunicorn's master directly, which lets each worker finish its request within
``CHOP_WEB_GRACEFUL_TIMEOUT`` and exits 0):

1. ``collectstatic`` (WhiteNoise serves the collected files, compressed; ``--no-collectstatic``
   when a deployment step did it already);
2. ``PROMETHEUS_MULTIPROC_DIR`` (``var/prometheus`` unless set) emptied of the last run's files,
   so the workers' metrics start from zero and ``/metrics`` adds up only live workers' values;
3. ``CHOP_LOG_FORMAT=json`` unless set: one JSON object per log line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from chop.siteurl import DEFAULT_HOST, DEFAULT_PORT, site_url_for


def bind_address(host: str, port: str | int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def metrics_dir() -> Path:
    """The directory the workers write their metrics to, emptied of a previous run's files."""
    path = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.VAR_DIR / "prometheus")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    for stale in path.glob("*.db"):
        stale.unlink()
    return path


class Command(BaseCommand):
    help = "Run the production web server (gunicorn) with the workers and timeouts of settings."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("CHOP_HOST", DEFAULT_HOST))
        parser.add_argument("--port", default=os.environ.get("CHOP_PORT", DEFAULT_PORT))
        parser.add_argument("--workers", type=int, default=None, help="CHOP_WEB_WORKERS")
        parser.add_argument("--threads", type=int, default=None, help="CHOP_WEB_THREADS")
        parser.add_argument(
            "--no-collectstatic", action="store_true", help="static files are collected already"
        )

    def gunicorn_argv(self, host: str, port: str, workers: int, threads: int) -> list[str]:
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:chop.platform.gunicorn_conf",
            "--bind",
            bind_address(host, port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            str(settings.CHOP_WEB_TIMEOUT),
            "--graceful-timeout",
            str(settings.CHOP_WEB_GRACEFUL_TIMEOUT),
            # gunicorn's control socket defaults to one path per user: two servers would share it
            "--no-control-socket",
        ]
        if settings.CHOP_WEB_MAX_REQUESTS:
            argv += [
                "--max-requests",
                str(settings.CHOP_WEB_MAX_REQUESTS),
                "--max-requests-jitter",
                str(max(1, settings.CHOP_WEB_MAX_REQUESTS // 10)),
            ]
        return [*argv, "chop.wsgi:application"]

    def handle(self, *args, host: str, port: str, workers, threads, no_collectstatic, **options):
        workers = workers or settings.CHOP_WEB_WORKERS
        threads = threads or settings.CHOP_WEB_THREADS
        if workers < 1 or threads < 1:
            raise CommandError("workers and threads must be at least 1")
        if not no_collectstatic:
            call_command("collectstatic", interactive=False, verbosity=0)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir())
        os.environ.setdefault("CHOP_LOG_FORMAT", "json")
        # the workers' settings derive SITE_URL (links, certificate URLs) from these when unset
        os.environ["CHOP_HOST"], os.environ["CHOP_PORT"] = host, str(port)
        site_url = os.environ.get("SITE_URL") or site_url_for(host, port)
        argv = self.gunicorn_argv(host, str(port), workers, threads)
        self.stdout.write(
            f"Serving on {site_url.rstrip('/')}/ with gunicorn: {workers} worker(s) x "
            f"{threads} thread(s) on {bind_address(host, port)}"
        )
        self.stdout.flush()
        sys.stderr.flush()
        connections.close_all()  # nothing of this process's database connections is inherited
        os.execv(sys.executable, argv)
