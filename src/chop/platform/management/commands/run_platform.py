"""``chop run_platform --host H --port P``: the web server and the background work together.

One command for ``make run``, each part a child process: the production web server
(``chop serve``: gunicorn with ``CHOP_WEB_WORKERS`` workers, static files collected and served
compressed by WhiteNoise), django-tasks-db's ``db_worker``, the clock that enqueues the provider
retry every minute (``retry_providers --every 60``), the contracts' clock (``expire_contracts
--every 3600``: expiry at the deadline and the automatic reminders every 3 days), the stamping
log's clock (``publish_log --every 600``: a signed, timestamped tree head whenever the log grew)
the webhooks' clock (``webhook_clock --every 60``: grant expiries and overdue deliveries) and
the tasks' reaper (``reap_tasks --every 60``: tasks whose worker died are queued again).
``chop runserver`` stays for development (auto-reload, DEBUG pages).

When the server stops, or on Ctrl-C or SIGTERM, every child is terminated (SIGTERM: gunicorn
lets its workers finish their requests) and waited for, so nothing is left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chop.siteurl import DEFAULT_HOST, DEFAULT_PORT, site_url_for

CLOCKS = (
    ["db_worker"],
    ["retry_providers", "--every", "60"],
    ["expire_contracts", "--every", "3600"],
    ["publish_log", "--every", "600"],
    ["webhook_clock", "--every", "60"],
    ["reap_tasks", "--every", "60"],
)


def _start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "chop.manage", *command], env=os.environ.copy())


def _stop_all(children: list[subprocess.Popen], timeout: float) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


class Command(BaseCommand):
    help = "Run the web server and the task worker (for a single machine and the demo)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("CHOP_HOST", DEFAULT_HOST))
        parser.add_argument("--port", default=os.environ.get("CHOP_PORT", DEFAULT_PORT))
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background task worker"
        )

    def handle(self, *args, host: str, port: str, no_worker: bool, **options) -> None:
        if not os.environ.get("SITE_URL"):
            # Settings derived SITE_URL from CHOP_HOST/CHOP_PORT; when --host/--port differ (a
            # direct `chop run_platform --port 8100`), follow them here and in the children.
            os.environ["CHOP_HOST"], os.environ["CHOP_PORT"] = host, str(port)
            settings.SITE_URL = site_url_for(host, port)
        # one log format on the shared terminal: the server's (JSON) for every child, unless set
        os.environ.setdefault("CHOP_LOG_FORMAT", "json")
        children: list[subprocess.Popen] = []
        # SIGTERM (from a supervisor or `kill`) unwinds like Ctrl-C, through the finally below.
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            server = _start(["serve", "--host", host, "--port", str(port)])
            children.append(server)
            if not no_worker:
                children.extend(_start(command) for command in CLOCKS)
                pids = [c.pid for c in children[1:]]
                self.stdout.write(
                    f"Task worker started (pid {pids[0]}), "
                    f"provider retries every minute (pid {pids[1]}), "
                    f"contract expiry and reminders every hour (pid {pids[2]}), "
                    f"stamping-log tree heads every 10 minutes (pid {pids[3]}), "
                    f"webhook retries and grant expiries every minute (pid {pids[4]}), "
                    f"abandoned tasks queued again every minute (pid {pids[5]})."
                )
            self.stdout.write(f"Serving on {settings.SITE_URL}/  (Ctrl-C stops)")
            self.stdout.flush()
            code = server.wait()
            if code:
                raise CommandError(f"the web server stopped with exit code {code}")
        finally:
            # A second SIGTERM (a supervisor and a wrapper such as `uv run` both sending one, or
            # an impatient operator) must not cut the clean-up short and orphan the children.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            try:
                _stop_all(children, timeout=settings.CHOP_WEB_GRACEFUL_TIMEOUT + 5)
            finally:
                signal.signal(signal.SIGTERM, previous)
