"""scripts/system-deps.sh waits for a held apt lock instead of failing at once (issue 8, item 9)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "system-deps.sh"


def _fake_apt(tmp_path: Path, fail_times: int, message: str) -> Path:
    """An apt-get that fails ``fail_times`` times with ``message``, then succeeds; logs its args."""
    fake = tmp_path / "apt-get"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        f'n=$(cat "{tmp_path}/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "{tmp_path}/count"\n'
        f'echo "$@" >> "{tmp_path}/calls"\n'
        f'if [ "$n" -le {fail_times} ]; then echo "{message}" >&2; exit 100; fi\n'
        "exit 0\n"
    )
    fake.chmod(0o755)
    return fake


def _run(tmp_path: Path, fake: Path, call: str, **env_extra: str):
    env = dict(os.environ, APT_GET=str(fake), CHOP_APT_LOCK_RETRY_SECONDS="0", **env_extra)
    return subprocess.run(
        ["bash", "-c", f'source "{SCRIPT}"; {call}'],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


LOCK = (
    "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)\n"
    "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), "
    "is another process using it?"
)


def test_update_and_install_wait_for_a_held_lock(tmp_path):
    fake = _fake_apt(tmp_path, fail_times=2, message=LOCK)
    out = _run(tmp_path, fake, "apt_update && apt_install qpdf")
    assert out.returncode == 0, out.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert len(calls) == 4  # update failed twice on the lock, then update and install ran
    assert all("-o DPkg::Lock::Timeout=600" in c for c in calls)
    assert calls[-2].endswith("update -qq")
    assert calls[-1].endswith("install -y -qq --no-install-recommends qpdf")
    assert out.stderr.count("apt is busy") == 2


def test_other_errors_fail_at_once_and_the_wait_is_bounded(tmp_path):
    fake = _fake_apt(tmp_path, fail_times=99, message="E: Unable to locate package nope")
    out = _run(tmp_path, fake, "apt_install nope")
    assert out.returncode == 100
    assert len((tmp_path / "calls").read_text().splitlines()) == 1

    (tmp_path / "calls").unlink()
    (tmp_path / "count").unlink()
    fake = _fake_apt(tmp_path, fail_times=99, message=LOCK)
    out = _run(tmp_path, fake, "apt_update", CHOP_APT_LOCK_WAIT="0")
    assert out.returncode == 100  # lock never released: gives up when the wait is spent
