"""The platform CA's registry: one configuration row, one row per certificate, one per key blob.

Only what ``chop.pki`` already keeps is here, in the shape it keeps it: certificates and their
index entries are public or at least non-secret, key envelopes are AES-256-GCM ciphertext under
the KEK (``chop.pki.envelope``), never key plaintext.
"""

from __future__ import annotations

from django.db import models


class CAConfig(models.Model):
    """The CA's configuration (``ca.json`` in a CA directory): one row, ``id`` 1.

    The CRL numbers are columns rather than part of ``config`` so that taking the next one is a
    single atomic ``UPDATE`` however many processes ask at once."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    config = models.JSONField()
    crl_number_issuing = models.BigIntegerField(default=0)
    crl_number_root = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="one_ca_config")]

    def __str__(self) -> str:
        return "CA configuration"


class IssuedCertificate(models.Model):
    """A certificate the CA issued (its own included) and its index entry.

    The serial (lower-case hex) is the primary key: two issuances can never record the same
    serial, whichever process they run in. ``fields`` holds the entry as issued (subject, key
    reference, validity…) and never changes; the status columns change once, on revocation."""

    class Status(models.TextChoices):
        GOOD = "good"
        REVOKED = "revoked"

    serial = models.CharField(max_length=64, primary_key=True)
    kind = models.CharField(max_length=16)
    issuer = models.CharField(max_length=16)
    service = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.GOOD)
    revoked_at = models.CharField(max_length=40, blank=True, default="")
    reason = models.CharField(max_length=40, blank=True, default="")
    fields = models.JSONField()
    der = models.BinaryField()

    class Meta:
        indexes = [
            models.Index(fields=["issuer", "status"], name="pkistate_cert_issuer_status"),
            models.Index(fields=["kind", "service"], name="pkistate_cert_kind_service"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.serial}"


class KeyBlob(models.Model):
    """An encrypted key envelope (or small secret) of the CA's custody, by name."""

    name = models.CharField(max_length=100, primary_key=True)
    data = models.BinaryField()

    def __str__(self) -> str:
        return self.name
