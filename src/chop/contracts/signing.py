"""The signing act (PRODUCT.md §4): one party's marks and one PAdES B-T signature, written as one
incremental revision that becomes the contract's next version.

Everything is decided and written in one transaction that holds the contract's row lock
(``states.lock_contract``; on SQLite the IMMEDIATE transaction's write lock): parties signing at
once queue there, and each act reads the version that is current when its turn comes, so no
signature is built on a copy another act has already replaced. Inside it: the party is still
``to_sign`` and the user may act for it; the seal is one that could stamp for the party, and
``permissions.may_stamp`` (asked again here, on fresh rows: a grant that ended while the page
was open refuses the act) names the one authorisation that allows it; one confirmation of intent
is consumed; the current file is copied out, signed with the stamp's provenance in the signature,
stored as the next version; the authorisation is consumed by one conditional UPDATE (a grant's
use, an approval, an auto-sign day's use), and the act row naming it, the seal's use count, the
party's move (``sending.mark_signed``) and the audit record follow. Any failure rolls all of it back, and the file already written for the new version is
deleted again, so the previous version stays current and no row points at a half-made file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Case, F, Prefetch, Q, QuerySet, Value, When, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from chop import pdfsign as ps
from chop.audit.events import record
from chop.explain import explain
from chop.grants.models import AutoSignAuthorisation, Grant, UseRequest
from chop.metrics import signing_timed
from chop.orgs import permissions
from chop.orgs.access import membership_in
from chop.seals import stamping
from chop.seals.models import Seal
from chop.seals.stamping import appearance

from . import documents, intent, positions, provenance, sending
from .models import (
    Contract,
    DocumentVersion,
    IntentMethod,
    Participant,
    SigningAct,
    SigningIntent,
    StampRecord,
)
from .states import TransitionError, lock_contract

MAX_FREE_MARKS = 20


class SigningError(Exception):
    """The act was refused or failed; nothing was written. ``message`` is for the signer."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class FreeMark:
    """A seal placed on the signing page by a non-designated party: the seal's top-left corner
    in displayed-page millimetres (the engine's coordinates)."""

    page: int
    x_mm: float
    y_mm: float


# --- which seals a party may use ------------------------------------------------------------


@dataclass(frozen=True)
class SealChoice:
    """One candidate seal on the signing page: ``decision`` is ``permissions.may_stamp``'s answer
    (``Allowed`` seals are offered for stamping; a ``Refused`` one with ``may_request`` offers
    "request approval"), ``request`` the user's latest use request for it on this contract."""

    seal: Seal
    decision: permissions.Allowed | permissions.Refused
    request: UseRequest | None = None

    @property
    def allowed(self) -> bool:
        return bool(self.decision)


def candidate_seals(participant: Participant, user) -> QuerySet[Seal]:
    """The seals that could stamp for ``participant`` (not yet whether ``user`` may): for a
    company party, the company's usable seals (not someone else's legal-representative seal);
    for a person party, the user's own usable seals and signatures with a person certificate."""
    usable = Seal.objects.usable().select_related("certificate")
    if participant.kind == Participant.Kind.PERSON:
        if participant.user_id is None or user is None or participant.user_id != user.pk:
            return usable.none()
        return usable.filter(owner=user, certificate__user=user).order_by("kind", "pk")
    if participant.company_id is None or user is None:
        return usable.none()
    return (
        usable.filter(company_id=participant.company_id)
        .filter(Q(owner__isnull=True) | Q(owner=user))
        .order_by("kind", "pk")
    )


def _with_authorisations(seals: QuerySet[Seal], contract_id: int, user) -> QuerySet[Seal]:
    """``seals`` with what ``may_stamp`` reads, prefetched: grants (with their members), the
    user's use requests on this contract, and auto-sign authorisations."""
    return seals.prefetch_related(
        Prefetch("grants", queryset=Grant.objects.prefetch_related("members")),
        Prefetch(
            "use_requests",
            queryset=UseRequest.objects.filter(contract_id=contract_id, requester_id=user.pk),
        ),
    )


def seal_choices(participant: Participant, user, *, now=None) -> list[SealChoice]:
    """Every candidate seal for ``participant`` with ``may_stamp``'s decision for ``user`` and
    their latest use request for it on this contract. The page offers the allowed ones, and
    "request approval" for those refused with ``may_request``."""
    if user is None or not user.is_authenticated:
        return []
    contract = participant.contract
    m = membership_in(user, participant.company_id)
    actor = permissions.Actor.person(user, m)
    out = []
    for seal in _with_authorisations(candidate_seals(participant, user), contract.pk, user):
        requests = sorted(seal.use_requests.all(), key=lambda r: r.pk)
        decision = permissions.may_stamp(actor, seal, contract, now=now)
        out.append(SealChoice(seal, decision, requests[-1] if requests else None))
    return out


# --- how a seal looks on the page -----------------------------------------------------------

# --- the act --------------------------------------------------------------------------------


def field_name(participant: Participant) -> str:
    """One signature field per party: a retried or concurrent act cannot reuse another's."""
    return f"chop-party-{participant.pk}"


def _free_marks(
    free: Iterable[FreeMark], version: DocumentVersion, look: ps.SealAppearance
) -> list:
    marks = []
    for f in list(free)[: MAX_FREE_MARKS + 1]:
        if len(marks) >= MAX_FREE_MARKS:
            raise SigningError(
                _("Place at most %(n)d seals.") % {"n": MAX_FREE_MARKS}, code="free.too_many"
            )
        if not 1 <= int(f.page) <= version.page_count:
            raise SigningError(_("That page is not in the document."), code="free.page")
        w_mm, h_mm = positions.page_size_mm(version, int(f.page))
        if not (0 <= f.x_mm <= w_mm - 1 and 0 <= f.y_mm <= h_mm - 1):
            raise SigningError(_("Place the seal on the page."), code="free.outside")
        marks.append(ps.SingleMark(look, page=int(f.page), x_mm=float(f.x_mm), y_mm=float(f.y_mm)))
    return marks


def _refuse(message: str, code: str) -> SigningError:
    return SigningError(message, code=code)


def _decide(actor: permissions.Actor, seal_pk: int, contract: Contract, user, now):
    """``may_stamp`` asked again inside the locked transaction, on fresh rows: the final word."""
    base = Seal.objects.filter(pk=seal_pk).select_related("certificate")
    if actor.platform:
        # with who confirmed each: the act's provenance names them
        fresh = base.prefetch_related(
            Prefetch(
                "autosign_authorisations",
                queryset=AutoSignAuthorisation.objects.select_related("confirmed_by"),
            )
        ).first()
    else:
        fresh = _with_authorisations(base, contract.pk, user).first()
    if fresh is None:
        raise _refuse(_("This seal no longer exists."), "seal_unusable")
    return fresh, permissions.may_stamp(actor, fresh, contract, now=now)


def _consume(allowed: permissions.Allowed, now) -> dict:
    """Use up what ``allowed`` allows, by one conditional UPDATE each, in the act's transaction
    (a concurrent act on another contract races only here, and the database decides): a
    grant's use (refused at its cap; the check constraint is the last guard), an approval (one
    act), an auto-sign authorisation's daily cap (reset on a new local day). Returns the
    ``SigningAct`` fields that name the authorisation."""
    kind, auth = allowed.kind, allowed.authorisation
    if kind == "grant":
        done = (
            Grant.objects.filter(pk=auth.pk, revoked_at__isnull=True)
            .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
            .update(uses=F("uses") + 1)
        )
        if not done:
            raise _refuse(_("Your grant for this seal has reached its use cap."), "grant_cap")
        return {"authorisation_kind": kind, "grant": auth}
    if kind == "approval":
        done = UseRequest.objects.filter(
            pk=auth.pk, state=UseRequest.State.APPROVED, used_at__isnull=True
        ).update(state=UseRequest.State.USED, used_at=now)
        if not done:
            raise _refuse(_("Your approval allowed one stamp, and it was used."), "approval_used")
        return {"authorisation_kind": kind, "use_request": auth}
    if kind == "autosign":
        today = timezone.localdate(now)
        done = (
            AutoSignAuthorisation.objects.filter(pk=auth.pk, revoked_at__isnull=True)
            .filter(
                Q(uses_day__isnull=True)
                | ~Q(uses_day=today)
                | Q(uses_day=today, uses_on_day__lt=F("daily_cap"))
            )
            .update(
                uses_on_day=Case(When(uses_day=today, then=F("uses_on_day") + 1), default=Value(1)),
                uses_day=today,
                uses=F("uses") + 1,
            )
        )
        if not done:
            raise _refuse(
                _("The auto-sign authorisation has reached its daily cap."), "autosign_cap"
            )
        return {"authorisation_kind": kind, "autosign": auth}
    return {"authorisation_kind": kind}


def _provenance(seal: Seal, allowed: permissions.Allowed, method: str, at) -> dict:
    """What the signature carries about the stamp: seal, authorisation and intent."""
    return provenance.for_act(seal, allowed, intent_method=method, intent_at=at)


def sign(
    participant: Participant,
    *,
    by,
    seal: Seal,
    intent: SigningIntent | None,
    free: Iterable[FreeMark] = (),
    ip: str | None = None,
    device: str = "",
) -> SigningAct:
    """Sign for ``participant`` as ``by`` with ``seal``, consuming ``intent``; return the act.
    ``ip`` and ``device`` (the browser's User-Agent) go into the stamping record.

    Raises :class:`SigningError` (translated message, nothing written) when the act is not
    allowed or the engine refuses the document.
    """
    with (
        signing_timed("person", SigningError),
        tempfile.TemporaryDirectory(prefix="chop-sign-") as work,
        documents.files_discarded_on_failure() as stored,
        transaction.atomic(),
    ):
        return _sign_locked(
            participant, by, seal, intent, list(free), (ip, device), Path(work), stored
        )


def sign_auto(
    participant: Participant,
    *,
    seal: Seal,
    ip: str | None = None,
    device: str = "",
    locked: Contract | None = None,
) -> SigningAct:
    """The platform stamps for a company ``participant`` with ``seal`` under an active auto-sign
    authorisation (静默签), without a person: the same locked transaction and checks as
    :func:`sign`, ``may_stamp`` for ``Actor.autosign()``, the party's designated positions (the
    platform places nothing itself), and one use of the authorisation's daily cap. Intent is
    the owner's confirmation of the authorisation. The API calls it.

    ``locked``: the contract, already locked by the caller's transaction (``lock_contract``),
    with ``participant`` one of its parties read under that lock (the API reads the contract
    it answers with once, under the lock). Nothing is locked or read again, no savepoint is
    opened (a refusal aborts the caller's transaction), and the party, the contract and its
    parties are updated in place.

    Raises :class:`SigningError` (nothing written) when it is not allowed.
    """
    with (
        signing_timed("auto", SigningError),
        tempfile.TemporaryDirectory(prefix="chop-sign-") as work,
        documents.files_discarded_on_failure() as stored,
        transaction.atomic(savepoint=locked is None),
    ):
        if locked is None:
            contract, party = _locked_party(participant)
        else:
            contract, party = locked, participant
            _check_turn(contract, party)
        if party.kind != Participant.Kind.COMPANY or party.company_id != seal.company_id:
            raise _refuse(
                _("Auto-sign stamps only for a company party with that company's seal."),
                "autosign_party",
            )
        now = timezone.now()
        chosen, decision = _decide(permissions.Actor.autosign(), seal.pk, contract, None, now)
        if not decision:
            raise _refuse(str(decision.message), decision.code)
        # read once: the stamping below places the seal at these same positions
        prefetch_related_objects([party], "positions")
        if not party.positions.all():
            raise _refuse(
                _("Auto-sign needs designated positions: this party has none."),
                "autosign_positions",
            )
        auth = decision.authorisation
        return _stamp(
            contract,
            party,
            None,
            chosen,
            decision,
            (IntentMethod.AUTO, auth.confirmed_at),
            [],
            (ip, device),
            Path(work),
            stored,
            now,
        )


def _locked_party(participant: Participant) -> tuple[Contract, Participant]:
    contract: Contract = lock_contract(participant.contract_id)
    party = Participant.objects.select_related("company", "user").get(pk=participant.pk)
    _check_turn(contract, party)
    return contract, party


def _check_turn(contract: Contract, party: Participant) -> None:
    if contract.state != Contract.State.SIGNING:
        raise _refuse(_("This contract is not being signed."), "contract_not_signing")
    if party.state != Participant.State.TO_SIGN:
        raise _refuse(_("It is not this party's turn to sign."), "not_your_turn")


def _sign_locked(participant, by, seal, intent_row, free, client, work: Path, stored) -> SigningAct:
    contract, party = _locked_party(participant)
    m = membership_in(by, party.company_id)
    if not permissions.can_sign_for(m, party, by):
        raise _refuse(_("You may not sign for this party."), "not_allowed")
    if not candidate_seals(party, by).filter(pk=seal.pk).exists():
        raise _refuse(
            _("This seal cannot be used for this party: choose one of the seals offered."),
            "seal_unusable",
        )
    now = timezone.now()
    seal_m = m if seal.company_id == party.company_id else membership_in(by, seal.company_id)
    actor = permissions.Actor.person(by, seal_m)
    chosen, decision = _decide(actor, seal.pk, contract, by, now)
    if not decision:
        raise _refuse(str(decision.message), decision.code)
    if intent_row is None or not intent.consume(intent_row, party, by, now=now):
        raise _refuse(
            _("Confirm that you mean to sign (signing password or code) and try again."),
            "intent_missing",
        )
    intent_row.refresh_from_db(fields=["method", "confirmed_at"])
    return _stamp(
        contract,
        party,
        by,
        chosen,
        decision,
        (intent_row.method, intent_row.confirmed_at),
        free,
        client,
        work,
        stored,
        now,
    )


def _stamp(
    contract, party, by, chosen, allowed, intent_of, free, client, work: Path, stored, now
) -> SigningAct:
    """The stamping itself, inside the locked transaction, once everything is decided: the
    marks, the signature, the new version, the authorisation consumed, the act and its record."""
    intent_method, intent_at = intent_of
    ip, device = client
    current = contract.versions.order_by("-number").first()
    if current is None:
        raise _refuse(_("The contract has no document."), "no_document")
    look = appearance(chosen)
    placed = list(party.positions.all())
    if placed:
        marks = positions.marks_for(placed, look)
        described = [positions.describe(p) for p in placed]
    else:
        marks = _free_marks(free, current, look)
        if not marks:
            raise _refuse(_("Place your seal on a page first."), "free.none")
        described = [
            {"form": "single", "page": f.page, "x_mm": f.x_mm, "y_mm": f.y_mm, "free": True}
            for f in free
        ]

    source = documents.copy_to(current, work / "base.pdf")
    output = work / "signed.pdf"
    cert = chosen.certificate
    reason = _("Contract signing %(number)s") % {"number": contract.number or contract.title}
    signed_in = _provenance(chosen, allowed, intent_method, intent_at)
    try:
        result = stamping.sign_with(
            chosen,
            source,
            output,
            marks=marks,
            field_name=field_name(party),
            reason=reason,
            provenance=signed_in,
        )
    except ps.PdfSignError as exc:
        raise _refuse(explain(exc), f"engine.{exc.code}") from None
    sha256, size = documents.file_sha256(output)
    prepared = documents.Prepared(
        output,
        sha256,
        size,
        current.page_count,
        [tuple(s) for s in current.page_sizes],
        "pdf",
    )
    if party.kind == Participant.Kind.PERSON and by is not None:
        note = by.display_name
    else:
        note = party.name
    version = documents.add_version(
        contract,
        prepared,
        by=by,
        reason=DocumentVersion.Reason.SIGNED,
        note=note[:200],
        stored=stored,
        after=current,
    )
    named = _consume(allowed, now)
    act = SigningAct.objects.create(
        contract=contract,
        participant=party,
        signer=by,
        seal=chosen,
        certificate_serial=str(cert.serial),
        version=version,
        base_sha256=current.sha256,
        field_name=result.field_name,
        level=result.level,
        intent_method=intent_method,
        intent_at=intent_at,
        marks=described,
        pages=sorted(set(result.pages)),
        signed_at=now,
        ip=ip or None,
        provenance=signed_in,
        **named,
    )
    StampRecord.objects.create(
        company=party.company if party.company_id else None,
        contract=contract,
        act=act,
        signer=by,
        signer_name=by.display_name if by is not None else "",
        party_name=party.name,
        seal=chosen,
        seal_code=chosen.code,
        seal_kind=chosen.kind,
        seal_name=chosen.name,
        forms=sorted({d["form"] for d in described}),
        pages=act.pages,
        contract_title=contract.title,
        contract_number=contract.number,
        contract_type=contract.contract_type,
        base_sha256=current.sha256,
        signed_sha256=sha256,
        authorisation_kind=allowed.kind,
        authorisation_id=getattr(allowed.authorisation, "pk", None),
        intent_method=intent_method,
        intent_at=intent_at,
        certificate_serial=str(cert.serial),
        tsa_time=result.timestamp_time,
        ip=ip or None,
        device=(device or "")[:400],
        stamped_at=now,
    )
    Seal.objects.filter(pk=chosen.pk).update(use_count=F("use_count") + 1)
    # the act's event first, then the party's and the contract's moves it causes: the account
    # events and the evidence report's event log read in that order
    record(
        "contract.signed",
        actor=by,
        company=party.company if party.company_id else contract.company,
        obj=contract,
        participant=party.pk,
        version=version.number,
        seal=chosen.code,
        certificate=cert.serial_hex,
        intent=intent_method,
        pages=act.pages,
        authorisation=allowed.kind,
        authorisation_id=getattr(allowed.authorisation, "pk", None),
    )
    try:
        sending.mark_signed(party, by=by, locked=contract)
    except TransitionError as exc:
        raise _refuse(str(exc.message), exc.code) from None
    return act
