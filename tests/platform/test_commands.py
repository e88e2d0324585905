"""``chop seed_demo`` (idempotent) and ``chop run_platform`` (server plus worker and clocks, reaped)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys

import pytest
from django.contrib.auth.hashers import check_password
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from chop.accounts.models import User
from chop.audit.models import AuditEvent
from chop.orgs.models import Company, Membership, Role


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> tuple:
    return (
        sorted(User.objects.values_list("login", "name", "is_staff", "password")),
        sorted(Company.objects.values_list("name", "status")),
        sorted(Membership.objects.values_list("user__login", "company__name", "role")),
        AuditEvent.objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_and_is_idempotent(settings, monkeypatch):
    monkeypatch.delenv("CHOP_DEMO_PASSWORD", raising=False)
    settings.SITE_URL = "http://demo.example:8000"
    first = seed()
    state = snapshot()
    company = Company.objects.get(name="上海示例科技有限公司")
    # its verification was submitted by the seed and waits for the demo operator
    assert company.status == Company.Status.PENDING
    roles = dict(company.memberships.values_list("user__login", "role"))
    assert roles == {
        "13800000001": Role.OWNER,
        "13800000002": Role.SEAL_KEEPER,
        "13800000003": Role.MEMBER,
        "13800000004": Role.SEAL_APPROVER,
    }
    operator = User.objects.get(login="operator@chop.local")
    assert operator.is_staff and not operator.memberships.exists()
    assert check_password("demo-pass-2026", operator.password)
    assert "demo-pass-2026" in first and "http://demo.example:8000/" in first
    assert "13800000001" in first and "operator@chop.local" in first

    # a draft contract with its 4 pages rendered, ready for parties and positions
    from chop.contracts import positions, previews
    from chop.contracts.models import Contract

    contract = Contract.objects.get(company=company)
    version = contract.current_version()
    assert contract.is_draft and version.page_count == 4
    assert version.created_by.login == "13800000002"
    assert f"http://demo.example:8000/contracts/{contract.pk}/" in first
    assert [h["page"] for h in positions.keyword_hits(version, "乙方（盖章）")] == [4]
    assert default_storage.exists(previews.preview_name(version.pk, previews.THUMB, 4))

    assert seed() == first
    assert snapshot() == state
    assert Contract.objects.count() == 1


@pytest.mark.django_db
def test_seed_demo_password_from_env_and_existing_passwords_are_kept(monkeypatch):
    monkeypatch.setenv("CHOP_DEMO_PASSWORD", "another-pass-77")
    out = seed()
    assert "another-pass-77" in out
    user = User.objects.get(login="13800000002")
    assert check_password("another-pass-77", user.password)
    user.set_password("changed-by-lina-1")
    user.save()
    out = seed()
    user.refresh_from_db()
    assert check_password("changed-by-lina-1", user.password)
    assert "not reset" in out


CLOCKS = [
    ["db_worker"],
    ["retry_providers", "--every", "60"],
    ["expire_contracts", "--every", "3600"],
    ["publish_log", "--every", "600"],
    ["webhook_clock", "--every", "60"],
    ["reap_tasks", "--every", "60"],
]


@pytest.fixture
def fake_children(monkeypatch, settings):
    """``run_platform``'s children replaced by sleeping processes; ``on_wait`` says what happens
    while it waits for the server (the operator's Ctrl-C, a supervisor's SIGTERM)."""
    from chop.platform.management.commands import run_platform

    # run_platform points SITE_URL and the children's environment at the port it serves: keep
    # those changes inside this test.
    settings.SITE_URL = settings.SITE_URL
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setenv("CHOP_HOST", "127.0.0.1")
    monkeypatch.setenv("CHOP_PORT", "8000")
    monkeypatch.setenv("CHOP_LOG_FORMAT", "unset")  # so that teardown puts back what was there
    monkeypatch.delenv("CHOP_LOG_FORMAT")
    state = {"commands": [], "started": [], "on_wait": None}
    real_popen = subprocess.Popen

    class Child(real_popen):
        def wait(self, timeout=None):
            if self is state["started"][0] and state["on_wait"] is not None:
                action, state["on_wait"] = state["on_wait"], None
                # the server and every clock run while run_platform waits for the server
                assert len(state["started"]) == 7
                assert all(p.poll() is None for p in state["started"])
                action(self)
            return super().wait(timeout)

    def fake_popen(cmd, **kwargs):
        assert cmd[:3] == [sys.executable, "-m", "chop.manage"]
        state["commands"].append(cmd[3:])
        proc = Child([sys.executable, "-c", "import time; time.sleep(60)"])
        state["started"].append(proc)
        return proc

    monkeypatch.setattr(run_platform.subprocess, "Popen", fake_popen)
    return state


def test_run_platform_serves_with_chop_serve_and_stops_everything_on_ctrl_c(
    fake_children, settings
):
    def ctrl_c(server):
        raise KeyboardInterrupt

    fake_children["on_wait"] = ctrl_c
    before = signal.getsignal(signal.SIGTERM)
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        call_command("run_platform", host="::1", port="8123", stdout=out)
    # The banner, the links and the children all use the address actually served.
    assert "Serving on http://[::1]:8123/" in out.getvalue()
    assert settings.SITE_URL == "http://[::1]:8123"
    assert os.environ["CHOP_PORT"] == "8123"
    assert os.environ["CHOP_LOG_FORMAT"] == "json"  # the children log like the server
    # the production server (gunicorn through `chop serve`), not runserver, then the clocks
    assert fake_children["commands"] == [["serve", "--host", "::1", "--port", "8123"], *CLOCKS]
    assert all(p.poll() is not None for p in fake_children["started"])  # none left running
    assert signal.getsignal(signal.SIGTERM) is before  # and the process's handler is restored


def test_run_platform_stops_everything_on_sigterm(fake_children):
    def supervisor_stops(server):
        os.kill(os.getpid(), signal.SIGTERM)

    fake_children["on_wait"] = supervisor_stops
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exit_:
        call_command("run_platform", host="127.0.0.1", port="8124", stdout=io.StringIO())
    assert exit_.value.code == 0
    started = fake_children["started"]
    assert len(started) == 7 and all(p.poll() is not None for p in started)
    assert signal.getsignal(signal.SIGTERM) is before


def test_run_platform_fails_when_the_server_exits_and_stops_the_clocks(fake_children):
    def server_dies(server):
        server.kill()  # e.g. the port is taken

    fake_children["on_wait"] = server_dies
    with pytest.raises(CommandError, match="web server stopped"):
        call_command("run_platform", host="127.0.0.1", port="8125", stdout=io.StringIO())
    assert all(p.poll() is not None for p in fake_children["started"])


def test_a_second_sigterm_during_the_clean_up_orphans_nothing(fake_children):
    """A supervisor and a wrapper (``uv run``) may each send SIGTERM: the second one arrives
    while the children are being stopped and must not cut that short."""

    def supervisor_stops(server):
        real_terminate = server.terminate

        def terminate_and_signal_again():
            os.kill(os.getpid(), signal.SIGTERM)
            real_terminate()

        server.terminate = terminate_and_signal_again
        os.kill(os.getpid(), signal.SIGTERM)

    fake_children["on_wait"] = supervisor_stops
    with pytest.raises(SystemExit):
        call_command("run_platform", host="127.0.0.1", port="8126", stdout=io.StringIO())
    started = fake_children["started"]
    assert len(started) == 7 and all(p.poll() is not None for p in started)
