"""Companies (company spaces) and the people in them."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles in a company, from most to least powerful. Decisions live in ``chop.orgs.permissions``."""

    OWNER = "owner", _("Owner / legal representative")
    ADMIN = "admin", _("Administrator")
    SEAL_KEEPER = "seal_keeper", _("Seal keeper")
    SEAL_APPROVER = "seal_approver", _("Seal approver")
    SEAL_USER = "seal_user", _("Seal user")
    MEMBER = "member", _("Member")


class Company(models.Model):
    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Unverified")
        PENDING = "pending", _("Verification pending")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Verification rejected")

    name = models.CharField(_("company name"), max_length=200)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.UNVERIFIED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="companies"
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["company", "user"], name="one_membership_per_company"),
            # The database, not only the services, keeps a company to a single owner: two
            # transfers that slip past each other fail here instead of leaving two owners.
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(role=Role.OWNER),
                name="one_owner_per_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.get_role_display()})"


# Invitations are valid for seven days: long enough for a holiday weekend, short enough to go stale.
INVITATION_TTL = timedelta(days=7)


def default_invitation_expiry():
    return timezone.now() + INVITATION_TTL


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    """An offer to join a company with a role, addressed to a phone number or an e-mail address.

    It is accepted by a signed-in person whose phone or e-mail matches the address, or by whoever
    opens the secret link that was sent to that address (the link is the proof of receipt, like a
    one-time code). It is used at most once and expires after seven days.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("Mobile number")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    target = models.CharField(_("phone or e-mail"), max_length=254, db_index=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    token = models.CharField(
        max_length=64, unique=True, default=new_invitation_token, editable=False
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), default=default_invitation_expiry)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("answered by"),
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        # Masked: this label is copied into the append-only audit log, which must not keep
        # a full phone number or address it could never erase.
        return f"{self.masked_target} → {self.company} ({self.get_role_display()})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_open(self) -> bool:
        """Still answerable: pending and not expired."""
        return self.status == self.Status.PENDING and not self.is_expired

    @property
    def masked_target(self) -> str:
        """The address with its middle hidden, for pages someone other than the invitee may see."""
        if self.channel == self.Channel.EMAIL:
            local, _sep, domain = self.target.partition("@")
            return f"{local[:2]}***@{domain}"
        t = self.target
        return f"{t[:3]}****{t[-4:]}" if len(t) >= 7 else t

    def is_addressed_to(self, user) -> bool:
        """True when the signed-in ``user`` owns the phone or e-mail this invitation went to."""
        if self.channel == self.Channel.EMAIL:
            return bool(user.email) and user.email.lower() == self.target.lower()
        return bool(user.phone) and user.phone == self.target

    @classmethod
    def open_for(cls, user):
        """Pending, unexpired invitations addressed to ``user``'s phone or e-mail."""
        q = models.Q(pk__in=[])
        if getattr(user, "phone", None):
            q |= models.Q(channel=cls.Channel.SMS, target=user.phone)
        if getattr(user, "email", None):
            q |= models.Q(channel=cls.Channel.EMAIL, target__iexact=user.email)
        return (
            cls.objects.filter(q, status=cls.Status.PENDING, expires_at__gt=timezone.now())
            .exclude(company__memberships__user=user)
            .select_related("company", "invited_by")
        )
