"""Issuing certificates and generating seals: the bridge from the Django models to chop.pki and
chop.sealart. Called when a company or its legal representative is verified.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from datetime import UTC
from functools import cache

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from chop.audit.events import record

from .models import Certificate, Seal

log = logging.getLogger(__name__)


@cache
def _ca_for(directory: str, site_url: str):
    from chop.pki import PlatformCA

    ca = PlatformCA.open_or_init(directory, settings.CHOP_KEK, site_url=site_url)
    site_url = site_url.rstrip("/")
    if ca.site_url != site_url:
        # The CA was made while the site had another address (`make run PORT=…` after a run on
        # 8000): certificates issued from now on carry CRL/OCSP URLs at the current SITE_URL.
        # Those already issued, and the CA certificates, keep theirs: they are signed.
        with ca.store.locked():
            config = ca.store.read_config()
            config["site_url"] = site_url
            ca.store.write_config(config)
            ca.config = config
    return ca


def platform_ca():
    """The platform CA, created on first use under ``CHOP_PKI_DIR`` and kept loaded."""
    return _ca_for(str(settings.CHOP_PKI_DIR), settings.SITE_URL)


_guard = threading.local()


@contextlib.contextmanager
def certificates_bound_or_discarded() -> Iterator[None]:
    """Certificates issued inside this block end up bound to committed rows, or are discarded.

    The CA issues outside the database: a certificate is good in its index (and OCSP says so)
    the moment it is issued, whether or not the transaction that stores it commits. Wrap the
    whole decision, *outside* its ``transaction.atomic()``, in this block: if the block raises,
    every certificate it issued is revoked and its key deleted (``PlatformCA.discard``); if it
    ends while no transaction is open any more, a certificate whose row did not commit (an error
    swallowed on the way) is discarded too. Nested blocks leave the decision to the outermost.
    """
    if getattr(_guard, "issued", None) is not None:
        yield
        return
    issued: list = []
    _guard.issued = issued
    try:
        yield
    except BaseException:
        _discard_unbound(issued)
        raise
    else:
        if not transaction.get_connection().in_atomic_block:
            _discard_unbound(issued)
    finally:
        _guard.issued = None


def _discard_unbound(issued: list) -> None:
    """Discard the credentials whose Certificate row is not in the database.

    Inside a transaction that is unwinding an error nothing of ours survives (our atomic block
    rolled back) and the connection may refuse queries, so all are discarded. Outside one, the
    rows tell: an error raised after the commit (by an on-commit callback) must not revoke
    certificates that were bound.
    """
    if not issued:
        return
    if transaction.get_connection().in_atomic_block:
        _discard(issued)
        return
    stored = set(
        Certificate.objects.filter(serial__in=[str(c.serial) for c in issued]).values_list(
            "serial", flat=True
        )
    )
    _discard([c for c in issued if str(c.serial) not in stored])


def _issued(credential):
    """Note a fresh credential for the enclosing ``certificates_bound_or_discarded`` block."""
    issued = getattr(_guard, "issued", None)
    if issued is not None:
        issued.append(credential)
    return credential


def _discard(credentials) -> None:
    for credential in credentials:
        try:
            platform_ca().discard(credential.serial)
        except Exception:  # keep going: the others must be discarded too
            log.exception("could not discard certificate %x", credential.serial)
        else:
            log.warning(
                "discarded certificate %x: its transaction did not commit", credential.serial
            )


def _store_certificate(credential, *, company=None, user=None) -> Certificate:
    cert = credential.certificate
    from cryptography.hazmat.primitives.serialization import Encoding

    return Certificate.objects.create(
        company=company,
        user=user,
        serial=str(credential.serial),
        subject=cert.subject.rfc4514_string()[:400],
        pem=cert.public_bytes(Encoding.PEM).decode(),
        key_ref=str(credential.key_ref),
        not_before=cert.not_valid_before_utc.astimezone(UTC),
        not_after=cert.not_valid_after_utc.astimezone(UTC),
    )


def _seal_png(spec) -> bytes:
    from chop.sealart import render

    return render(spec).to_png(dpi=300)


def _spec_json(spec) -> dict:
    import dataclasses
    import enum

    def plain(v):
        if isinstance(v, enum.Enum):
            return v.value
        if isinstance(v, tuple | list):
            return [plain(x) for x in v]
        return v

    return {f.name: plain(getattr(spec, f.name)) for f in dataclasses.fields(spec)}


def _create_generated_seal(
    spec,
    png: bytes,
    filename: str,
    *,
    by,
    origin_note: str = "verification",
    request=None,
    **fields,
) -> Seal:
    """Save an active seal generated by the platform, with its image, and record it."""
    seal = Seal(
        spec=_spec_json(spec),
        status=Seal.Status.ACTIVE,
        origin="generated",
        created_by=by,
        **fields,
    )
    seal.image.save(filename, ContentFile(png), save=False)
    seal.save()
    record(
        "seal.created",
        request=request,
        actor=by,
        company=seal.company,
        obj=seal,
        kind=seal.kind,
        code=seal.code,
        origin=origin_note,
    )
    return seal


def active_official_seal(company) -> Seal | None:
    return Seal.objects.filter(
        company=company, kind=Seal.Kind.OFFICIAL, status=Seal.Status.ACTIVE
    ).first()


def live_official_seal(company) -> Seal | None:
    """The company's official seal that is in use or only paused (active or disabled).
    Revoking it, not disabling it, is what lets a new one be made (PRODUCT.md §2)."""
    return active_official_seal(company) or (
        Seal.objects.filter(company=company, kind=Seal.Kind.OFFICIAL, status=Seal.Status.DISABLED)
        .order_by("-pk")
        .first()
    )


def active_company_certificate(company) -> Certificate | None:
    """The company's own certificate that is valid now (not a person's), if there is one."""
    from django.utils import timezone

    now = timezone.now()
    return (
        Certificate.objects.filter(
            company=company,
            user__isnull=True,
            status=Certificate.Status.ACTIVE,
            not_before__lte=now,
            not_after__gt=now,
        )
        .order_by("-not_after", "-pk")
        .first()
    )


def ensure_official_seal(company, *, by=None, request=None) -> Seal:
    """The company's active official seal: the one it has, or a new one.

    Called on verification (the free 公章 and the company certificate) and again after the
    official seal was revoked ("generate a new official seal"). A company certificate that is
    still valid is reused: a company holds one certificate, and a second one would only make
    revocation and the records harder to follow. A new seal gets a new seal code.

    Two calls at once (two clicks, two operators) make one seal: the database constraint
    ``one_active_official_seal_per_company`` refuses the second row, and the loser returns the
    winner's seal; a certificate it issued on the way is discarded with its transaction.
    """
    existing = active_official_seal(company)
    if existing:
        return existing
    from chop.sealart import official_seal_for

    from .models import new_seal_code

    reissue = Seal.objects.filter(company=company, kind=Seal.Kind.OFFICIAL).exists()
    code = new_seal_code()
    # The seal code runs along the bottom arc, as the anti-forgery code does on physical seals.
    spec = official_seal_for(company.name, bottom_text=code)
    png = _seal_png(spec)  # draw first: a name that cannot be drawn fails before anything is issued
    try:
        with certificates_bound_or_discarded(), transaction.atomic():
            cert = active_company_certificate(company)
            if cert is None:
                credential = _issued(platform_ca().issue_company(company.name, company.uscc))
                cert = _store_certificate(credential, company=company)
                record(
                    "certificate.issued",
                    request=request,
                    actor=by,
                    company=company,
                    obj=cert,
                    serial=cert.serial_hex,
                )
            return _create_generated_seal(
                spec,
                png,
                f"official-{company.pk}.png",
                by=by,
                origin_note="regenerated" if reissue else "verification",
                request=request,
                company=company,
                kind=Seal.Kind.OFFICIAL,
                name=company.name,
                code=code,
                certificate=cert,
            )
    except IntegrityError:
        winner = active_official_seal(company)
        if winner is None:  # not the race we know (a seal-code clash): let it be seen
            raise
        return winner


def person_certificate(
    user, name: str, id_number: str, *, by=None, company=None, holder: str
) -> Certificate:
    """The person's certificate: the active one they have, or one issued now for ``name`` and
    ``id_number`` (audited with ``holder``, the reason: ``legal_rep`` or ``signature``). A person
    has one certificate for their legal-representative seal and their signatures alike.

    Call inside ``certificates_bound_or_discarded()`` and a transaction, so a certificate whose
    row does not commit is discarded."""
    cert = Certificate.objects.filter(
        user=user, company__isnull=True, status=Certificate.Status.ACTIVE
    ).first()
    if cert is not None:
        return cert
    credential = _issued(platform_ca().issue_person(name, id_number))
    cert = _store_certificate(credential, user=user)
    record(
        "certificate.issued",
        actor=by,
        company=company,
        obj=cert,
        serial=cert.serial_hex,
        holder=holder,
    )
    return cert


def ensure_legal_rep_seal(company, user, name: str, id_number: str, *, by=None) -> Seal:
    """The legal representative's personal seal and person certificate, once per company."""
    existing = Seal.objects.filter(
        company=company, owner=user, kind=Seal.Kind.LEGAL_REP, status=Seal.Status.ACTIVE
    ).first()
    if existing:
        return existing
    from chop.sealart import SealKind, SealSpec

    spec = SealSpec(kind=SealKind.LEGAL_REP_SQUARE, name=name, suffix="印")
    png = _seal_png(spec)
    with certificates_bound_or_discarded(), transaction.atomic():
        cert_row = person_certificate(
            user, name, id_number, by=by, company=company, holder="legal_rep"
        )
        return _create_generated_seal(
            spec,
            png,
            f"legal-rep-{company.pk}-{user.pk}.png",
            by=by,
            company=company,
            owner=user,
            kind=Seal.Kind.LEGAL_REP,
            name=name,
            certificate=cert_row,
        )


def verify_certificate(cert: Certificate) -> tuple[bool, str]:
    """Validate a stored certificate's chain against the platform root: (ok, explanation).

    The explanation is the path's names (root first) or the validator's own words; pages use
    ``certificates.check_chain`` for the translated, labelled version.
    """
    from .certificates import check_chain

    check = check_chain(cert)
    return check.ok, " → ".join(check.path) if check.ok else check.detail
