"""Operator console for uploaded seals: the queue, one review page per seal, and its images.

Platform operators only (``permissions.can_review_seal``); anyone else gets a 404, like the
verification console, so the console's existence is not confirmed.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from chop.orgs.access import user_decision_or_404
from chop.uploads import file_response

from . import review

reviewer_required = user_decision_or_404("can_review_seal")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(
        label=_("Reason (required to reject)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Please give a reason."))
        return data


@reviewer_required
def queue(request):
    return render(
        request,
        "seals/review_queue.html",
        {"nav": "operator", "seals": review.waiting()},
    )


@reviewer_required
def seal_review(request, pk: int):
    seal = get_object_or_404(review.reviewable(), pk=pk)
    form = DecisionForm()
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            try:
                review.decide(
                    seal,
                    approve=approve,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except review.SealStateError as exc:
                messages.error(request, exc.message)
                return redirect("seal_review", pk=seal.pk)
            messages.success(
                request,
                _("Approved: the seal is active.")
                if approve
                else _("Rejected: the seal is revoked."),
            )
            return redirect("seal_review_queue")
    return render(
        request,
        "seals/review.html",
        {
            "nav": "operator",
            "seal": seal,
            "company": seal.company,
            "replaces": review.replaced_by(seal) if seal.status == "pending" else None,
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )


@reviewer_required
def seal_review_file(request, pk: int, which: str):
    """The uploaded photo, the extracted image, or (for comparison) the company's current
    official seal, served to operators only with the upload hardening headers."""
    seal = get_object_or_404(review.reviewable(), pk=pk)
    if which == "photo":
        f = seal.source_image
    elif which == "image":
        f = seal.image
    elif which == "current":
        current = review.replaced_by(seal)
        f = current.image if current is not None else None
    else:
        raise Http404
    if not f:
        raise Http404
    response = file_response(f, download_name=f"seal-{seal.code}-{which}")
    response["Cache-Control"] = "private, max-age=300"
    return response
