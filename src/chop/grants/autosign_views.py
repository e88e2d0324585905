"""The auto-sign pages of a seal: its authorisations, the owner's form and code step, revoking,
retrying a failed letter, and downloading the signed letter.

Every view finds the seal (or authorisation) among the companies the user belongs to, so another
company's id is a 404, and then enters that company's space. Who may do what is asked of
``chop.orgs.permissions``: members see the list and download letters, the owner authorises
(``can_authorise_autosign``), the owner and administrators revoke (``can_revoke_autosign``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chop.orgs import permissions
from chop.orgs.access import enter_space
from chop.orgs.models import Membership
from chop.seals.models import Seal
from chop.uploads import harden_file_headers

from . import autosign
from .autosign_forms import CodeForm, TermsForm
from .models import AutoSignAuthorisation, AutoSignState

BADGES = {
    AutoSignState.PREPARING: "warn",
    AutoSignState.PENDING: "warn",
    AutoSignState.ACTIVE: "ok",
    AutoSignState.EXPIRED: "",
    AutoSignState.REVOKED: "red",
}


def _my_companies(user):
    return Membership.objects.filter(user=user).values("company")


def _seal(request, pk: int) -> tuple[Seal, Membership | None]:
    seal = get_object_or_404(
        Seal.objects.filter(
            company__in=_my_companies(request.user), owner__isnull=True
        ).select_related("company", "certificate"),
        pk=pk,
    )
    enter_space(request, seal.company)
    return seal, getattr(request, "membership", None)


def _authorisation(request, pk: int) -> tuple[AutoSignAuthorisation, Membership | None]:
    auth = get_object_or_404(
        AutoSignAuthorisation.objects.filter(
            company__in=_my_companies(request.user)
        ).select_related("company", "seal", "seal__company"),
        pk=pk,
    )
    enter_space(request, auth.company)
    return auth, getattr(request, "membership", None)


def _rows(seal: Seal) -> list[dict]:
    now = timezone.now()
    today = timezone.localdate(now)
    rows = []
    for auth in seal.autosign_authorisations.select_related("confirmed_by", "revoked_by"):
        state = auth.state_at(now)
        rows.append(
            {
                "auth": auth,
                "state": state,
                "state_label": AutoSignState(state).label,
                "badge": BADGES.get(state, ""),
                "today": auth.used_on(today),
                "problem": autosign.letter_problem(auth)
                if state == AutoSignState.PREPARING
                else None,
            }
        )
    return rows


@login_required
def seal_autosign(request, pk: int):
    seal, m = _seal(request, pk)
    context = {
        "nav": "seals",
        "seal": seal,
        "rows": _rows(seal),
        "can_authorise": permissions.can_authorise_autosign(m, seal) and autosign.eligible(seal),
        "is_owner": permissions.can_authorise_autosign(m, seal),
        "can_revoke": permissions.can_revoke_autosign(m, seal),
        "eligible": autosign.eligible(seal),
    }
    return render(request, "grants/autosign_list.html", context)


@login_required
def seal_autosign_new(request, pk: int):
    seal, m = _seal(request, pk)
    if not permissions.can_authorise_autosign(m, seal):
        raise PermissionDenied
    if not autosign.eligible(seal):
        messages.error(
            request, _("Auto-sign can use only an active company seal with a certificate.")
        )
        return redirect("seal_autosign", pk=seal.pk)
    user = request.user
    ways = autosign.channels(user)
    step = request.POST.get("step") if request.method == "POST" else request.GET.get("step")

    if step in ("code", "resend"):
        terms = autosign.kept_terms(request, seal)
        if terms is None:
            messages.error(request, _("The confirmation has expired. Fill in the terms again."))
            return redirect("seal_autosign_new", pk=seal.pk)
        if request.method == "POST" and step == "resend":
            try:
                issued = autosign.send_code(user, terms.channel, request=request)
                messages.info(request, _("A new code was sent to %(to)s.") % {"to": issued.masked})
            except autosign.AutoSignError as exc:
                messages.error(request, exc.message)
            return redirect(reverse("seal_autosign_new", args=[seal.pk]) + "?step=code")
        form = CodeForm(request.POST if request.method == "POST" else None)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    auth = autosign.authorise(
                        seal, m, user, terms, form.cleaned_data["code"], request=request
                    )
                except autosign.AutoSignError as exc:
                    form.add_error("code", exc.message)
                else:
                    autosign.forget_terms(request, seal)
                    messages.success(
                        request,
                        _(
                            "Auto-sign authorised. It works once its authorisation letter is "
                            "signed, in a moment."
                        ),
                    )
                    return redirect(reverse("seal_autosign", args=[seal.pk]) + f"#as-{auth.pk}")
            status = 400
        return render(
            request,
            "grants/autosign_confirm.html",
            {
                "nav": "seals",
                "seal": seal,
                "terms": terms,
                "form": form,
                "to": autosign.code_target(user, terms.channel),
            },
            status=status,
        )

    form = TermsForm(request.POST if request.method == "POST" else None, channels=ways)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            terms = form.cleaned_data["terms"]
            try:
                autosign.send_code(user, terms.channel, request=request)
            except autosign.AutoSignError as exc:
                form.add_error("channel", exc.message)
            else:
                autosign.keep_terms(request, seal, terms)
                return redirect(reverse("seal_autosign_new", args=[seal.pk]) + "?step=code")
        status = 400
    return render(
        request,
        "grants/autosign_new.html",
        {"nav": "seals", "seal": seal, "form": form, "no_channel": not ways},
        status=status,
    )


@login_required
@require_POST
def seal_autosign_revoke(request, pk: int):
    auth, m = _authorisation(request, pk)
    if not permissions.can_revoke_autosign(m, auth.seal):
        raise PermissionDenied
    if autosign.revoke(auth, request.user, request=request):
        messages.success(request, _("Auto-sign revoked. The platform no longer stamps under it."))
    else:
        messages.info(request, _("This authorisation was already revoked."))
    return redirect(reverse("seal_autosign", args=[auth.seal_id]) + f"#as-{auth.pk}")


@login_required
@require_POST
def seal_autosign_retry(request, pk: int):
    auth, m = _authorisation(request, pk)
    if not permissions.can_authorise_autosign(m, auth.seal):
        raise PermissionDenied
    if autosign.retry_letter(auth, request.user, request=request):
        messages.info(request, _("The authorisation letter is being made again."))
    return redirect(reverse("seal_autosign", args=[auth.seal_id]) + f"#as-{auth.pk}")


@login_required
def seal_autosign_letter(request, pk: int):
    auth, _m = _authorisation(request, pk)
    if not auth.letter or auth.letter_signed_at is None:
        raise Http404
    with auth.letter.open("rb") as fh:
        body = fh.read()
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="autosign-letter-{auth.seal.code}-{auth.pk}.pdf"'
    )
    return harden_file_headers(response)
