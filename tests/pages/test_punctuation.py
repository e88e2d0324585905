"""Chinese text uses full-width punctuation: "姓名：" not "姓名:" (issue 9 §8, polish).

Every zh_Hans msgstr and every template is scanned for an ASCII : , ( ) ; ? ! touching a CJK
character. Placeholders, URLs and clock times (12:30) are not prose and are left out."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

SRC = Path(settings.PACKAGE_DIR)
CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
# ASCII punctuation directly before or after a CJK character (a space between counts as touching)
MIXED = re.compile(rf"{CJK} ?[:,();?!]|[:,();?!] ?{CJK}")
NOT_PROSE = re.compile(
    r"%\([^)]*\)[sdif]|%[sdif]|\{[^{}]*\}|https?://\S+|\b\d{1,2}:\d{2}\b|\{%.*?%\}|\{\{.*?\}\}"
)


def msgstrs(po: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) for every live entry and plural form, parsed without extra libraries."""
    out = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            m = re.match(r"^(msgid|msgid_plural|msgstr(?:\[\d\])?) (\".*\")$", line)
            if m:
                key = m.group(1)
                fields[key] = ast.literal_eval(m.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        for k, v in fields.items():
            if k.startswith("msgstr") and fields.get("msgid"):
                out.append((fields["msgid"], v))
    return out


def offences(text: str) -> list[str]:
    return MIXED.findall(NOT_PROSE.sub("X", text))


def test_the_scanner_sees_ascii_punctuation_in_chinese():
    assert offences("姓名: 张三") and offences("(可选)") and offences("完成!")
    assert (
        not offences("姓名：张三") and not offences("%(name)s，你好") and not offences("12:30 到期")
    )


def test_chinese_translations_use_full_width_punctuation():
    catalogues = sorted(SRC.rglob("zh_Hans/LC_MESSAGES/django.po"))
    assert len(catalogues) >= 4
    bad = [
        (po.relative_to(SRC).parts[0], msgid, msgstr)
        for po in catalogues
        for msgid, msgstr in msgstrs(po)
        if offences(msgstr)
    ]
    assert bad == []


def test_chinese_in_templates_uses_full_width_punctuation():
    bad = []
    for template in sorted(SRC.rglob("templates/**/*.html")):
        for n, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            if offences(line):
                bad.append(f"{template.relative_to(SRC)}:{n}: {line.strip()}")
    assert bad == []


def test_rendered_chinese_pages_use_full_width_punctuation(db, client, settings):
    """What the user reads, after Django adds its own bits such as the label suffix."""
    from django.urls import reverse

    from chop.accounts.models import User
    from chop.orgs.access import SESSION_KEY
    from chop.orgs.models import Company, Membership, Role

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = User.objects.create_user("13900000021", "s3cret-pass-1", name="张伟")
    company = Company.objects.create(name="深圳示例有限公司", created_by=user)
    Membership.objects.create(company=company, user=user, role=Role.OWNER)
    urls = [reverse("accounts:login"), reverse("accounts:register"), reverse("accounts:reset")]
    anonymous = [client.get(u).content.decode() for u in urls]
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = company.pk
    session.save()
    urls = [
        reverse("workbench"),
        reverse("company_create"),
        reverse("company_members", args=[company.pk]),
        reverse("verification:person"),
        reverse("verification:company"),
        reverse("records"),
        reverse("seals"),
    ]
    pages = anonymous + [client.get(u).content.decode() for u in urls]
    text = [
        re.sub(r"<[^>]+>", "\n", re.sub(r"(?s)<(script|style)\b.*?</\1>", "", p)) for p in pages
    ]
    assert "姓名：" in text[-4], "the label suffix"
    bad = [line for t in text for line in t.splitlines() if offences(line)]
    assert bad == []
