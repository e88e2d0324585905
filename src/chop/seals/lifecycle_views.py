"""The lifecycle buttons of the seal page: disable, enable, revoke, and a new official seal.

The views only ask ``orgs.permissions`` who may act and hand the move to ``lifecycle``, which
checks the state the database holds under a row lock and audits it. A refused move changes
nothing and says why; a reason the user typed is kept on the re-rendered page.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chop.orgs import permissions

from . import lifecycle
from .issuance import ensure_official_seal, live_official_seal
from .models import Seal

DONE = {
    "disable": gettext_lazy("The seal is disabled: nobody can stamp with it until it is enabled."),
    "enable": gettext_lazy("The seal is active again."),
    "revoke": gettext_lazy("The seal is revoked. This is final; it stays on record."),
}


class SealStateForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("disable", "enable", "revoke")])
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=lifecycle.MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": lifecycle.MAX_REASON}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that a revoked seal can never be used again."),
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "revoke":
            if not " ".join((data.get("reason") or "").split()):
                self.add_error("reason", _("Please give a reason."))
            if not data.get("confirm"):
                self.add_error("confirm", _("Tick the box to confirm: revoking is final."))
        return data


def _seal_in_space(request: HttpRequest, pk: int) -> Seal:
    """The seal, looked up in the active space only (404 for anything else)."""
    if request.company is not None:
        scope = Q(company=request.company)
    else:
        scope = Q(company__isnull=True, owner=request.user)
    return get_object_or_404(Seal.objects.filter(scope).select_related("certificate"), pk=pk)


@require_POST
@login_required
def change_state(request: HttpRequest, pk: int) -> HttpResponse:
    from .views import detail_context  # the page this form lives on

    seal = _seal_in_space(request, pk)
    m = getattr(request, "membership", None)
    if not permissions.can_change_seal_state(m, seal, request.user):
        raise PermissionDenied
    form = SealStateForm(request.POST)
    if not form.is_valid():
        return render(
            request, "seals/detail.html", detail_context(request, seal, form=form), status=400
        )
    action = form.cleaned_data["action"]
    try:
        lifecycle.change_state(
            seal, action, by=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except lifecycle.SealStateError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, DONE[action])
    return redirect("seal_detail", pk=seal.pk)


@require_POST
@login_required
def regenerate_official(request: HttpRequest) -> HttpResponse:
    """Generate a new official seal after the old one was revoked (same company certificate,
    new seal code). Two clicks at once make one seal: ``ensure_official_seal`` returns the
    winner's."""
    company = request.company
    if company is None:
        raise Http404
    if not permissions.can_regenerate_official_seal(getattr(request, "membership", None)):
        raise PermissionDenied
    existing = live_official_seal(company)
    if existing is not None:
        if existing.status == Seal.Status.DISABLED:
            messages.error(
                request,
                _(
                    "The official seal is disabled, not revoked: enable it again, or revoke it "
                    "to generate a new one."
                ),
            )
        else:
            messages.info(request, _("The company already has an active official seal."))
        return redirect("seal_detail", pk=existing.pk)
    seal = ensure_official_seal(company, by=request.user, request=request)
    messages.success(
        request,
        _("A new official seal was generated with seal code %(code)s.") % {"code": seal.code},
    )
    return redirect("seal_detail", pk=seal.pk)
