"""Online seal production (模板制章, PRODUCT.md §2): the studio's kinds, their specs, checks and the
one transaction that makes a seal.

The form and the live preview share :func:`check_design`, which runs the engine on the very spec
that will be stored (``render``), so a design the preview shows is a design the create step can
draw. Results are cached per frozen spec: typing back and forth in the form costs a dictionary
look-up per preview.

Double submits: each form carries a signed, pre-drawn seal code (:func:`new_form_token`). The seal
is created with that code, which the database keeps unique, so two submits of one form make one
seal; the second finds it and goes to it (:func:`create_seal` returns ``created=False``).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chop.audit.events import record
from chop.explain import explain
from chop.sealart import SealKind, SealSpec, SealSpecError, check_purpose, max_name_chars, render
from chop.sealart.errors import SealFontError
from chop.sealart.spec import is_wide

from . import lifecycle
from .issuance import _spec_json
from .models import Certificate, Seal, new_seal_code


@dataclass(frozen=True)
class Range:
    """Allowed millimetres of one measure in the studio (within PRODUCT.md §2's table)."""

    lo: float
    hi: float
    default: float


@dataclass(frozen=True)
class StudioKind:
    """One choice on the studio's first page."""

    slug: str
    label: Any
    engine: SealKind
    seal_kind: str  # Seal.Kind value stored on the row
    shape: str  # round, square, rect, oval
    check_kind: str | None  # the kind ``check_purpose``/``max_name_chars`` know it as
    size: Range | None = None
    width: Range | None = None
    height: Range | None = None
    border: Range = Range(0.6, 1.5, 1.0)
    purpose: str = ""  # default 横向文
    help: Any = ""

    @property
    def arc(self) -> bool:
        """The name runs along an arc (its length is limited by the size)."""
        return self.shape in ("round", "oval")

    @property
    def legal_rep(self) -> bool:
        return self.seal_kind == Seal.Kind.LEGAL_REP

    @property
    def fields(self) -> tuple[str, ...]:
        """The form fields this kind shows."""
        common = ("border_mm", "color", "font", "aged", "aged_seed")
        if self.legal_rep:
            return (("size_mm",) if self.shape == "square" else ("width_mm", "height_mm")) + (
                "suffix",
                *common,
            )
        if self.shape == "round":
            return ("name", "horizontal_text", "bottom_text", "size_mm", "star", *common)
        if self.shape == "square":
            return ("name", "size_mm", *common)
        if self.engine is SealKind.INVOICE:
            return ("name", "taxpayer_id", "width_mm", "height_mm", *common)
        return ("name", "horizontal_text", "bottom_text", "width_mm", "height_mm", *common)


ROUND = Range(38, 42, 40)
KINDS: dict[str, StudioKind] = {
    k.slug: k
    for k in (
        StudioKind(
            "contract",
            _("Contract seal"),
            SealKind.CONTRACT,
            Seal.Kind.CONTRACT,
            "round",
            "contract",
            size=ROUND,
            purpose="合同专用章",
            help=_("Round, Ø38–42 mm, company name on the arc, 合同专用章 below the star."),
        ),
        StudioKind(
            "finance",
            _("Finance seal (round)"),
            SealKind.FINANCE,
            Seal.Kind.FINANCE,
            "round",
            "finance",
            size=ROUND,
            purpose="财务专用章",
            help=_("Round, Ø38–42 mm, 财务专用章 below the star."),
        ),
        StudioKind(
            "finance_square",
            _("Finance seal (square)"),
            SealKind.FINANCE_SQUARE,
            Seal.Kind.FINANCE,
            "square",
            None,
            size=Range(20, 26, 22),
            help=_("Square, 22 × 22 mm, the name and 财务专用章 in a grid."),
        ),
        StudioKind(
            "hr",
            _("HR seal"),
            SealKind.HR,
            Seal.Kind.HR,
            "round",
            "hr",
            size=ROUND,
            purpose="人事专用章",
            help=_("Round, Ø38–42 mm, 人事专用章 below the star."),
        ),
        StudioKind(
            "invoice",
            _("Invoice seal"),
            SealKind.INVOICE,
            Seal.Kind.INVOICE,
            "oval",
            "invoice",
            width=Range(36, 46, 40),
            height=Range(26, 34, 30),
            help=_("Oval, 40 × 30 mm, with the taxpayer identification number across."),
        ),
        StudioKind(
            "foreign",
            _("Foreign-invested seal (oval)"),
            SealKind.FOREIGN,
            Seal.Kind.FOREIGN,
            "oval",
            "foreign",
            width=Range(40, 50, 45),
            height=Range(28, 34, 30),
            help=_("Oval, 45 × 30 mm, an English name on the arc, a Chinese name across."),
        ),
        StudioKind(
            "legal_rep_square",
            _("Legal representative seal (square)"),
            SealKind.LEGAL_REP_SQUARE,
            Seal.Kind.LEGAL_REP,
            "square",
            None,
            size=Range(16, 20, 18),
            border=Range(0.6, 1.2, 0.8),
            help=_("Square, 16–20 mm: the representative's name and 印."),
        ),
        StudioKind(
            "legal_rep_rect",
            _("Legal representative seal (rectangle)"),
            SealKind.LEGAL_REP_RECT,
            Seal.Kind.LEGAL_REP,
            "rect",
            None,
            width=Range(18, 24, 20),
            height=Range(9, 12, 10),
            border=Range(0.6, 1.2, 0.8),
            help=_("Rectangle, 20 × 10 mm: the representative's name and 印 in a row."),
        ),
        StudioKind(
            "custom",
            _("Other seal"),
            SealKind.CUSTOM,
            Seal.Kind.CUSTOM,
            "round",
            "custom",
            size=ROUND,
            help=_("Round, with your own purpose text below the star (not 公章)."),
        ),
    )
}

COLORS = (("red", _("Red")), ("blue", _("Blue")), ("black", _("Black")))

# font choice -> (what the engine is given, label); offered only when the machine has it
FONT_CHOICES = (
    ("song", "song", pgettext_lazy("font", "Song (宋体)")),
    ("kai", "kai", pgettext_lazy("font", "Kai (楷体)")),
    ("hei", "Noto Sans CJK SC", pgettext_lazy("font", "Hei (黑体)")),
)


@functools.cache
def available_fonts() -> tuple[tuple[str, Any], ...]:
    """The font choices whose font ``chop.sealart.fonts`` finds on this machine (once a process)."""
    from chop.sealart.fonts import find_font

    found = []
    for value, engine_name, label in FONT_CHOICES:
        try:
            find_font(engine_name)
        except SealFontError:
            continue
        found.append((value, label))
    return tuple(found)


def engine_font(choice: str | None) -> str | None:
    """The engine's font for a choice; Song is the engine's own default (``None``), which for
    the invoice seal is the regular weight its thin strokes need."""
    if choice == "song":
        return None
    for value, engine_name, _label in FONT_CHOICES:
        if value == choice:
            return engine_name
    return None


# --------------------------------------------------------------------------------- design checks
@dataclass(frozen=True)
class Design:
    """A checked design: the SVG for the preview (and its ETag), or the problems by form field."""

    svg: str = ""
    etag: str = ""
    errors: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


MEASURE_FIELDS = {
    "size": "size_mm",
    "width": "width_mm",
    "height": "height_mm",
    "border": "border_mm",
}
PART_FIELDS = {
    "name": "name",
    "horizontal_text": "horizontal_text",
    "bottom_text": "bottom_text",
    "taxpayer_id": "taxpayer_id",
}


def field_of(err: SealSpecError, kind: StudioKind) -> str:
    """The form field an engine refusal is about, so its message appears beside that field."""
    params = err.params or {}
    if err.code == "out_of_range":
        return MEASURE_FIELDS.get(params.get("measure", ""), "name")
    if err.code == "color":
        return "color"
    if err.code == "oval_shape":
        return "height_mm"
    if err.code == "taxpayer_id_missing":
        return "taxpayer_id"
    if err.code in ("font_missing", "font_file_missing", "font_unreadable"):
        return "font"
    field = PART_FIELDS.get(params.get("part", "name"), "name")
    if kind.legal_rep and field == "name":
        return "suffix"  # the name is the representative's own; only the suffix is chosen here
    return field


def too_long_message(max_chars: int) -> str:
    return str(
        _("The name is too long for this size: at most %(max_chars)s characters.")
        % {"max_chars": max_chars}
    )


def _sizes(spec: SealSpec) -> dict[str, float | None]:
    return {"size_mm": spec.size_mm, "width_mm": spec.width_mm, "height_mm": spec.height_mm}


@functools.lru_cache(maxsize=256)  # an SVG is 20–50 KB: at most ~12 MB per process
def _checked(kind_slug: str, spec: SealSpec, language: str) -> Design:
    """The engine's verdict on ``spec`` in ``language``: cached, the preview asks again and again
    for the same few designs while someone types (``language`` is part of the key because the
    messages are translated)."""
    kind = KINDS[kind_slug]
    # no seal but the official one may read as a 公章, whatever its kind: the name is checked as
    # a custom seal's would be, the purpose text against the kind's own reserved words
    problems = [check_purpose("custom", spec.name)]
    if kind.check_kind is not None:
        problems.append(check_purpose(kind.check_kind, spec.name, spec.horizontal_text))
    for problem in problems:
        if problem is not None:
            return Design(errors=((field_of(problem, kind), explain(problem)),))
    try:
        svg = render(spec).to_svg()
    except SealSpecError as err:
        field = field_of(err, kind)
        message = explain(err)
        chinese = any(is_wide(ch) for ch in spec.name)  # the limit counts Chinese characters
        if (
            field == "name"
            and err.code in ("does_not_fit", "too_long")
            and kind.check_kind
            and chinese
        ):
            sizes = {k: v for k, v in _sizes(spec).items() if v is not None}
            message = too_long_message(max_name_chars(kind.check_kind, **sizes))
        return Design(errors=((field, message),))
    etag = '"' + hashlib.sha256(svg.encode()).hexdigest()[:32] + '"'
    return Design(svg=svg, etag=etag)


def check_design(kind: StudioKind, spec: SealSpec) -> Design:
    """Check a design with the engine in the active language (cached per spec)."""
    from django.utils.translation import get_language

    return _checked(kind.slug, spec, get_language() or "")


def build_spec(kind: StudioKind, data: dict, *, legal_rep_name: str = "") -> SealSpec:
    """The engine spec for the form's cleaned ``data`` (a frozen, hashable SealSpec)."""
    aged = bool(data.get("aged"))
    spec: dict[str, Any] = {
        "kind": kind.engine,
        "name": legal_rep_name if kind.legal_rep else data.get("name", ""),
        "color": data.get("color") or "red",
        "border_mm": data.get("border_mm"),
        "font": engine_font(data.get("font")),
        "aged_seed": (data.get("aged_seed") or 1) if aged else None,
    }
    for f in ("size_mm", "width_mm", "height_mm"):
        if f in kind.fields:
            spec[f] = data.get(f)
    if "horizontal_text" in kind.fields:
        spec["horizontal_text"] = data.get("horizontal_text") or ""
    if "bottom_text" in kind.fields:
        spec["bottom_text"] = data.get("bottom_text") or None
    if "taxpayer_id" in kind.fields:
        spec["taxpayer_id"] = data.get("taxpayer_id") or None
    if "star" in kind.fields:
        spec["star"] = bool(data.get("star"))
    if kind.legal_rep:
        spec["suffix"] = data.get("suffix") or "印"
    return SealSpec(**spec)


# ------------------------------------------------------------------------------------ the maker
def active_legal_rep_seal(company) -> Seal | None:
    """The company's active legal-representative seal: a new design replaces it (and keeps its
    owner, name and certificate); without one the representative must confirm first."""
    return (
        Seal.objects.filter(company=company, kind=Seal.Kind.LEGAL_REP, status=Seal.Status.ACTIVE)
        .select_related("owner", "certificate")
        .first()
    )


def company_certificate(company) -> Certificate | None:
    return (
        Certificate.objects.filter(company=company, user__isnull=True, status="active")
        .order_by("-created_at", "-pk")
        .first()
    )


TOKEN_SALT = "chop.seals.studio"
TOKEN_MAX_AGE = 24 * 3600


def new_form_token(company, user) -> str:
    """A signed seal code drawn for one form: the seal that form makes gets this code."""
    return signing.dumps({"c": new_seal_code(), "o": company.pk, "u": user.pk}, salt=TOKEN_SALT)


def code_from_token(token: str, company, user) -> str | None:
    """The seal code of a form token made for this company and user, or None (tampered, another
    company's or person's, or older than a day)."""
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("o") != company.pk or data.get("u") != user.pk:
        return None
    code = str(data.get("c", ""))
    return code if len(code) == 13 and code.isdigit() else None


class StudioError(Exception):
    """The seal cannot be made now; ``message`` says why, in the user's language."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


def create_seal(
    *, company, user, kind: StudioKind, spec: SealSpec, code: str, request=None
) -> tuple[Seal, bool]:
    """Make the seal in one transaction: (seal, created). ``created`` is False when this form
    was already submitted (the seal with ``code`` exists): nothing is made twice.

    The PNG is drawn before the transaction (a design the engine refuses writes nothing) and saved
    with its row. A legal-representative design replaces the active legal-representative seal: the
    old one is revoked first, in the same transaction, because the database allows one active
    legal-representative seal per company.
    """
    existing = Seal.objects.filter(code=code, company=company).first()
    if existing is not None:
        return existing, False
    png = render(spec).to_png(dpi=300)
    try:
        with transaction.atomic():
            seal = _make(company, user, kind, spec, code, png, request)
    except IntegrityError:
        # the same form submitted twice at once: the other submit made the seal
        existing = Seal.objects.filter(code=code, company=company).first()
        if existing is not None:
            return existing, False
        raise
    return seal, True


def _make(company, user, kind, spec, code, png, request) -> Seal:
    fields: dict[str, Any] = {}
    if kind.legal_rep:
        old = (
            Seal.objects.select_for_update()
            .filter(company=company, kind=Seal.Kind.LEGAL_REP, status=Seal.Status.ACTIVE)
            .first()
        )
        if old is None:
            raise StudioError(NO_LEGAL_REP)
        if old.name != spec.name:
            raise StudioError(_("The legal representative's seal changed meanwhile. Start again."))
        lifecycle.change_state(
            old, "revoke", by=user, reason="replaced by a new design made online", request=request
        )
        fields = {"owner": old.owner, "name": old.name, "certificate": old.certificate}
    else:
        cert = company_certificate(company)
        if cert is None:
            raise StudioError(_("The company has no valid certificate. Contact support."))
        fields = {"name": spec.name, "certificate": cert}
    seal = Seal(
        company=company,
        kind=kind.seal_kind,
        code=code,
        spec=_spec_json(spec),
        status=Seal.Status.ACTIVE,
        origin=Seal.Origin.TEMPLATE,
        created_by=user,
        **fields,
    )
    seal.image.save(f"{kind.slug}-{code}.png", ContentFile(png), save=False)
    try:
        seal.save()
        record(
            "seal.created",
            request=request,
            actor=user,
            company=company,
            obj=seal,
            kind=seal.kind,
            code=seal.code,
            origin=Seal.Origin.TEMPLATE,
            design=kind.slug,
        )
    except Exception:
        seal.image.delete(save=False)  # the file goes with its row: no orphan on a failed save
        raise
    return seal


NO_LEGAL_REP = _(
    "The legal representative must confirm their seal first (from the notice on the Seals page); "
    "a new design can then replace it."
)
