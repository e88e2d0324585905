"""Verification pages for applicants, and the operator console for platform staff."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from chop.audit.events import client_ip, record
from chop.identity import mask_id_number
from chop.orgs import permissions
from chop.orgs.access import user_decision_or_404

from . import services
from .forms import CompanyForm, DecisionForm, DepositForm, PersonForm
from .holding import Holding
from .letter import LetterData, render_letter
from .models import CompanyVerification, Evidence, PersonVerification
from .states import OPEN_STATES, InvalidTransition, State


def _may_verify_company(request) -> bool:
    return permissions.can_start_verification(getattr(request, "membership", None))


@login_required
def home(request):
    person = PersonVerification.objects.filter(applicant=request.user).first()
    company_case = None
    if request.company is not None:
        company_case = CompanyVerification.objects.filter(company=request.company).first()
    return render(
        request,
        "verification/home.html",
        {
            "nav": "workbench",
            "person": person,
            "company_case": company_case,
            "may_verify_company": _may_verify_company(request),
        },
    )


@login_required
def person(request):
    latest = PersonVerification.objects.filter(applicant=request.user).first()
    holding = Holding(request.session, "person")
    if request.method == "POST":
        form = PersonForm(request.POST, request.FILES, holding=holding)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.submit_person(
                    request.user,
                    services.PersonInput(
                        name=d["name"],
                        id_number=d["id_number"],
                        id_number_masked=form.masked_id,
                        phone=d["phone"],
                        id_front=d["id_front"],
                        id_back=d["id_back"],
                    ),
                    request=request,
                )
            except services.VerificationError as exc:
                form.add_error(None, str(exc))
            else:
                holding.release()
                messages.success(request, _("Submitted. You will be told the outcome."))
                return redirect("verification:person")
        else:
            # keep what passed its checks for the corrected resubmit; a refusal by the
            # service (e.g. the USCC was taken meanwhile) keeps nothing
            form.hold_valid_uploads()
    else:
        initial = {"name": request.user.name, "phone": request.user.phone or ""}
        form = PersonForm(initial=initial, holding=holding)
    show_form = latest is None or latest.state in (State.REJECTED, State.EXPIRED)
    return render(
        request,
        "verification/person.html",
        {
            "nav": "workbench",
            "form": form,
            "case": latest,
            "show_form": show_form,
        },
    )


@login_required
@require_POST
def send_phone_code(request):
    """htmx: send a confirmation code to the phone typed in the person form."""
    from chop.accounts import otp, ratelimit
    from chop.identity import validate_mobile

    result = validate_mobile(request.POST.get("phone", ""))
    if not result.valid:
        from chop.explain import explain

        return HttpResponse(format_html('<span class="errorlist">{}</span>', explain(result)))
    # Each code is an SMS to a number the user typed: bounded per user and per address a minute
    # (the daily caps in otp bound the rest).
    for key, limit in (
        (f"verify-code:user:{request.user.pk}", settings.CHOP_VERIFY_CODE_PER_USER_PER_MINUTE),
        (f"verify-code:ip:{client_ip(request)}", settings.CHOP_VERIFY_CODE_PER_IP_PER_MINUTE),
    ):
        window = ratelimit.hit(key, limit=limit, window=60)
        if not window.allowed:
            return HttpResponse(
                format_html(
                    '<span class="errorlist">{}</span>', otp.TooSoon(window.retry_after).message
                )
            )
    try:
        otp.issue_code(result.normalized, "confirm", request=request)
    except otp.OtpError as exc:
        return HttpResponse(format_html('<span class="errorlist">{}</span>', str(exc)))
    return HttpResponse(format_html('<span class="helptext">{}</span>', _("Code sent.")))


def _case_company(kind: str, case):
    """Whose records an operator's action on ``case`` belongs to: the company for a company
    case, nobody's for a person's (never the operator's own active company)."""
    return case.company if kind == "company" else None


def _active_company_or_404(request):
    if request.company is None:
        raise Http404
    return request.company


@login_required
def company(request):
    company = _active_company_or_404(request)
    latest = CompanyVerification.objects.filter(company=company).first()
    may = _may_verify_company(request)
    holding = Holding(request.session, f"company-{company.pk}")
    if request.method == "POST":
        if not may:
            raise PermissionDenied
        form = CompanyForm(request.POST, request.FILES, holding=holding)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.submit_company(
                    request.user,
                    company,
                    services.CompanyInput(
                        company_name=d["company_name"],
                        uscc=d["uscc"],
                        legal_rep_name=d["legal_rep_name"],
                        legal_rep_id=d["legal_rep_id"],
                        legal_rep_id_masked=mask_id_number(d["legal_rep_id"]),
                        licence=d["licence"],
                        method=d["method"],
                        letter=d.get("letter"),
                        bank_account_name=d.get("bank_account_name", ""),
                        bank_name=d.get("bank_name", ""),
                        bank_account=d.get("bank_account", ""),
                    ),
                    request=request,
                )
            except services.VerificationError as exc:
                form.add_error(None, str(exc))
            else:
                holding.release()
                messages.success(request, _("Submitted. You will be told the outcome."))
                return redirect("verification:company")
        else:
            # keep what passed its checks for the corrected resubmit; a refusal by the
            # service (e.g. the USCC was taken meanwhile) keeps nothing
            form.hold_valid_uploads()
    else:
        form = CompanyForm(
            initial={"company_name": company.name, "method": "legal_rep"}, holding=holding
        )
    show_form = may and (latest is None or latest.state in (State.REJECTED, State.EXPIRED))
    return render(
        request,
        "verification/company.html",
        {
            "nav": "workbench",
            "form": form,
            "case": latest,
            "show_form": show_form,
            "may_verify": may,
            "deposit_form": DepositForm(),
            "person_case": services.approved_person_case(request.user),
        },
    )


@login_required
def letter_pdf(request):
    """The authorisation letter filled in with what the applicant typed, as a PDF to print."""
    company = _active_company_or_404(request)
    form = CompanyForm(request.GET)
    form.is_valid()  # only the fields needed here must be valid
    errors = {
        k: v for k, v in form.errors.items() if k in ("company_name", "uscc", "legal_rep_name")
    }
    if errors or not all(
        form.cleaned_data.get(k) for k in ("company_name", "uscc", "legal_rep_name")
    ):
        messages.error(
            request,
            _(
                "Fill in the company name, the credit code and the legal "
                "representative first; the letter is filled in with them."
            ),
        )
        return redirect("verification:company")
    person = services.approved_person_case(request.user)
    pdf = render_letter(
        LetterData(
            company_name=form.cleaned_data["company_name"],
            uscc=form.cleaned_data["uscc"],
            legal_rep_name=form.cleaned_data["legal_rep_name"],
            agent_name=person.name if person else (request.user.name or request.user.login),
            agent_contact=request.user.masked_login,
        )
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="authorisation-letter-{company.pk}.pdf"'
    )
    return response


@login_required
@require_POST
def deposit(request, case_id: int):
    company = _active_company_or_404(request)
    case = get_object_or_404(CompanyVerification, pk=case_id, company=company)
    if not _may_verify_company(request):
        raise Http404
    form = DepositForm(request.POST)
    if form.is_valid():
        try:
            ok = services.enter_deposit(
                case, form.cleaned_data["amount"], user=request.user, request=request
            )
        except services.ApprovalBlocked as exc:
            # nothing was kept; the operator sees why on the case page and contacts the company
            services.note_blocked_approval(case, operator=None, reason=str(exc), request=request)
            messages.error(
                request,
                _(
                    "The company could not be verified yet: its official seal cannot be drawn "
                    "from the company name. A platform operator has been told."
                ),
            )
        except services.VerificationError as exc:
            messages.error(request, str(exc))
        else:
            case.refresh_from_db()
            if ok:
                messages.success(request, _("The amount matches. The company is verified."))
            elif case.state == State.REJECTED:
                messages.error(request, case.reason)
            else:
                messages.error(
                    request,
                    ngettext(
                        "The amount does not match. %(n)d try left.",
                        "The amount does not match. %(n)d tries left.",
                        case.deposit_tries_left,
                    )
                    % {"n": case.deposit_tries_left},
                )
    return redirect("verification:company")


# ---------------------------------------------------------------------------- operator console


# Platform staff only; anyone else gets a 404, so the console's existence is not confirmed.
operator_required = user_decision_or_404("is_operator")


@operator_required
def queue(request):
    kind = request.GET.get("type", "")
    state = request.GET.get("state", "open")
    q = (request.GET.get("q") or "").strip()
    states = (
        list(OPEN_STATES)
        if state == "open"
        else ([state] if state in State.values else list(State.values))
    )
    rows = []
    if kind in ("", "person"):
        qs = PersonVerification.objects.filter(state__in=states).select_related("applicant")
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(phone__icontains=q))
        rows += [
            {"type": "person", "case": c, "title": c.name, "sub": c.id_number_masked} for c in qs
        ]
    if kind in ("", "company"):
        qs = CompanyVerification.objects.filter(state__in=states).select_related(
            "applicant", "company"
        )
        method = request.GET.get("method", "")
        if method:
            qs = qs.filter(method=method)
        if q:
            qs = qs.filter(Q(company_name__icontains=q) | Q(uscc__icontains=q))
        rows += [{"type": "company", "case": c, "title": c.company_name, "sub": c.uscc} for c in qs]
    rows.sort(key=lambda r: r["case"].created_at)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "verification/queue.html",
        {
            "nav": "operator",
            "page": page,
            "type": kind,
            "state": state,
            "q": q,
            "method": request.GET.get("method", ""),
            "states": State.choices,
            "methods": CompanyVerification.Method.choices,
        },
    )


def _case(kind: str, pk: int):
    model = {"person": PersonVerification, "company": CompanyVerification}.get(kind)
    if model is None:
        raise Http404
    return get_object_or_404(model, pk=pk)


@operator_required
def case_detail(request, kind: str, pk: int):
    case = _case(kind, pk)
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            decide = services.decide_person if kind == "person" else services.decide_company
            try:
                decide(
                    case,
                    approve=approve,
                    operator=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except services.ApprovalBlocked as exc:
                services.note_blocked_approval(
                    case, operator=request.user, reason=str(exc), request=request
                )
                messages.error(request, str(exc))
                return redirect("verification:case", kind=kind, pk=pk)
            except (services.VerificationError, InvalidTransition) as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("verification:queue")
    else:
        form = DecisionForm()
    evidence = Evidence.objects.filter(case_type=kind, case_id=case.pk).select_related("operator")
    context = {"nav": "operator", "kind": kind, "case": case, "form": form, "evidence": evidence}
    from . import review

    if kind == "person":
        context["id_number"] = case.id_number
        context["review"] = review.for_person(case)
        record(
            "verification.personal_data_viewed",
            request=request,
            company=None,
            obj=case,
            fields=["id_number"],
        )
    else:
        context["review"] = review.for_company(case)
        record(
            "verification.personal_data_viewed",
            request=request,
            company=case.company,
            obj=case,
            fields=["legal_rep_id"],
        )
        context["legal_rep_id"] = case.legal_rep_id
    return render(request, "verification/case.html", context)


@operator_required
@require_POST
def retry(request, kind: str, pk: int):
    case = _case(kind, pk)
    if case.state != State.PENDING_PROVIDER:
        messages.error(request, _("Only cases waiting for a provider can be retried."))
    else:
        record("verification.retried", request=request, company=_case_company(kind, case), obj=case)
        if kind == "person":
            services.ask_identity_provider(case)
        else:
            services.ask_registry_provider(case)
    return redirect("verification:case", kind=kind, pk=pk)


FILE_FIELDS = {"person": {"id_front", "id_back"}, "company": {"licence", "letter"}}


@operator_required
def case_file(request, kind: str, pk: int, field: str):
    """Uploaded documents are never public media: only operators read them, through here.

    ``file_response`` shows images inline and hands anything else over as an attachment, with
    ``nosniff`` and a sandboxing CSP, whatever name the file was stored under.
    """
    from chop.uploads import file_response

    if field not in FILE_FIELDS.get(kind, ()):
        raise Http404
    case = _case(kind, pk)
    f = getattr(case, field)
    if not f:
        raise Http404
    record(
        "verification.file_viewed",
        request=request,
        company=_case_company(kind, case),
        obj=case,
        field=field,
    )
    return file_response(f, download_name=f"{kind}-{pk}-{field}")


# ----------------------------------------------------------------- legal representative's consent


@login_required
def legal_rep(request):
    """The named legal representative, a member, confirms with a code: their seal is issued."""
    from . import consent
    from .forms import ConsentCodeForm

    company = _active_company_or_404(request)
    status = consent.status(company)
    form = ConsentCodeForm()
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "send":
                issued = consent.send_code(company, request.user, request=request)
                messages.success(
                    request,
                    _("A code was sent to %(to)s.") % {"to": issued.masked},
                )
                return redirect("verification:legal_rep")
            form = ConsentCodeForm(request.POST)
            if form.is_valid():
                consent.confirm(company, request.user, form.cleaned_data["code"], request=request)
                messages.success(
                    request, _("Confirmed. Your legal representative's seal has been issued.")
                )
                return redirect("seals")
        except services.VerificationError as exc:
            error = str(exc)
    return render(
        request,
        "verification/legal_rep.html",
        {
            "nav": "seals",
            "status": status,
            "form": form,
            "error": error,
            "may_confirm": status is not None and status.may_confirm(request.user),
        },
    )
