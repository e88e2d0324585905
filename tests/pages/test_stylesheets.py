"""The stylesheets parse: every block that opens is closed, and none closes twice.

Helpers append their own sections to the shared ``chop.css`` and merges union them; once a merge
dropped the ``}`` that closed a phone-only ``@media`` block, and every section after it (the
stamping log, the stamping records' filters and charts) applied on phones only. Browsers do not
complain about that, so this test does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "chop"
SHEETS = sorted(p for p in SRC.rglob("*.css") if "node_modules" not in p.parts)


def _unbalanced(css: str) -> list[str]:
    """Where braces go wrong, as ``line N: ...`` messages (comments and strings left out)."""
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), css, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', '""', text)
    problems, opened = [], []
    for number, line in enumerate(text.split("\n"), 1):
        for ch in line:
            if ch == "{":
                opened.append(number)
            elif ch == "}":
                if not opened:
                    problems.append(f"line {number}: a '}}' closes nothing")
                else:
                    opened.pop()
    problems += [f"line {n}: this '{{' is never closed" for n in opened]
    return problems


def test_the_checker_finds_an_unclosed_media_block():
    css = "a { color: red; }\n@media (max-width: 520px) {\n  a { color: blue; }\n\nb { x: y; }\n"
    assert _unbalanced(css) == ["line 2: this '{' is never closed"]
    assert _unbalanced("a { content: '}'; } /* { */") == []
    assert _unbalanced("a { }\n}") == ["line 2: a '}' closes nothing"]


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda p: str(p.relative_to(SRC)))
def test_every_block_is_closed(sheet: Path):
    assert SHEETS, "no stylesheet found"
    assert _unbalanced(sheet.read_text(encoding="utf-8")) == []
