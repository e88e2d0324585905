"""``chop run_platform --host H --port P``: the web server and the background-task worker together.

One command for ``make run``: it collects static files (served by the app itself when DEBUG is off,
see ``chop.views.static_files``), starts django-tasks-db's ``db_worker`` as a child process and
the clock that enqueues the provider retry every minute (``retry_providers --every 60``), the
contracts' clock (``expire_contracts --every 3600``: expiry at the deadline and the automatic
reminders every 3 days), the stamping log's clock (``publish_log --every 600``: a signed,
timestamped tree head whenever the log grew), the webhooks' clock (``webhook_clock --every 60``:
grant expiries and overdue deliveries), the tasks' reaper (``reap_tasks --every 60``: tasks
whose worker died are queued again), and runs Django's ``runserver`` without the auto-reloader in this process. When the server stops
(Ctrl-C or SIGTERM) both children are terminated too, so nothing is left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from chop.siteurl import DEFAULT_HOST, DEFAULT_PORT, site_url_for


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
            # direct `chop run_platform --port 8100`), follow them here and in the worker.
            os.environ["CHOP_HOST"], os.environ["CHOP_PORT"] = host, str(port)
            settings.SITE_URL = site_url_for(host, port)
        call_command("collectstatic", interactive=False, verbosity=0)
        children: list[subprocess.Popen] = []
        if not no_worker:
            for command in (
                ["db_worker"],
                ["retry_providers", "--every", "60"],
                ["expire_contracts", "--every", "3600"],
                ["publish_log", "--every", "600"],
                ["webhook_clock", "--every", "60"],
                ["reap_tasks", "--every", "60"],
            ):
                children.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "chop.manage", *command], env=os.environ.copy()
                    )
                )
            self.stdout.write(
                f"Task worker started (pid {children[0].pid}), "
                f"provider retries every minute (pid {children[1].pid}), "
                f"contract expiry and reminders every hour (pid {children[2].pid}), "
                f"stamping-log tree heads every 10 minutes (pid {children[3].pid}), "
                f"webhook retries and grant expiries every minute (pid {children[4].pid}), "
                f"abandoned tasks queued again every minute (pid {children[5].pid})."
            )
        # SIGTERM (from a supervisor or `kill`) unwinds like Ctrl-C, through the finally below.
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        addr = f"[{host}]" if ":" in host and not host.startswith("[") else host
        self.stdout.write(f"Serving on {settings.SITE_URL}/  (Ctrl-C stops)")
        try:
            call_command("runserver", f"{addr}:{port}", use_reloader=False)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            signal.signal(signal.SIGTERM, previous)
