"""``chop serve`` for real: gunicorn with 2 workers on a free port, on the test database, answering
probes, a page and a compressed static file, counting across workers, stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings

from chop.platform.management.commands.serve import Command, bind_address


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(settings_dict: dict) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return "sqlite:///" + str(Path(settings_dict["NAME"]).resolve())
    user = quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def test_database_url(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import connection

        return _database_url(connection.settings_dict)


@pytest.mark.slow
def test_chop_serve_two_workers_answers_and_stops_on_sigterm(test_database_url, tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHOP_", "PROMETHEUS_", "SITE_URL"))
    }
    # the platform CA is in the test database, under the session's KEK
    env.update(
        DATABASE_URL=test_database_url,
        CHOP_VAR_DIR=str(tmp_path / "var"),
        CHOP_KEK=settings.CHOP_KEK,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "chop.manage", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "chop serve did not answer within 90 s"
            try:
                health = requests.get(base + "/healthz", timeout=30)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert health.status_code == 200 and health.text == "ok"
        assert len(_children(proc.pid)) == 2  # gunicorn's master (exec'd in place) and 2 workers
        workers = _children(proc.pid)

        for _ in range(9):
            assert requests.get(base + "/healthz", timeout=30).status_code == 200
        page = requests.get(base + "/accounts/login/", timeout=30)
        assert page.status_code == 200 and "<form" in page.text
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        static = requests.get(
            base + "/static/chop/htmx.min.js", headers={"Accept-Encoding": "gzip"}, timeout=30
        )
        assert static.status_code == 200 and static.headers["Content-Encoding"] == "gzip"
        assert "max-age=3600" in static.headers["Cache-Control"]
        ready = requests.get(base + "/readyz", timeout=30)
        assert ready.status_code == 200, ready.text

        # counted in both workers, added up from their files by whichever answers the scrape
        from prometheus_client.parser import text_string_to_metric_families

        text = requests.get(base + "/metrics", timeout=30).text
        healthz = sum(
            s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == "chop_http_requests_total" and s.labels["route"] == "healthz"
        )
        assert healthz == 10
        files = list((tmp_path / "var" / "prometheus").glob("*.db"))
        assert files and {int(f.stem.rsplit("_", 1)[1]) for f in files} <= workers
        refused = requests.get(
            base + "/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=30
        )
        assert refused.status_code == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=45)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
    assert proc.returncode == 0, err
    assert not any(_alive(pid) for pid in workers)
    assert f"Serving on http://127.0.0.1:{port}/ with gunicorn: 2 worker(s)" in out
    # the log: one JSON object per line, the access lines with the request's id
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "chop.request"]
    assert {line["route"] for line in access} >= {"healthz", "accounts:login", "static", "readyz"}
    assert all(len(line["request_id"]) == 32 for line in access)
    assert any("Handling signal: term" in line["message"] for line in lines)


def test_gunicorn_command_line_follows_settings(settings):
    settings.CHOP_WEB_TIMEOUT = 77
    settings.CHOP_WEB_GRACEFUL_TIMEOUT = 12
    settings.CHOP_WEB_MAX_REQUESTS = 500
    argv = Command().gunicorn_argv("::", "8123", 3, 4)

    def flag(name: str) -> str:
        return argv[argv.index(name) + 1]

    assert argv[:3] == [sys.executable, "-m", "gunicorn"]
    assert argv[-1] == "chop.wsgi:application"
    assert flag("--bind") == "[::]:8123" and flag("--workers") == "3"
    assert flag("--threads") == "4" and flag("--timeout") == "77"
    assert flag("--graceful-timeout") == "12" and flag("--max-requests") == "500"
    assert flag("--config") == "python:chop.platform.gunicorn_conf"
    assert bind_address("127.0.0.1", 80) == "127.0.0.1:80"
