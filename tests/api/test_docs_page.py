"""/api/docs: Swagger UI from django-ninja's own static files, public, under the site's CSP."""

from __future__ import annotations

import re

import pytest


def test_docs_page_is_public_local_and_under_the_site_csp(client, db):
    from chop.security import CSP

    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CSP  # nothing relaxed
    html = response.content.decode()
    assert '<script id="swagger-settings" type="application/json">' in html
    assert '"/api/v1/openapi.json"' in html
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/ninja/") for s in sources), sources
    assert "<script>" not in html and "style=" not in html  # no inline script or style
    assert not re.search(r"https?://", html)  # no CDN


WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_renders_the_operations_without_csp_violations(browser, live_server, screenshot):
    problems: list[str] = []
    for width, height, name in ((1280, 900, "desktop"), (390, 844, "phone")):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.add_init_script(WATCH_CSP)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{live_server.url}/api/docs")
        page.wait_for_selector(".opblock-summary", state="visible")
        text = page.inner_text("#swagger-ui")
        for summary in (
            "List seals",
            "Grant a seal",
            "List stamping records",
            "Request an evidence report",
            "Verify a signed PDF",
        ):
            assert summary in text, summary
        assert page.locator(".opblock").count() >= 13
        assert page.locator("button.authorize").count() == 1  # the Bearer key goes here
        screenshot(page, f"{name}-list")
        # open one operation: its parameters and responses (problem+json included) render
        page.locator(".opblock-summary", has_text="List seals").first.click()
        page.wait_for_selector(".opblock.is-open .parameters", state="visible")
        assert (
            "ProblemOut" in page.inner_text(".opblock.is-open")
            or page.locator(".opblock.is-open .responses-table").count()
        )
        screenshot(page, f"{name}-operation")
        if name == "phone":
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"sideways scroll of {overflow}px"
        problems.extend(page.evaluate("window.__csp"))
        context.close()
    assert problems == [], problems
