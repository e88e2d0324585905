"""var/ is private: 0700 directories and 0600 files for the database, uploads and the outbox."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Runs with a permissive umask so the modes come from the code, not from the caller's umask.
SCRIPT = r"""
import json, os, stat, sys
os.umask(0o022)
import django
django.setup()
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from chop.accounts import outbox
from chop.orgs import notify

with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS t (x integer)")
    c.execute("INSERT INTO t VALUES (1)")
outbox.append({"to": "13900000000", "code": "123456"})
notify.send_message("sms", "13900000001", "s", "b")
name = default_storage.save("seals/2026/x.png", ContentFile(b"png"))
var = settings.VAR_DIR
paths = {
    "var": var,
    "db": settings.DATABASES["default"]["NAME"],
    "outbox": settings.CHOP_OUTBOX,
    "media_dir": settings.MEDIA_ROOT,
    "media_sub": os.path.dirname(default_storage.path(name)),
    "media_file": default_storage.path(name),
    "secret_key": var / "secret_key",
    "kek": var / "kek",
}
print(json.dumps({k: oct(stat.S_IMODE(os.stat(p).st_mode)) for k, p in paths.items()}))
"""


def test_var_database_media_and_outbox_are_private(tmp_path):
    var = tmp_path / "var"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "MEDIA_ROOT", "CHOP_OUTBOX", "SECRET_KEY", "CHOP_KEK")
    }
    env.update(CHOP_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="chop.settings")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    modes = json.loads(out.stdout.strip().splitlines()[-1])
    assert modes == {
        "var": "0o700",
        "db": "0o600",
        "outbox": "0o600",
        "media_dir": "0o700",
        "media_sub": "0o700",
        "media_file": "0o600",
        "secret_key": "0o600",
        "kek": "0o600",
    }


def test_existing_wide_var_and_outbox_are_tightened(tmp_path, settings):
    """An install from before this fix (var/ 0755, outbox 0644) is tightened on the next write."""
    from chop.accounts import outbox

    settings.CHOP_OUTBOX = tmp_path / "outbox.jsonl"
    settings.CHOP_OUTBOX.write_text("")
    settings.CHOP_OUTBOX.chmod(0o644)
    outbox.append({"to": "x", "code": "1"})
    assert stat.S_IMODE(settings.CHOP_OUTBOX.stat().st_mode) == 0o600


def test_chop_command_sets_a_private_umask(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["CHOP_VAR_DIR"] = str(tmp_path / "var")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "chop.manage",
            "shell",
            "-c",
            "import os; print(oct(os.umask(0)))",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "0o77"
