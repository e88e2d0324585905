"""A person's handwritten signature (扫码签名): drawn on a phone through a QR link, drawn on the
desktop, or rendered from the name in a Kai font.

Each person has one current signature: a ``Seal(kind="signature", company=None, owner=user)``.
A new one revokes the previous one in the same transaction, which starts by locking the person's
user row, so two signatures arriving at once are serialised by the database and the second
revokes the first.

**Certificates, without importing verification.** A signature signs with the person's
certificate (``Certificate(user=…, company=None)``), which the platform CA issues only to a
person whose real name is verified. The seals app sits below verification in the layers, so:

* ``chop.verification`` registers :func:`register_identity_lookup` in its ``AppConfig.ready``:
  a function ``user -> object with .name and .id_number`` (the approved person case) or ``None``.
  A signature made by a verified person gets their existing person certificate, or one issued
  on the spot through this lookup.
* When a person is approved, verification calls :func:`person_verified`: the signatures they
  made before (saved, but not usable for stamping) get the certificate, issued then if needed.
  A person who never made a signature gets no key until they make one.

The certificate is issued inside the transaction that stores it: if that transaction does not
commit, the CA's record of it and its key are rolled back too.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image

from chop.audit.events import record
from chop.uploads import PNG, detect, random_name

from . import lifecycle
from .issuance import _spec_json, person_certificate
from .models import Certificate, Seal, SignatureLink

LINK_LIFETIME = timedelta(minutes=10)

# What a drawn signature may be. A phone canvas at devicePixelRatio 3 held sideways is about
# 2600 px wide and a desktop pad at ratio 2 about 2000 px; far larger is not a drawing.
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
MAX_SIDE = 4096
MAX_PIXELS = 8_000_000
MIN_INK_PIXELS = 40  # fewer visible pixels than this is a tap, not a signature
INK_ALPHA = 16  # a pixel at least this opaque is ink
MAX_INK_SHARE = 0.7  # ink over most of the picture: it has a background, it is not a drawing
MARGIN = 0.04  # transparent border kept around the ink, as a share of the longer side


class SignatureError(Exception):
    """A drawing or link the service refuses; ``message`` is for the person, ``status`` for HTTP."""

    def __init__(self, message, *, code: str, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.status = status


# --- who the person is (filled in by chop.verification) ------------------------------------------

_identity_lookup: Callable[[Any], Any] | None = None


def register_identity_lookup(lookup: Callable[[Any], Any]) -> None:
    """Called by ``chop.verification`` at start-up: ``lookup(user)`` returns the approved real
    identity (``.name``, ``.id_number``) or ``None``."""
    global _identity_lookup
    _identity_lookup = lookup


def verified_identity(user) -> Any | None:
    """The person's verified identity, or ``None`` (not verified, or no verification app)."""
    if _identity_lookup is None or not getattr(user, "is_authenticated", False):
        return None
    return _identity_lookup(user)


def signature_name(user, identity=None) -> str:
    """The name a signature carries: the verified real name, else the account name."""
    identity = identity if identity is not None else verified_identity(user)
    return (identity.name if identity is not None else "") or user.name or ""


# --- links ---------------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_link(user, *, now: datetime | None = None) -> tuple[SignatureLink, str]:
    """A new QR link for ``user``; returns it and its token (shown once, never stored).

    Older unused links of the user stop working: their expiry moves to now.
    """
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)  # 32 random bytes
    with transaction.atomic():
        SignatureLink.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        link = SignatureLink.objects.create(
            user=user,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    return link, token


def link_url(token: str) -> str:
    """The address the QR code encodes: the phone is not on localhost, so the site's own URL."""
    return settings.SITE_URL.rstrip("/") + reverse("signature_phone", args=[token])


def link_state(link: SignatureLink, *, now: datetime | None = None) -> str:
    """``"used"``, ``"expired"`` (or cancelled by a newer link) or ``"open"``."""
    if link.used_at is not None:
        return "used"
    if link.expires_at <= (now or timezone.now()):
        return "expired"
    return "open"


def open_link(token: str, *, now: datetime | None = None) -> SignatureLink:
    """The link for ``token`` if it can still be used; :class:`SignatureError` (404 unknown,
    410 used or expired) otherwise."""
    link = (
        SignatureLink.objects.select_related("user").filter(token_hash=hash_token(token)).first()
        if token
        else None
    )
    if link is None:
        raise SignatureError(_("This signing link does not exist."), code="unknown", status=404)
    state = link_state(link, now=now)
    if state == "used":
        raise SignatureError(_("This signing link was already used."), code="used", status=410)
    if state == "expired":
        raise SignatureError(
            _("This signing link has expired or was replaced by a newer one."),
            code="expired",
            status=410,
        )
    return link


# --- the drawing ---------------------------------------------------------------------------------


def _refuse(message, code: str) -> SignatureError:
    return SignatureError(message, code=code)


def clean_signature_png(data: bytes) -> bytes:
    """Check a drawn signature and write it again: a PNG with alpha, some ink, a transparent
    background, cropped to the ink with a small transparent margin.

    The pad crops in the browser already; this does it again because the upload is whatever the
    client sent. Only pixels survive (no text chunks, no appended bytes), and fully transparent
    pixels are zeroed so nothing hides in their colour.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(_("The drawing is too large to be a signature."), "too_big")
    if detect(data[:16]) is not PNG:
        raise _refuse(_("The signature must be a PNG image."), "not_png")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as img:
                w, h = img.size
                if max(w, h) > MAX_SIDE or w * h > MAX_PIXELS:
                    raise _refuse(
                        _("The drawing is %(w)d×%(h)d pixels; that is too large.")
                        % {"w": w, "h": h},
                        "pixels",
                    )
                has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
                img.load()
                rgba = img.convert("RGBA")
    except SignatureError:
        raise
    except Exception:
        raise _refuse(_("This file is not a readable PNG image."), "unreadable") from None
    if not has_alpha:
        raise _refuse(_("The signature needs a transparent background."), "no_alpha")
    alpha = rgba.getchannel("A")
    ink = alpha.point(lambda a: 255 if a >= INK_ALPHA else 0)
    box = ink.getbbox()
    ink_pixels = ink.histogram()[255]
    if box is None or ink_pixels < MIN_INK_PIXELS:
        raise _refuse(_("The pad is empty: draw your signature first."), "empty")
    x0, y0, x1, y1 = box
    if ink_pixels > MAX_INK_SHARE * (x1 - x0) * (y1 - y0):
        raise _refuse(_("The signature needs a transparent background."), "no_alpha")
    pad = max(2, round(MARGIN * max(x1 - x0, y1 - y0)))
    cropped = rgba.crop((x0, y0, x1, y1))
    out = Image.new("RGBA", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), (0, 0, 0, 0))
    out.paste(cropped, (pad, pad))
    # zero the colour under full transparency: only visible pixels carry anything
    clear = out.getchannel("A").point(lambda a: 255 if a == 0 else 0)
    out.paste((0, 0, 0, 0), (0, 0), clear)
    buf = io.BytesIO()
    out.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def typed_png(name: str) -> tuple[bytes, dict]:
    """The name in a Kai font, black on transparent, 300 dpi; and its spec as JSON.
    Raises ``SealSpecError`` (e.g. a character the font lacks): views ``explain`` it."""
    from chop.sealart import SealKind, SealSpec, render

    spec = SealSpec(kind=SealKind.SIGNATURE, name=name, font="kai")
    return render(spec).to_png(dpi=300), _spec_json(spec)


# --- making the signature ------------------------------------------------------------------------


def current_signature(user) -> Seal | None:
    """The person's signature in force (active), if any."""
    return (
        Seal.objects.filter(
            owner=user, company__isnull=True, kind=Seal.Kind.SIGNATURE, status=Seal.Status.ACTIVE
        )
        .select_related("certificate")
        .first()
    )


def _person_certificate(user, identity, *, by) -> Certificate | None:
    """The person's certificate: the one they have, or a new one if they are verified (None for
    an unverified person without one). Call inside a transaction."""
    if identity is None:
        return Certificate.objects.filter(
            user=user, company__isnull=True, status=Certificate.Status.ACTIVE
        ).first()
    return person_certificate(
        user, identity.name, identity.id_number, by=by, company=None, holder="signature"
    )


def _lock_person(user) -> None:
    """Serialise every signature change of one person on their user row (PostgreSQL row lock;
    SQLite transactions are IMMEDIATE, so writers queue anyway)."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()


def save_signature(
    user,
    png: bytes,
    *,
    origin: str,
    spec: dict | None = None,
    link: SignatureLink | None = None,
    request=None,
    now: datetime | None = None,
) -> Seal:
    """Make ``png`` (already checked) the person's signature, in one transaction.

    With ``link``, the link is consumed first by a conditional UPDATE: if another phone used it
    (or it expired) in the meantime, :class:`SignatureError` and nothing is written. The previous
    active signature is revoked. The image file is written only together with its row: if the
    transaction fails it is deleted again.
    """
    now = now or timezone.now()
    identity = verified_identity(user)
    seal = Seal(
        kind=Seal.Kind.SIGNATURE,
        company=None,
        owner=user,
        name=signature_name(user, identity)[:200] or user.display_name,
        origin=origin,
        status=Seal.Status.ACTIVE,
        spec=spec or {"kind": "signature", "origin": origin},
        created_by=user,
    )
    try:
        with transaction.atomic():
            if link is not None:
                taken = SignatureLink.objects.filter(
                    pk=link.pk, user=user, used_at__isnull=True, expires_at__gt=now
                ).update(used_at=now)
                if taken != 1:
                    raise SignatureError(
                        _("This signing link was already used or has expired."),
                        code="gone",
                        status=410,
                    )
            _put_in_force(
                user,
                seal,
                png,
                identity,
                request=request,
                reason="replaced by a new signature",
                via="qr" if link is not None else "desktop",
            )
            if link is not None:
                SignatureLink.objects.filter(pk=link.pk).update(seal=seal)
    except BaseException:
        if seal.image:
            seal.image.delete(save=False)
        raise
    return seal


def _put_in_force(user, seal: Seal, png: bytes, identity, *, request, reason: str, **audit) -> None:
    """Save ``seal`` (a signature or personal seal, not yet saved) as the person's one current
    seal of its kind: the previous ones of that kind are revoked with ``reason``, the person
    certificate bound (issued if verified and missing), the image written, the event recorded.
    Call inside a transaction; the caller deletes the image if the transaction fails."""
    _lock_person(user)
    for old in Seal.objects.filter(
        owner=user,
        company__isnull=True,
        kind=seal.kind,
        status__in=[Seal.Status.ACTIVE, Seal.Status.DISABLED],
    ):
        lifecycle.change_state(old, "revoke", by=user, reason=reason, request=request)
    seal.certificate = _person_certificate(user, identity, by=user)
    seal.image.save(random_name(PNG), ContentFile(png), save=False)
    seal.save()
    record(
        "seal.created",
        request=request,
        actor=user,
        company=None,
        obj=seal,
        kind=seal.kind,
        code=seal.code,
        origin=seal.origin,
        **audit,
    )


# --- the personal seal (个人印章) -----------------------------------------------------------------

PERSONAL_SEAL_SUFFIXES = ("印", "之印")


def current_personal_seal(user) -> Seal | None:
    """The person's personal name seal in force, if any."""
    return Seal.objects.filter(
        owner=user, company__isnull=True, kind=Seal.Kind.PERSONAL, status=Seal.Status.ACTIVE
    ).first()


def make_personal_seal(user, *, suffix: str, request=None) -> Seal:
    """The person's square name seal (e.g. 张三之印), drawn from the *verified* real name: a
    seal that reads as a person's name must be that person's, so an unverified account cannot
    make one. It signs with the person certificate and replaces the previous personal seal."""
    from chop.sealart import SealKind, SealSpec, render

    identity = verified_identity(user)
    if identity is None:
        raise SignatureError(
            _("A personal seal carries your verified real name: verify your real name first."),
            code="unverified",
            status=403,
        )
    if suffix not in PERSONAL_SEAL_SUFFIXES:
        raise SignatureError(_("Choose how the seal ends: 印 or 之印."), code="suffix")
    spec = SealSpec(kind=SealKind.LEGAL_REP_SQUARE, name=identity.name, suffix=suffix)
    png = render(spec).to_png(dpi=300)  # a name the engine cannot draw fails before any write
    seal = Seal(
        kind=Seal.Kind.PERSONAL,
        company=None,
        owner=user,
        name=identity.name[:200],
        origin=Seal.Origin.TEMPLATE,
        status=Seal.Status.ACTIVE,
        spec=_spec_json(spec),
        created_by=user,
    )
    try:
        with transaction.atomic():
            _put_in_force(
                user, seal, png, identity, request=request, reason="replaced by a new personal seal"
            )
    except BaseException:
        if seal.image:
            seal.image.delete(save=False)
        raise
    return seal


def person_verified(user, name: str, id_number: str, *, by=None) -> Certificate | None:
    """Called by verification when the person's real name is approved (inside its decision
    transaction): the signatures they made before get their person certificate, issued now if
    they have none. Returns the certificate, or ``None`` if they have no signature waiting."""

    identity = SimpleNamespace(name=name, id_number=id_number)
    waiting = Seal.objects.filter(
        owner=user, company__isnull=True, kind=Seal.Kind.SIGNATURE, certificate__isnull=True
    ).exclude(status=Seal.Status.REVOKED)
    with transaction.atomic():
        _lock_person(user)
        seals = list(waiting)
        if not seals:
            return None
        cert = _person_certificate(user, identity, by=by)
        for seal in seals:
            seal.certificate = cert
            seal.save(update_fields=["certificate", "updated_at"])
            record(
                "seal.certificate_bound",
                actor=by,
                company=None,
                obj=seal,
                kind=seal.kind,
                code=seal.code,
                serial=cert.serial_hex if cert else "",
            )
    return cert
