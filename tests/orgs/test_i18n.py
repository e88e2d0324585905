"""The project catalogue (src/chop/locale, zh_Hans) is complete, compiled, and used by the pages."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.PACKAGE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def po_entries() -> dict[str, str]:
    """msgid → msgstr (first plural form) of every live entry, parsed without extra libraries."""
    entries: dict[str, str] = {}
    for block in LOCALE.joinpath("django.po").read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            m = re.match(r"^(msgid|msgid_plural|msgstr(?:\[0\])?) (\".*\")$", line)
            if m:
                key = m.group(1).replace("[0]", "")
                fields[key] = ast.literal_eval(m.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            entries[fields["msgid"]] = fields.get("msgstr", "")
    return entries


def assert_catalogue_complete(
    locale: Path, contexts: tuple[str, ...] = (), *, at_least: int = 1, monkeypatch=None
) -> None:
    """An app's catalogue in ``locale`` is complete, has no fuzzy entry, and its compiled .mo
    gives every translation (directly, as a plural, or under one of ``contexts``)."""
    import tests.orgs.test_i18n as project

    monkeypatch.setattr(project, "LOCALE", locale)
    entries = po_entries()
    assert len(entries) >= at_least
    assert [m for m, t in entries.items() if not t] == []
    assert (
        "fuzzy" not in locale.joinpath("django.po").read_text(encoding="utf-8").split("\n\n", 1)[1]
    )
    with locale.joinpath("django.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for msgid, msgstr in entries.items():
        assert msgstr in (
            mo.gettext(msgid),
            mo.ngettext(msgid, msgid, 1),
            *(mo.pgettext(c, msgid) for c in contexts),
        ), msgid


def test_every_string_is_translated_and_compiled():
    entries = po_entries()
    assert len(entries) > 150
    assert [m for m, t in entries.items() if not t] == []
    assert (
        "fuzzy" not in LOCALE.joinpath("django.po").read_text(encoding="utf-8").split("\n\n", 1)[1]
    )
    with LOCALE.joinpath("django.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for msgid, msgstr in entries.items():
        assert mo.gettext(msgid) == msgstr or mo.ngettext(msgid, msgid, 1) == msgstr, msgid


def test_pages_are_chinese_by_default_and_english_on_request(make_user, make_company, login):
    user = make_user("张伟")
    company = make_company("示例公司", owner=user)
    c = login(user, company)
    zh = c.get(f"/companies/{company.pk}/members/").content.decode()
    assert "邀请成员" in zh and "用印记录" in zh and "Invite a member" not in zh
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = c.get(f"/companies/{company.pk}/members/").content.decode()
    assert "Invite a member" in en and "邀请成员" not in en
