"""The authorisations behind stamps (PRODUCT.md §3).

* :class:`Grant` (用印授权): a seal granted to chosen members and/or roles, for all contracts or
  listed contract types, for a validity window (at most three years, or long-term), with an
  optional cap on uses. Its state (pending, active, expired, revoked) is computed from the clock
  and ``revoked_at``, so an ended grant stops working the instant it ends, with no job to run.
* :class:`ApprovalRule`: a seal's approvers and whether one or all of them must approve.
* :class:`UseRequest` (用印申请) with its :class:`UseDecision` rows: a member asks to use a seal
  for one contract; once approved it allows exactly one stamping act (``used_at``, set by a
  conditional UPDATE, and ``SigningAct.use_request`` is unique).
* :class:`AutoSignAuthorisation` (静默签): the owner lets the platform stamp with a seal without a
  person, by contract type, for at most a year, with a daily cap, confirmed by a one-time code
  and backed by a signed authorisation letter.

Caps are enforced by the database: a use is one conditional UPDATE (``uses < max_uses``) and a
check constraint keeps ``uses <= max_uses`` whatever the code does, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

#: The longest validity of a grant with an end (PRODUCT.md §3); "long-term" has no end.
GRANT_MAX_DAYS = 3 * 366
#: The longest validity of an auto-sign authorisation.
AUTOSIGN_MAX_DAYS = 366

#: The roles the default grant of a newly active company seal goes to: the roles that stamp
#: without asking (``permissions.can_stamp_without_approval``). Members and approvers ask.
DEFAULT_GRANT_ROLES = ["owner", "admin", "seal_keeper", "seal_user"]


def normalise_type(value: str) -> str:
    """Contract types are free text: compared without surrounding space and case."""
    return " ".join((value or "").split()).casefold()


class GrantState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("grant state", "Not yet valid")
    ACTIVE = "active", pgettext_lazy("grant state", "Active")
    EXPIRED = "expired", pgettext_lazy("grant state", "Expired")
    REVOKED = "revoked", pgettext_lazy("grant state", "Revoked")


class Grant(models.Model):
    State = GrantState

    company = models.ForeignKey("orgs.Company", on_delete=models.CASCADE, related_name="grants")
    seal = models.ForeignKey("seals.Seal", on_delete=models.PROTECT, related_name="grants")
    # the grantees: chosen members, and/or everyone holding one of ``roles`` (now or later)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="seal_grants", verbose_name=_("members")
    )
    roles = models.JSONField(_("roles"), default=list, blank=True)
    # empty: all contracts; else the contract types it covers (compared by normalise_type)
    contract_types = models.JSONField(_("contract types"), default=list, blank=True)
    starts_at = models.DateTimeField(_("valid from"), default=timezone.now)
    ends_at = models.DateTimeField(_("valid until"), null=True, blank=True)  # None: long-term
    max_uses = models.PositiveIntegerField(_("use cap"), null=True, blank=True)
    uses = models.PositiveIntegerField(_("times used"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_default = models.BooleanField(default=False)  # made when the seal became active
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("granted by"),
    )
    created_at = models.DateTimeField(_("granted"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["seal", "-created_at", "-pk"]
        indexes = [models.Index(fields=["seal", "revoked_at"], name="grant_seal_revoked")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="grant_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=models.F("max_uses")),
                name="grant_uses_within_cap",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(max_uses__gte=1), name="grant_cap_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"grant {self.pk} of seal {self.seal_id}"

    def state_at(self, now: dt.datetime | None = None) -> str:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return GrantState.REVOKED
        if now < self.starts_at:
            return GrantState.PENDING
        if self.ends_at is not None and now >= self.ends_at:
            return GrantState.EXPIRED
        return GrantState.ACTIVE

    @property
    def state(self) -> str:
        return self.state_at()

    def get_state_display(self) -> str:
        return str(GrantState(self.state).label)

    def covers(self, contract_type: str) -> bool:
        """Whether the scope includes a contract of ``contract_type`` (empty scope: all)."""
        if not self.contract_types:
            return True
        return normalise_type(contract_type) in {normalise_type(t) for t in self.contract_types}

    @property
    def uses_left(self) -> int | None:
        return None if self.max_uses is None else max(0, self.max_uses - self.uses)

    def names(self, user, role: str | None) -> bool:
        """Whether the grant is to ``user``, by name or by ``role`` (their role in the company).

        Reads ``members`` through the prefetch cache when there is one."""
        if role and role in (self.roles or []):
            return True
        if user is None:
            return False
        return any(m.pk == user.pk for m in self.members.all())


class ApprovalMode(models.TextChoices):
    ANY = "any", _("One approver")
    ALL = "all", _("All approvers")


class ApprovalRule(models.Model):
    """Who approves use requests for a seal. Without a rule, or with a rule naming nobody, the
    company's owner, administrators and seal approvers approve, any one of them."""

    Mode = ApprovalMode

    seal = models.OneToOneField(
        "seals.Seal", on_delete=models.CASCADE, related_name="approval_rule"
    )
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("approvers")
    )
    mode = models.CharField(
        _("approval"), max_length=4, choices=ApprovalMode.choices, default=ApprovalMode.ANY
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(mode__in=ApprovalMode.values), name="approval_mode_known"
            )
        ]

    def __str__(self) -> str:
        return f"approval rule of seal {self.seal_id}"


class RequestState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("use request state", "Waiting for approval")
    APPROVED = "approved", pgettext_lazy("use request state", "Approved")
    REJECTED = "rejected", pgettext_lazy("use request state", "Rejected")
    CANCELLED = "cancelled", pgettext_lazy("use request state", "Withdrawn")
    USED = "used", pgettext_lazy("use request state", "Used")


class UseRequest(models.Model):
    """A member's request to stamp one contract with one seal (用印申请).

    ``approvers`` and ``mode`` are copied from the seal's rule when the request is filed, so a
    later change of the rule does not move a decision already under way. Approved, it allows one
    act by ``requester`` with ``seal`` on ``contract`` while the contract is being signed."""

    State = RequestState

    company = models.ForeignKey("orgs.Company", on_delete=models.CASCADE, related_name="+")
    seal = models.ForeignKey("seals.Seal", on_delete=models.PROTECT, related_name="use_requests")
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="use_requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seal_use_requests"
    )
    reason = models.CharField(_("reason"), max_length=500)
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    mode = models.CharField(max_length=4, choices=ApprovalMode.choices, default=ApprovalMode.ANY)
    state = models.CharField(
        max_length=10, choices=RequestState.choices, default=RequestState.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["seal", "contract", "requester", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=RequestState.values), name="use_request_state_known"
            ),
            # one open request per person, seal and contract: a double click files one
            models.UniqueConstraint(
                fields=["seal", "contract", "requester"],
                condition=Q(state="pending"),
                name="one_pending_use_request",
            ),
            models.CheckConstraint(
                condition=~Q(state="used") | Q(used_at__isnull=False), name="use_request_used_at"
            ),
        ]

    def __str__(self) -> str:
        return f"use request {self.pk}"

    def approved_by(self):
        """The decisions that approved it (who approved, when), oldest first."""
        return [d for d in self.decisions.all() if d.verdict == UseDecision.Verdict.APPROVE]


class UseDecision(models.Model):
    class Verdict(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")

    request = models.ForeignKey(UseRequest, on_delete=models.CASCADE, related_name="decisions")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "approver"], name="one_decision_per_approver"
            ),
            models.CheckConstraint(
                condition=Q(verdict__in=["approve", "reject"]), name="use_decision_verdict_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verdict} on request {self.request_id}"


class AutoSignState(models.TextChoices):
    PREPARING = "preparing", pgettext_lazy("auto-sign state", "Letter being prepared")
    PENDING = "pending", pgettext_lazy("auto-sign state", "Not yet valid")
    ACTIVE = "active", pgettext_lazy("auto-sign state", "Active")
    EXPIRED = "expired", pgettext_lazy("auto-sign state", "Expired")
    REVOKED = "revoked", pgettext_lazy("auto-sign state", "Revoked")


class AutoSignAuthorisation(models.Model):
    """The owner's authorisation for the platform to stamp with ``seal`` without a person (静默签).

    It works only once its authorisation letter is signed and stored (``letter_signed_at``), and
    never beyond ``daily_cap`` stamps on one calendar day (the platform's time zone):
    ``uses_day``/``uses_on_day`` move by one conditional UPDATE per stamp."""

    State = AutoSignState

    company = models.ForeignKey("orgs.Company", on_delete=models.CASCADE, related_name="+")
    seal = models.ForeignKey(
        "seals.Seal", on_delete=models.PROTECT, related_name="autosign_authorisations"
    )
    contract_types = models.JSONField(_("contract types"), default=list, blank=True)
    starts_at = models.DateTimeField(_("valid from"), default=timezone.now)
    ends_at = models.DateTimeField(_("valid until"))
    daily_cap = models.PositiveIntegerField(_("daily cap"))
    note = models.CharField(_("purpose"), max_length=200, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField()
    confirm_method = models.CharField(max_length=8)  # "sms" | "email"
    letter = models.FileField(upload_to="autosign-letters/%Y/%m/", blank=True)
    letter_sha256 = models.CharField(max_length=64, blank=True)
    letter_signed_at = models.DateTimeField(null=True, blank=True)
    uses_day = models.DateField(null=True, blank=True)
    uses_on_day = models.PositiveIntegerField(default=0)
    uses = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="autosign_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(daily_cap__gte=1), name="autosign_cap_positive"),
            models.CheckConstraint(
                condition=Q(uses_on_day__lte=models.F("daily_cap")),
                name="autosign_uses_within_daily_cap",
            ),
        ]

    def __str__(self) -> str:
        return f"auto-sign {self.pk} of seal {self.seal_id}"

    def state_at(self, now: dt.datetime | None = None) -> str:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return AutoSignState.REVOKED
        if self.letter_signed_at is None:
            return AutoSignState.PREPARING
        if now < self.starts_at:
            return AutoSignState.PENDING
        if now >= self.ends_at:
            return AutoSignState.EXPIRED
        return AutoSignState.ACTIVE

    @property
    def state(self) -> str:
        return self.state_at()

    def get_state_display(self) -> str:
        return str(AutoSignState(self.state).label)

    def covers(self, contract_type: str) -> bool:
        if not self.contract_types:
            return True
        return normalise_type(contract_type) in {normalise_type(t) for t in self.contract_types}

    def used_on(self, day: dt.date) -> int:
        return self.uses_on_day if self.uses_day == day else 0
