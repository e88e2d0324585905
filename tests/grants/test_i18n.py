"""The grants catalogue (src/chop/grants/locale, zh_Hans) is complete and compiled."""

from __future__ import annotations

from pathlib import Path

import chop.grants
from tests.orgs.test_i18n import assert_catalogue_complete

# msgctxts: state words ("Active", "Expired", ...) mean different things for a grant, a use
# request and an auto-sign authorisation
CONTEXTS = ("grant state", "use request state", "auto-sign state", "grants")
LOCALE = Path(chop.grants.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_grants_string_is_translated_and_compiled(monkeypatch):
    assert_catalogue_complete(LOCALE, CONTEXTS, at_least=20, monkeypatch=monkeypatch)
