"""The public verification page (验签, ``/verify-pdf/``): no login, any PDF, nothing kept.

Every check (an upload, a verification code typed in, or a ``?code=`` link from an evidence
report's QR code) counts towards the visitor's address in ``chop.accounts.ratelimit``; past the
limit the page answers 429 with ``Retry-After``. An uploaded file's SHA-256 is counted there too
(its own key), which is the only trace the file leaves: the bytes are never stored or served.
"""

from __future__ import annotations

import math

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from chop.accounts import ratelimit
from chop.audit.events import client_ip
from chop.contracts import documents

from . import verifying

TEMPLATE = "evidence/verify_pdf.html"


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("Signed PDF"),
        error_messages={"required": _("Choose the PDF to check.")},
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    code = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)


class CodeForm(forms.Form):
    sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("Contract verification code"),
        max_length=32,
        error_messages={"required": _("Enter the contract's verification code.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def _limits() -> tuple[int, int]:
    return (
        int(settings.CHOP_VERIFY_PDF_PER_IP),
        int(settings.CHOP_VERIFY_PDF_WINDOW_SECONDS),
    )


def _count(request: HttpRequest) -> ratelimit.Window:
    limit, window = _limits()
    return ratelimit.hit(f"verify-pdf:ip:{client_ip(request) or '-'}", limit=limit, window=window)


def _log_file(sha256: str) -> None:
    """The file's fingerprint in the rate-limit log (never the file, never its name)."""
    limit, window = _limits()
    ratelimit.hit(f"verify-pdf:file:{sha256}", limit=limit, window=window)


def _too_many(request: HttpRequest, window: ratelimit.Window, context: dict) -> HttpResponse:
    minutes = max(1, math.ceil(window.retry_after / 60))
    context["error"] = ngettext(
        "Too many checks from your network. Please try again in %(minutes)s minute.",
        "Too many checks from your network. Please try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}
    response = render(request, TEMPLATE, context, status=429)
    response["Retry-After"] = str(window.retry_after)
    return response


def _evidence_path(code: str) -> str:
    return reverse("evidence_summary", args=[code])


@require_http_methods(["GET", "POST"])
def verify_pdf(request: HttpRequest) -> HttpResponse:
    code = verifying.normalise_code(request.POST.get("code") or request.GET.get("code"))
    context: dict = {
        "title": _("Verify a signed PDF"),
        "form": VerifyForm(initial={"code": code}),
        "max_mb": documents.max_bytes() // documents.MB,
        "code": code,
    }
    if request.method == "GET":
        if code:
            window = _count(request)
            if not window.allowed:
                return _too_many(request, window, context)
            context["code_contract"] = verifying.contract_for_code(code)
            context["code_unknown"] = context["code_contract"] is None
        return render(request, TEMPLATE, context)

    window = _count(request)
    if not window.allowed:
        return _too_many(request, window, context)
    if request.POST.get("action") == "code":
        return _check_code(request, context)
    form = VerifyForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    try:
        result = verifying.check_upload(form.cleaned_data["file"])
    except verifying.Refused as exc:
        context["error"] = exc.message
        return render(request, TEMPLATE, context, status=400)
    _log_file(result.sha256)
    context["result"] = result
    context.update(_known_context(result.sha256, result.known, code))
    return render(request, TEMPLATE, context)


def _known_context(sha256: str, known: verifying.Known | None, code: str) -> dict:
    """What the page may say about a file that is a contract's version: its number; with the
    contract's own code, the way to its evidence; with a wrong code, only that it is wrong."""
    if known is None:
        return {}
    ctx: dict = {"known": known, "code_form": CodeForm(initial={"sha256": sha256})}
    if code:
        contract = verifying.contract_for_code(code)
        if contract is not None and contract.pk == known.contract_id:
            ctx["evidence_url"] = _evidence_path(code)
        else:
            ctx["code_form"] = CodeForm(initial={"sha256": sha256, "code": code})
            ctx["code_wrong"] = True
    return ctx


def _check_code(request: HttpRequest, context: dict) -> HttpResponse:
    form = CodeForm(request.POST)
    if not form.is_valid():
        sha = request.POST.get("sha256", "")
        context["known"] = verifying.known_document(sha) if len(sha) == 64 else None
        context["code_form"] = form
        return render(request, TEMPLATE, context, status=400)
    sha256 = form.cleaned_data["sha256"]
    known = verifying.known_document(sha256)
    if known is None:
        context["error"] = _("Upload the PDF again to check it.")
        return render(request, TEMPLATE, context, status=400)
    code = verifying.normalise_code(form.cleaned_data["code"])
    context.update(_known_context(sha256, known, code))
    context["code"] = code
    return render(request, TEMPLATE, context, status=400 if context.get("code_wrong") else 200)
