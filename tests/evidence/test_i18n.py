"""The evidence catalogue (src/chop/evidence/locale, zh_Hans) is complete and compiled."""

from __future__ import annotations

import gettext
from pathlib import Path

import chop.evidence
from tests.orgs.test_i18n import po_entries

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
    import tests.orgs.test_i18n as project

    monkeypatch.setattr(project, "LOCALE", LOCALE)
    entries = po_entries()
    assert len(entries) >= 3
    assert [m for m, t in entries.items() if not t] == []
    assert (
        "fuzzy" not in LOCALE.joinpath("django.po").read_text(encoding="utf-8").split("\n\n", 1)[1]
    )
    with LOCALE.joinpath("django.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for msgid, msgstr in entries.items():
        assert msgstr in (
            mo.gettext(msgid),
            mo.ngettext(msgid, msgid, 1),
            *(mo.pgettext(c, msgid) for c in CONTEXTS),
        ), msgid
