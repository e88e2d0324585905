"""The evidence catalogue (src/chop/evidence/locale, zh_Hans) is complete and compiled."""

from __future__ import annotations

from pathlib import Path

import chop.evidence
from tests.orgs.test_i18n import assert_catalogue_complete

# msgctxts: short state words mean different things elsewhere
CONTEXTS = (
    "evidence report state",
    "evidence",
    # evidence reports
    "evidence report",
    "button",
    # the public verification page
    "signature check",
    "certificate",
    "provenance",
    "changes after a signature",
    # monitoring
    "chart series",
    "chart count",
    "list separator",
    "stamp record",
)
LOCALE = Path(chop.evidence.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_evidence_string_is_translated_and_compiled(monkeypatch):
    assert_catalogue_complete(LOCALE, CONTEXTS, at_least=3, monkeypatch=monkeypatch)
