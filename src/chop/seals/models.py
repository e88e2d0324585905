"""A company's seals and the certificates behind them.

A seal is an image and a drawing spec bound to a certificate: stamping with it later signs with
that certificate's key, which the platform CA holds (``chop.pki``). Each seal has a unique seal
code, the way a physical seal corresponds to exactly one electronic seal.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Certificate(models.Model):
    """A certificate the platform CA issued to a company or a person (the key stays in custody)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Valid")
        REVOKED = "revoked", _("Revoked")

    company = models.ForeignKey(
        "orgs.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="certificates"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    serial = models.CharField(_("serial number"), max_length=64, unique=True)
    subject = models.CharField(_("subject"), max_length=400)
    pem = models.TextField(_("certificate (PEM)"))
    key_ref = models.CharField(_("key reference"), max_length=200)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} #{self.serial_hex}"

    @property
    def serial_hex(self) -> str:
        return format(int(self.serial), "X")


def new_seal_code() -> str:
    """A 13-digit seal code (like the anti-forgery code printed on physical seals), unique."""
    return "".join(secrets.choice("0123456789") for _ in range(13))


class SealQuerySet(models.QuerySet):
    def usable(self) -> SealQuerySet:
        """Seals that may be chosen for stamping: active, with a certificate. Disabled, revoked
        and pending seals never are; every stamping path filters through this."""
        return self.filter(status=Seal.Status.ACTIVE, certificate__isnull=False)


class Seal(models.Model):
    class Kind(models.TextChoices):
        OFFICIAL = "official", _("Official seal")
        CONTRACT = "contract", _("Contract seal")
        FINANCE = "finance", _("Finance seal")
        HR = "hr", _("HR seal")
        INVOICE = "invoice", _("Invoice seal")
        LEGAL_REP = "legal_rep", _("Legal representative seal")
        FOREIGN = "foreign", _("Foreign-invested seal")
        CUSTOM = "custom", _("Other seal")
        PERSONAL = "personal", _("Personal seal")
        SIGNATURE = "signature", _("Personal signature")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        ACTIVE = "active", _("Active")
        DISABLED = "disabled", _("Disabled")
        REVOKED = "revoked", _("Revoked")

    company = models.ForeignKey(
        "orgs.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="seals"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="personal_seals",
        help_text=_("for personal and legal-representative seals"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("seal code"), max_length=32, unique=True, default=new_seal_code)
    spec = models.JSONField(_("drawing spec"), default=dict)
    image = models.FileField(_("image"), upload_to="seals/%Y/%m/", blank=True)
    certificate = models.ForeignKey(
        Certificate, null=True, blank=True, on_delete=models.PROTECT, related_name="seals"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )

    class Origin(models.TextChoices):
        GENERATED = "generated", _("Generated on verification")
        TEMPLATE = "template", _("Made online")
        UPLOADED = "uploaded", _("Uploaded impression")
        DRAWN = "drawn", _("Drawn by hand")
        TYPED = "typed", _("Rendered from the name")

    origin = models.CharField(
        _("origin"), max_length=20, choices=Origin.choices, default=Origin.GENERATED
    )
    # an uploaded impression: the photo as received (re-encoded, metadata dropped), kept so the
    # operator compares it with the extracted image before approving
    source_image = models.FileField(
        _("uploaded photo"), upload_to="seal-uploads/%Y/%m/", blank=True
    )
    status_reason = models.CharField(
        _("reason"), max_length=300, blank=True, help_text=_("why the seal is in its state")
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    use_count = models.PositiveIntegerField(_("times used"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SealQuerySet.as_manager()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("seal")
        verbose_name_plural = _("seals")
        ordering = ["kind", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(kind="official", status="active"),
                name="one_active_official_seal_per_company",
            ),
            # a company has one legal representative: two confirmations at once issue one seal
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(kind="legal_rep", status="active"),
                name="one_active_legal_rep_seal_per_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def is_personal(self) -> bool:
        """A person's own signature or seal, in their personal space (no company)."""
        return self.company_id is None

    @property
    def usable_for_stamping(self) -> bool:
        """Only an active seal with a certificate may be chosen for stamping (PRODUCT.md §2)."""
        return self.status == self.Status.ACTIVE and self.certificate_id is not None


class SignatureLink(models.Model):
    """A short-lived, single-use link that lets a person draw their signature on a phone (扫码签名).

    The desktop shows it as a QR code; whoever holds the token may submit one drawing for
    ``user``, so only a hash of the token is stored (a database leak reveals no usable link).
    Using it is one conditional UPDATE (``used_at IS NULL AND expires_at > now``): of two phones
    submitting at once, exactly one wins. A newer link of the same user cancels older unused ones
    by moving their ``expires_at`` to the moment it was made.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signature_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    seal = models.ForeignKey(
        Seal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("signature link")
        verbose_name_plural = _("signature links")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "used_at"], name="signature_link_user_used")]

    def __str__(self) -> str:
        return f"signature link {self.pk} of user {self.user_id}"
