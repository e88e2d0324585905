"""The attack from issue 8, item 1, replayed in Debian's chromium: an applicant uploads a PNG with
an HTML page appended, named ``letter.html``, as the authorisation letter; the operator opens it
from the console. Before the fix the page ran on the app's origin and approved the company. Now
the stored file is a re-encoded PNG under a random name, served as an image with a sandbox CSP:
nothing runs and the case stays pending."""

from __future__ import annotations

import pytest

from chop.accounts.models import User
from chop.orgs.models import Company, Membership, Role
from chop.verification.models import CompanyVerification
from tests.conftest import session_cookie

from .conftest import LEGAL_REP_ID, USCC, png_bytes

# What the attacker's page does when it runs: announce itself, then approve its own company
# through the operator's session (find the case, read the CSRF token, post "approve").
ATTACK = b"""
<html><body><script>
document.title = "pwned"; window.pwned = true; alert("pwned"); console.log("POLYGLOT-RAN");
fetch("/operator/").then(r => r.text()).then(html => {
  const m = html.match(/href="(\\/operator\\/company\\/\\d+\\/)"/);
  return fetch(m[1]).then(r => r.text()).then(page => {
    const token = page.match(/name="csrfmiddlewaretoken" value="([^"]+)"/)[1];
    const body = new URLSearchParams({csrfmiddlewaretoken: token, decision: "approve", reason: ""});
    return fetch(m[1], {method: "POST", body, headers: {"X-CSRFToken": token}});
  });
}).then(() => console.log("POLYGLOT-APPROVED"));
</script></body></html>
"""


@pytest.mark.browser
def test_operator_opens_a_polyglot_letter_and_nothing_runs(
    browser, live_server, screenshot, tmp_path
):
    base = live_server.url
    applicant = User.objects.create_user("13700137001", "Chop-e2e-pass-42", name="张三")
    company = Company.objects.create(name="深圳示例有限公司", created_by=applicant)
    Membership.objects.create(company=company, user=applicant, role=Role.OWNER)
    operator = User.objects.create_user(
        "ops@chop.test", "Chop-e2e-pass-42", name="审核员", is_staff=True
    )

    licence = tmp_path / "licence.png"
    licence.write_bytes(png_bytes(1200, 850, "business licence"))
    letter = tmp_path / "letter.html"
    letter.write_bytes(png_bytes(850, 1200, "authorisation letter") + ATTACK)

    evidence: list[str] = []

    def watch(page, tag="page"):
        page.on("console", lambda m: evidence.append(f"{tag} console: {m.text}"))
        page.on("dialog", lambda d: (evidence.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("pageerror", lambda e: evidence.append(f"pageerror: {e}"))

    # 1. the applicant submits the verification with the polyglot as the letter
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    ctx.add_cookies([session_cookie(applicant, base, company)])
    page = ctx.new_page()
    watch(page)
    page.goto(f"{base}/verify/company/")
    page.fill("#id_company_name", "深圳示例有限公司")
    page.fill("#id_uscc", USCC)
    page.fill("#id_legal_rep_name", "张三")
    page.fill("#id_legal_rep_id", LEGAL_REP_ID)
    page.set_input_files("#id_licence", str(licence))
    page.check("input[name=method][value=letter]")
    page.set_input_files("#id_letter", str(letter))
    page.locator("#company-form button[type=submit]").last.click()
    page.locator("#case-status").wait_for()
    ctx.close()
    case = CompanyVerification.objects.get(uscc=USCC)
    assert case.state == "pending_review"
    assert case.letter.name.endswith(".png") and "letter" not in case.letter.name.rsplit("/", 1)[1]

    # 2. the operator reviews the case and opens the letter in a new tab
    for width, height, label in ((1280, 900, "desktop"), (390, 844, "phone")):
        ops = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        ops.add_cookies([session_cookie(operator, base)])
        op = ops.new_page()
        watch(op)
        op.goto(f"{base}/operator/company/{case.pk}/")
        op.locator("img[alt]").first.wait_for()
        screenshot(op, f"operator-case-{label}")
        assert op.evaluate("document.documentElement.scrollWidth") <= width
        with ops.expect_page() as opened:
            op.locator(f"a[href='/operator/company/{case.pk}/file/letter/']").click()
        tab = opened.value
        watch(tab, "file")
        tab.wait_for_load_state("load")
        tab.wait_for_timeout(1500)  # give any script time to run its fetches
        screenshot(tab, f"letter-opened-{label}")
        assert tab.title() != "pwned"
        assert tab.evaluate("window.pwned === undefined")
        # Chromium shows an image document: a single <img> of the letter, nothing else.
        assert tab.evaluate("document.images.length") == 1
        assert tab.evaluate("document.images[0].naturalWidth") == 850
        ops.close()

    case.refresh_from_db()
    assert case.state == "pending_review"
    assert not [e for e in evidence if "POLYGLOT" in e or "pwned" in e], evidence
    # The app's own pages break no CSP rule. (In the file's tab, the sandbox CSP also blocks the
    # inline style of chromium's own image viewer; that is expected and harmless.)
    assert not [e for e in evidence if "Content Security Policy" in e and e.startswith("page")]
