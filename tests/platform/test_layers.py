"""The layers of issue 9 §1 and §7, checked from the test suite as well as by ``make lint``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import chop

SRC = Path(chop.__file__).parent
ROOT = SRC.parent.parent
ENGINES = ("sealart", "pdfsign", "pki", "identity", "ledger", "bench")


def test_import_contracts_are_kept():
    """Engines without Django or apps, audit importing no app, the apps in layers (no cycles)."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "3 kept, 0 broken" in done.stdout


def test_no_project_management_remarks_in_the_apps():
    pattern = re.compile(r"later issue|its issue|\bissue \d|until .{0,40}\bbuilds\b", re.I)
    found = []
    for path in SRC.rglob("*"):
        rel = path.relative_to(SRC)
        if path.suffix not in (".py", ".html") or rel.parts[0] in ENGINES:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_readme_names_no_page_that_is_a_404():
    from django.urls import Resolver404, resolve

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in ("/api/docs", "/api/"):
        if path in readme and "nothing is served under /api/" not in readme:
            try:
                resolve(path)
            except Resolver404:
                raise AssertionError(f"README names {path}, which is a 404") from None
