"""The workbench (工作台) on the contracts list: what waits for the user in the active space, in
tabs with exact counts, a search, and this month's signing statistics (PRODUCT.md §4).

A space's contracts are those it started (the company's, or a person's own) and, once sent,
those where it is a party (a company party of the active company; in the personal space a
person party that is the user). **To sign** are the contracts being signed where the user may
act now for a party of this space (``permissions.can_sign_for``, through the same rule the
signing page uses); **Waiting for others** the rest of those being signed.
"""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chop.orgs import permissions

from .models import Contract, ContractState, Participant, ParticipantKind, ParticipantState

C = ContractState
ENDED = (C.DECLINED, C.REVOKED, C.EXPIRED)
TABS = ("all", "to_sign", "waiting", "completed", "drafts", "ended")
PER_PAGE = 25


@dataclass(frozen=True)
class Space:
    """Whose workbench: ``company`` with the user's ``membership`` in it, or the personal space
    (``company`` None)."""

    user: object
    company: object | None = None
    membership: object | None = None

    def parties(self) -> QuerySet[Participant]:
        """Parties that belong to this space: the company's parties, and the user's own person
        parties (in a company space too: a person party on the company's contract, such as
        the legal representative's own signature, is theirs to act on there)."""
        mine = Q(kind=ParticipantKind.PERSON, user=self.user)
        if self.company is not None:
            return Participant.objects.filter(
                Q(kind=ParticipantKind.COMPANY, company=self.company) | mine
            )
        return Participant.objects.filter(mine)

    def started(self) -> Q:
        if self.company is not None:
            return Q(company=self.company)
        return Q(company__isnull=True, created_by=self.user)


def contracts(space: Space) -> QuerySet[Contract]:
    """Every contract of the space: started here, or sent with a party of this space. Party
    contracts of a company space are those where the company is a party; a person's own person
    parties are included only when they are also on a contract of this space (personal space:
    all of them)."""
    party_of = space.parties()
    if space.company is not None:
        party_of = party_of.filter(kind=ParticipantKind.COMPANY)
    return Contract.objects.filter(
        space.started()
        | (Q(pk__in=party_of.values("contract")) & ~Q(state=C.DRAFT) & Q(sent_at__isnull=False))
    )


def to_sign_ids(space: Space, scope: QuerySet[Contract]) -> set[int]:
    """Contracts of ``scope`` being signed where the user may act now for a party of the space."""
    candidates = (
        space.parties()
        .filter(
            state=ParticipantState.TO_SIGN,
            contract__state=C.SIGNING,
            contract__in=scope.values("pk"),
        )
        .select_related("contract")
    )
    ids = set()
    for p in candidates:
        own = space.company is not None and p.company_id == space.company.pk
        m = space.membership if own else None
        if permissions.can_sign_for(m, p, space.user):
            ids.add(p.contract_id)
    return ids


def search(qs: QuerySet[Contract], q: str) -> QuerySet[Contract]:
    """Title, contract number or a party's name contains ``q`` (case-insensitive)."""
    q = (q or "").strip()[:100]
    if not q:
        return qs
    named = Participant.objects.filter(name__icontains=q).values("contract")
    return qs.filter(Q(title__icontains=q) | Q(number__icontains=q) | Q(pk__in=named))


def tab_filter(tab: str, to_sign: set[int]) -> Q:
    return {
        "all": Q(),
        "to_sign": Q(pk__in=to_sign),
        "waiting": Q(state=C.SIGNING) & ~Q(pk__in=to_sign),
        "completed": Q(state=C.COMPLETED),
        "drafts": Q(state=C.DRAFT),
        "ended": Q(state__in=ENDED),
    }[tab]


def counts(qs: QuerySet[Contract], to_sign: set[int]) -> dict[str, int]:
    """How many contracts of ``qs`` each tab holds, in one query."""
    return qs.aggregate(**{tab: Count("pk", filter=tab_filter(tab, to_sign)) for tab in TABS})


@dataclass(frozen=True)
class MonthStats:
    sent: int
    completed: int
    median: datetime.timedelta | None


def month_start(now: datetime.datetime) -> datetime.datetime:
    """The start of ``now``'s month in the local time zone (months are calendar months where
    the users are)."""
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_stats(
    scope: QuerySet[Contract], now: datetime.datetime | None = None, *, started: Q | None = None
) -> MonthStats:
    """Contracts of ``scope`` sent this month, completed this month, and the median time from
    sending to completion of those completed this month. With ``started`` (``Space.started()``)
    the sent ones are only those the space sent itself: a contract another company sent to it
    was not sent by it (the label reads 本月发起)."""
    now = now or timezone.now()
    start = month_start(now)
    sent_scope = scope.filter(started) if started is not None else scope
    sent = sent_scope.filter(sent_at__gte=start, sent_at__lte=now).count()
    done = list(
        scope.filter(
            state=C.COMPLETED, finished_at__gte=start, finished_at__lte=now, sent_at__isnull=False
        ).values_list("sent_at", "finished_at")
    )
    durations = [(f - s).total_seconds() for s, f in done]
    median = datetime.timedelta(seconds=statistics.median(durations)) if durations else None
    return MonthStats(sent=sent, completed=len(done), median=median)


def readable_duration(value: datetime.timedelta | None) -> str:
    """ "2 d 3 h" / "2天3小时": days and hours, hours and minutes under a day, minutes under an
    hour (at least one minute, so a fast contract does not read as no time at all)."""
    if value is None:
        return "—"
    minutes = max(1, int(value.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}
