"""Contracts and their documents.

A ``Contract`` is what people sign together: its draft fields (title, number, type, deadline, copy
recipients, signing order) and its state. Its document is a list of ``DocumentVersion`` rows:
version 1 is the uploaded (or converted) PDF, and every later signing act adds the next version as
a new file. Files are never modified or deleted, so every version stays downloadable and each
signature can be checked against the bytes it signed; the current version is the highest number.

Page previews are files at a deterministic place in storage,
``contracts/previews/<version id>/<width>/<page>.png`` (see ``previews``), rendered by a
background task; the version row carries the task's progress (``preview_state``,
``preview_done`` of ``page_count``) and each page's displayed size, so pages can be laid out
before their images arrive.

A contract belongs to the company that started it. A person's own contracts (the personal space)
will have no company and are reached through ``created_by``; the fields already allow it.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DEFAULT_DEADLINE_DAYS = 30
MAX_DEADLINE_DAYS = 90


def default_deadline() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=DEFAULT_DEADLINE_DAYS)


def document_path(version: DocumentVersion, filename: str) -> str:
    """``contracts/<contract id>/<random>.pdf``: the stored name says nothing about the file's
    original name and cannot be guessed; the folder groups a contract's versions."""
    return f"contracts/{version.contract_id}/{secrets.token_hex(16)}.pdf"


class ContractState(models.TextChoices):
    # The transition table's states (PRODUCT.md §4). Labels carry a context: the seals app's
    # catalogue comes first and says 已吊销 for a revoked *seal*, which a contract is not.
    DRAFT = "draft", pgettext_lazy("contract state", "Draft")
    SIGNING = "signing", pgettext_lazy("contract state", "Signing")
    COMPLETED = "completed", pgettext_lazy("contract state", "Completed")
    DECLINED = "declined", pgettext_lazy("contract state", "Declined")
    REVOKED = "revoked", pgettext_lazy("contract state", "Revoked")
    EXPIRED = "expired", pgettext_lazy("contract state", "Expired")


class SigningOrder(models.TextChoices):
    SEQUENTIAL = "sequential", _("In order")
    PARALLEL = "parallel", _("All at once")


class Contract(models.Model):
    State = ContractState
    Order = SigningOrder

    company = models.ForeignKey(
        "orgs.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        help_text="The initiating company; empty for a person's own contract (personal space).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contracts_created"
    )
    title = models.CharField(_("title"), max_length=200)
    number = models.CharField(_("contract number"), max_length=64, blank=True)
    # Free text for now; grants (PRODUCT.md §3) will match on it, so it is indexed.
    contract_type = models.CharField(_("contract type"), max_length=64, blank=True, db_index=True)
    deadline = models.DateField(_("signing deadline"), default=default_deadline)
    # 抄送: normalised mobile numbers and e-mail addresses told about the signed contract.
    copy_recipients = models.JSONField(_("copy to"), default=list, blank=True)
    state = models.CharField(
        max_length=16, choices=ContractState.choices, default=ContractState.DRAFT
    )
    order = models.CharField(
        max_length=16, choices=SigningOrder.choices, default=SigningOrder.SEQUENTIAL
    )
    state_reason = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["company", "state", "-updated_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ContractState.values),
                name="contract_state_known",
            ),
            models.CheckConstraint(
                condition=models.Q(order__in=SigningOrder.values),
                name="contract_order_known",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT

    def current_version(self) -> DocumentVersion | None:
        """The newest version: the document as it stands now."""
        return self.versions.order_by("-number").first()

    def parties_read_along(self) -> list[Participant] | None:
        """The parties as the caller read them along with the contract (``prefetch_related``
        of ``participants``), or None when it did not: then they are for the database to say."""
        cached = getattr(self, "_prefetched_objects_cache", {}).get("participants")
        return None if cached is None else list(cached)


class DocumentVersion(models.Model):
    class Reason(models.TextChoices):
        UPLOADED = "uploaded", pgettext_lazy("version reason", "Uploaded")
        CONVERTED = "converted", pgettext_lazy("version reason", "Converted to PDF")
        SIGNED = "signed", pgettext_lazy("version reason", "Signed")

    class Previews(models.TextChoices):
        PENDING = "pending", _("Preparing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=document_path, max_length=200)
    # indexed: the public verification page finds a version by the uploaded file's SHA-256
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    page_count = models.PositiveIntegerField()
    # [[width, height], ...] of each displayed page in PDF points (CropBox, after /Rotate).
    page_sizes = models.JSONField(default=list)
    reason = models.CharField(max_length=16, choices=Reason.choices, default=Reason.UPLOADED)
    # What the reason needs to be read: the original file name, later the signer's name.
    note = models.CharField(max_length=200, blank=True)
    source_format = models.CharField(max_length=8, default="pdf")  # pdf, docx, doc, odt, rtf
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    preview_state = models.CharField(
        max_length=8, choices=Previews.choices, default=Previews.PENDING
    )
    preview_done = models.PositiveIntegerField(default=0)  # pages rendered at every width

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="version_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="version_number_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.contract} v{self.number}"

    @property
    def preview_percent(self) -> int:
        if not self.page_count:
            return 0
        return min(100, round(100 * self.preview_done / self.page_count))

    def page_size(self, page: int) -> tuple[float, float]:
        """Displayed size of 1-based ``page`` in points (A4 if unknown)."""
        try:
            w, h = self.page_sizes[page - 1]
            return float(w), float(h)
        except (IndexError, TypeError, ValueError):
            return 595.0, 842.0


class ParticipantKind(models.TextChoices):
    COMPANY = "company", pgettext_lazy("contract party kind", "Company")
    PERSON = "person", pgettext_lazy("contract party kind", "Person")


class ParticipantState(models.TextChoices):
    WAITING = "waiting", pgettext_lazy("party state", "Waiting")
    TO_SIGN = "to_sign", pgettext_lazy("party state", "To sign")
    SIGNED = "signed", pgettext_lazy("party state", "Signed")
    DECLINED = "declined", pgettext_lazy("party state", "Declined")


class Participant(models.Model):
    """A party that signs a contract, in signing order (``position`` 0 signs first in order).

    A company party is a registered ``company`` (with ``user``, the member who stamps, when
    known) or, not yet registered, a name and USCC with a ``contact`` to invite; a person party is
    a registered ``user`` or a name with a ``contact``. ``contact`` is a normalised mobile number
    or e-mail address (``chop.accounts.targets.parse_target``). States move only through
    ``contracts.states`` (the transition table).
    """

    Kind = ParticipantKind
    State = ParticipantState

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="participants")
    position = models.PositiveIntegerField(_("signing order"))
    kind = models.CharField(max_length=8, choices=ParticipantKind.choices)
    company = models.ForeignKey(
        "orgs.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contract_parties",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contract_parties",
    )
    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(_("USCC"), max_length=18, blank=True)
    contact = models.CharField(_("mobile number or e-mail"), max_length=254, blank=True)
    state = models.CharField(
        max_length=8, choices=ParticipantState.choices, default=ParticipantState.WAITING
    )
    decline_reason = models.CharField(max_length=500, blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "position"], name="participant_position_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ParticipantState.values),
                name="participant_state_known",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ParticipantKind.values),
                name="participant_kind_known",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="participant_has_name"),
            # An unregistered company is identified by its USCC.
            models.CheckConstraint(
                condition=models.Q(kind="person")
                | models.Q(company__isnull=False)
                | ~models.Q(uscc=""),
                name="participant_company_identified",
            ),
            # A person is registered, or can be invited.
            models.CheckConstraint(
                condition=models.Q(kind="company")
                | models.Q(user__isnull=False)
                | ~models.Q(contact=""),
                name="participant_person_reachable",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} #{self.position} {self.name}"

    @property
    def is_registered(self) -> bool:
        return self.user_id is not None if self.kind == "person" else self.company_id is not None


class PositionForm(models.TextChoices):
    SINGLE = "single", _("One page")
    MULTI = "multi", _("Several pages")
    RIDING = "riding", _("Riding seal")
    KEYWORD = "keyword", _("By keyword")


class Occurrence(models.TextChoices):
    FIRST = "first", _("First hit")
    LAST = "last", _("Last hit")
    ALL = "all", _("Every hit")


class Edge(models.TextChoices):
    RIGHT = "right", _("Right edge")
    LEFT = "left", _("Left edge")
    TOP = "top", _("Top edge")
    BOTTOM = "bottom", _("Bottom edge")


class Position(models.Model):
    """A designated place (指定位置) for one participant's mark, set by the initiator on a draft.

    Coordinates are millimetres on the page **as displayed** (after /CropBox and /Rotate), from
    its top-left corner: the coordinates ``chop.pdfsign`` takes, so a position becomes a mark
    without conversion (``positions.marks_for``). ``x_mm``/``y_mm`` are the seal's top-left
    corner; ``size_mm`` its width (empty: the seal's own size). A party with no positions is
    non-designated (不指定位置): the signer places the seal on the signing page.

    Which fields a form uses: single ``page, x_mm, y_mm``; multi ``pages, x_mm, y_mm``; riding
    ``edge, along_mm`` (centre along the edge, empty = middle), ``pages``; keyword ``keyword,
    occurrence, dx_mm, dy_mm``. ``with_date`` prints the signing date under the seal (not for
    riding seals, whose strips carry no date).
    """

    Form = PositionForm
    Occurrence = Occurrence
    Edge = Edge

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="positions")
    form = models.CharField(_("form"), max_length=8, choices=PositionForm.choices)
    page = models.PositiveIntegerField(_("page"), null=True, blank=True)
    pages = models.CharField(_("pages"), max_length=200, blank=True)
    x_mm = models.FloatField(null=True, blank=True)
    y_mm = models.FloatField(null=True, blank=True)
    size_mm = models.FloatField(_("size (mm)"), null=True, blank=True)
    edge = models.CharField(_("edge"), max_length=8, choices=Edge.choices, blank=True)
    along_mm = models.FloatField(null=True, blank=True)
    keyword = models.CharField(_("keyword"), max_length=100, blank=True)
    occurrence = models.CharField(
        _("which hits"), max_length=8, choices=Occurrence.choices, default=Occurrence.FIRST
    )
    dx_mm = models.FloatField(default=0.0)
    dy_mm = models.FloatField(default=0.0)
    with_date = models.BooleanField(_("date under the seal"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["participant", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(form__in=PositionForm.values), name="position_form_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(form="single")
                | models.Q(page__gte=1, x_mm__isnull=False, y_mm__isnull=False),
                name="position_single_placed",
            ),
            models.CheckConstraint(
                condition=~models.Q(form="multi")
                | (~models.Q(pages="") & models.Q(x_mm__isnull=False, y_mm__isnull=False)),
                name="position_multi_placed",
            ),
            models.CheckConstraint(
                condition=~models.Q(form="riding") & models.Q(edge="")
                | models.Q(form="riding", edge__in=Edge.values),
                name="position_riding_edge",
            ),
            models.CheckConstraint(
                condition=~models.Q(form="keyword") | ~models.Q(keyword=""),
                name="position_keyword_given",
            ),
            models.CheckConstraint(
                condition=models.Q(size_mm__isnull=True) | models.Q(size_mm__gt=0),
                name="position_size_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} {self.form}"


class IntentMethod(models.TextChoices):
    PASSWORD = "password", _("Signing password")
    SMS = "sms", _("Code by SMS")
    EMAIL = "email", _("Code by e-mail")
    AUTO = "auto", _("Auto-sign authorisation")


class SigningPassword(models.Model):
    """A person's signing password (签署密码): set once, separate from the login password,
    stored as an Argon2 hash (``django.contrib.auth.hashers``). It confirms intent to sign."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signing_password"
    )
    password = models.CharField(max_length=200)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"signing password of {self.user_id}"


class SigningIntent(models.Model):
    """One confirmation of intent (意愿认证): a signer proved, by ``method``, that they mean to
    sign for ``participant``. One act consumes it (``used_at``, set by a conditional UPDATE, so
    one confirmation never signs twice); it lapses at ``expires_at``."""

    Method = IntentMethod

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="intents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=8, choices=IntentMethod.choices)
    confirmed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["participant", "user", "-confirmed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method__in=IntentMethod.values), name="intent_method_known"
            )
        ]

    def __str__(self) -> str:
        return f"intent {self.method} for {self.participant_id}"


class AuthorisationKind(models.TextChoices):
    GRANT = "grant", pgettext_lazy("authorisation kind", "Grant")
    APPROVAL = "approval", pgettext_lazy("authorisation kind", "Approved request")
    AUTOSIGN = "autosign", pgettext_lazy("authorisation kind", "Auto-sign")
    OWN = "own", pgettext_lazy("authorisation kind", "Own seal")


class SigningAct(models.Model):
    """One signing act: one participant's marks and one PAdES signature, written as one
    incremental revision that became ``version``. What the stamping records and the evidence
    report read: who signed, with which seal and certificate, how intent was confirmed, which
    pages carry marks, and the document's fingerprint before (``base_sha256``) and after."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="acts")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="acts")
    # None only for an auto-sign act, which the platform performed without a person
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seal = models.ForeignKey("seals.Seal", on_delete=models.PROTECT, related_name="acts")
    # the one authorisation that allowed the act (``permissions.may_stamp``); empty only on acts
    # made before authorisations existed
    authorisation_kind = models.CharField(
        max_length=10, choices=AuthorisationKind.choices, blank=True
    )
    grant = models.ForeignKey(
        "grants.Grant", null=True, blank=True, on_delete=models.PROTECT, related_name="acts"
    )
    # one act per approval, enforced by the database
    use_request = models.OneToOneField(
        "grants.UseRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="act"
    )
    autosign = models.ForeignKey(
        "grants.AutoSignAuthorisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="acts",
    )
    # what was signed into the signature as provenance (seal, authorisation, intent)
    provenance = models.JSONField(default=dict, blank=True)
    certificate_serial = models.CharField(max_length=64)
    version = models.OneToOneField(DocumentVersion, on_delete=models.PROTECT, related_name="act")
    base_sha256 = models.CharField(max_length=64)
    field_name = models.CharField(max_length=100)
    level = models.CharField(max_length=8)  # B-B, B-T, ...
    intent_method = models.CharField(max_length=8, choices=IntentMethod.choices)
    intent_at = models.DateTimeField()
    marks = models.JSONField(default=list)  # [{form, page|pages, x_mm, ...}] as stamped
    pages = models.JSONField(default=list)  # 1-based pages that carry a mark
    signed_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "signed_at", "pk"]
        constraints = [
            # One act per party: a retried request cannot sign twice.
            models.UniqueConstraint(fields=["participant"], name="one_act_per_participant"),
            models.CheckConstraint(
                condition=models.Q(authorisation_kind__in=["", *AuthorisationKind.values]),
                name="act_authorisation_kind_known",
            ),
            # the named authorisation is present for its kind, and an act without a person is
            # an auto-sign act
            models.CheckConstraint(
                condition=(~models.Q(authorisation_kind="grant") | models.Q(grant__isnull=False))
                & (~models.Q(authorisation_kind="approval") | models.Q(use_request__isnull=False))
                & (~models.Q(authorisation_kind="autosign") | models.Q(autosign__isnull=False))
                & (models.Q(signer__isnull=False) | models.Q(authorisation_kind="autosign")),
                name="act_authorisation_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} act by {self.participant}"


class StampRecord(models.Model):
    """The stamping record (用印记录, PRODUCT.md §5): one row per signing act, written in the act's
    transaction, with everything a court or an auditor asks about a use of a seal, copied as it
    was at that moment (a seal or a person renamed later does not change what was recorded).

    Append-only, enforced by the database on both backends (triggers refuse UPDATE and DELETE; see
    migration ``0006_stamp_record``), not only by this code. The stamping-records log
    (``chop.ledger``) hashes each row's ``leaf()`` into its Merkle tree.
    """

    company = models.ForeignKey(
        "orgs.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the stamping party's company; None for a person's own signature
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="stamp_records")
    act = models.OneToOneField(SigningAct, on_delete=models.PROTECT, related_name="record")
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # None: auto-sign
    signer_name = models.CharField(max_length=200, blank=True)
    party_name = models.CharField(max_length=200)
    seal = models.ForeignKey("seals.Seal", on_delete=models.PROTECT, related_name="stamp_records")
    seal_code = models.CharField(max_length=32)
    seal_kind = models.CharField(max_length=20)
    seal_name = models.CharField(max_length=200)
    forms = models.JSONField(default=list)  # ["single", "riding", ...] as placed
    pages = models.JSONField(default=list)
    contract_title = models.CharField(max_length=200)
    contract_number = models.CharField(max_length=64, blank=True)
    contract_type = models.CharField(max_length=64, blank=True)
    base_sha256 = models.CharField(max_length=64)  # the document before the act
    signed_sha256 = models.CharField(max_length=64)  # the document the act produced
    authorisation_kind = models.CharField(max_length=10, choices=AuthorisationKind.choices)
    authorisation_id = models.PositiveBigIntegerField(null=True, blank=True)
    intent_method = models.CharField(max_length=8, choices=IntentMethod.choices)
    intent_at = models.DateTimeField()
    certificate_serial = models.CharField(max_length=64)
    tsa_time = models.DateTimeField(null=True, blank=True)  # the timestamp token's genTime
    ip = models.GenericIPAddressField(null=True, blank=True)
    device = models.CharField(max_length=400, blank=True)  # the browser's User-Agent
    stamped_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-stamped_at", "-pk"]
        indexes = [
            models.Index(fields=["company", "-stamped_at"], name="stamp_record_company_time"),
            models.Index(fields=["seal", "-stamped_at"], name="stamp_record_seal_time"),
            # an index, not db_index: on SQLite altering a field remakes the table, which would
            # drop the append-only triggers; adding an index does not
            models.Index(fields=["signed_sha256"], name="stamp_record_signed_sha256"),
        ]

    def __str__(self) -> str:
        return f"stamp {self.pk}: seal {self.seal_code} on contract {self.contract_id}"

    def leaf(self) -> dict:
        """The record as the ledger hashes it: every recorded fact, in plain JSON types."""
        return {
            "id": self.pk,
            "company": self.company_id,
            "contract": self.contract_id,
            "act": self.act_id,
            "signer": self.signer_id,
            "signer_name": self.signer_name,
            "party_name": self.party_name,
            "seal": {
                "id": self.seal_id,
                "code": self.seal_code,
                "kind": self.seal_kind,
                "name": self.seal_name,
            },
            "forms": list(self.forms),
            "pages": list(self.pages),
            "contract_title": self.contract_title,
            "contract_number": self.contract_number,
            "contract_type": self.contract_type,
            "base_sha256": self.base_sha256,
            "signed_sha256": self.signed_sha256,
            "authorisation": {"kind": self.authorisation_kind, "id": self.authorisation_id},
            "intent": {"method": self.intent_method, "at": _iso(self.intent_at)},
            "certificate_serial": self.certificate_serial,
            "tsa_time": _iso(self.tsa_time),
            "ip": self.ip,
            "device": self.device,
            "stamped_at": _iso(self.stamped_at),
        }


def _iso(value) -> str | None:
    """UTC with microseconds and a ``Z``: the same string on SQLite and PostgreSQL."""
    if value is None:
        return None
    import datetime as _dt

    return value.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
