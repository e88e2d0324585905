"""Stamping-records monitoring (用印监控): the filtered set of a company's stamping records, the
numbers its charts draw, and the hints an administrator should look at.

Everything here starts from ``company_records(company)``: a company only ever sees the records of
its own stamps (the party's company on the record), whoever asks.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from chop.contracts.models import AuthorisationKind, IntentMethod, PositionForm, StampRecord

# Office hours in the platform's time zone (Beijing time by default): a stamp before OPENS, at or
# after CLOSES, or on a Saturday or Sunday is listed as "outside office hours".
OFFICE_OPENS = 8
OFFICE_CLOSES = 20
# An auto-sign burst: more than BURST_COUNT auto-sign stamps within BURST_MINUTES.
BURST_COUNT = 10
BURST_MINUTES = 10
# The charts draw at most this many days (the latest ones of the range) and seals or people.
CHART_DAYS = 92
CHART_SERIES = 6
HINT_ROWS = 10

AUTO = "auto"  # the person filter's value for auto-sign stamps (no person)


def company_records(company) -> QuerySet[StampRecord]:
    """The company's own stamping records, newest first."""
    return StampRecord.objects.filter(company=company).order_by("-stamped_at", "-pk")


@dataclass
class StampFilter:
    """The monitoring page's filters, read from the query string. Unknown or malformed values are
    ignored (and reported in ``errors``), never an error page: a shared link keeps working."""

    seal: int | None = None
    person: str = ""  # a user id, or AUTO
    form: str = ""
    contract: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, data) -> StampFilter:
        f = cls()
        seal = (data.get("seal") or "").strip()
        if seal.isdigit():
            f.seal = int(seal)
        person = (data.get("person") or "").strip()
        if person == AUTO or person.isdigit():
            f.person = person
        form = (data.get("form") or "").strip()
        if form in PositionForm.values:
            f.form = form
        f.contract = (data.get("contract") or "").strip()[:100]
        for name in ("date_from", "date_to"):
            raw = (data.get(name) or "").strip()
            if raw:
                try:
                    setattr(f, name, dt.date.fromisoformat(raw))
                except ValueError:
                    f.errors.append(name)
        if f.date_from and f.date_to and f.date_from > f.date_to:
            f.date_from, f.date_to = f.date_to, f.date_from
        return f

    @property
    def active(self) -> bool:
        return bool(
            self.seal or self.person or self.form or self.contract or self.date_from or self.date_to
        )

    def query(self) -> dict[str, str]:
        """The filters as query-string pairs (for exports, pagination and hint links)."""
        pairs = {
            "seal": str(self.seal or ""),
            "person": self.person,
            "form": self.form,
            "contract": self.contract,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in pairs.items() if v}

    def apply(self, qs: QuerySet[StampRecord]) -> QuerySet[StampRecord]:
        if self.seal:
            qs = qs.filter(seal_id=self.seal)
        if self.person == AUTO:
            qs = qs.filter(signer__isnull=True)
        elif self.person:
            qs = qs.filter(signer_id=int(self.person))
        if self.form:
            # forms is a JSON list; its text form (the same on SQLite and PostgreSQL) holds
            # the quoted name, and no form name is a part of another
            qs = qs.annotate(forms_text=Cast("forms", TextField())).filter(
                forms_text__contains=f'"{self.form}"'
            )
        if self.contract:
            qs = qs.filter(
                Q(contract_title__icontains=self.contract)
                | Q(contract_number__icontains=self.contract)
            )
        if self.date_from:
            qs = qs.filter(stamped_at__date__gte=self.date_from)
        if self.date_to:
            qs = qs.filter(stamped_at__date__lte=self.date_to)
        return qs


def choices(company) -> dict[str, list[tuple[str, str]]]:
    """The values the filters offer: the seals and people that appear in the company's records
    (a seal since deleted, or a person who left, still appears), and the four forms. DISTINCT
    in the database: a company's records may run to millions."""
    base = company_records(company).order_by()
    seals = sorted(
        {
            (str(s), f"{n} · {c}")
            for s, n, c in base.values_list("seal_id", "seal_name", "seal_code").distinct()
        },
        key=lambda p: p[1],
    )
    people = sorted(
        {
            (str(u), name or str(u))
            for u, name in base.filter(signer__isnull=False)
            .values_list("signer_id", "signer_name")
            .distinct()
        },
        key=lambda p: p[1],
    )
    return {
        "seals": seals,
        "people": people,
        "forms": [(v, str(label)) for v, label in PositionForm.choices],
    }


# --- charts' numbers ---------------------------------------------------------------------------


@dataclass
class DailySeries:
    days: list[dt.date]
    series: list[tuple[str, list[int]]]  # (seal label, count per day), biggest first
    truncated: bool  # the range had more than CHART_DAYS days: only the latest are drawn


def per_day_per_seal(qs: QuerySet[StampRecord], f: StampFilter) -> DailySeries:
    """Uses per day per seal over the filtered range (or the records' own span), the busiest
    CHART_SERIES - 1 seals by name and the rest together as "other"."""
    rows = list(
        qs.order_by()
        .annotate(day=TruncDate("stamped_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "seal_id", "seal_name", "seal_code")
        .annotate(n=Count("id"))
    )
    if not rows and not (f.date_from or f.date_to):
        return DailySeries([], [], False)
    present = [r["day"] for r in rows]
    first = f.date_from or (min(present) if present else f.date_to)
    last = f.date_to or (max(present) if present else timezone.localdate())
    assert first is not None and last is not None
    truncated = (last - first).days + 1 > CHART_DAYS
    if truncated:
        first = last - dt.timedelta(days=CHART_DAYS - 1)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    totals: Counter = Counter()
    labels: dict[int, str] = {}
    per: dict[int, list[int]] = defaultdict(lambda: [0] * len(days))
    for r in rows:
        if r["day"] not in index:
            continue
        per[r["seal_id"]][index[r["day"]]] += r["n"]
        totals[r["seal_id"]] += r["n"]
        labels[r["seal_id"]] = f"{r['seal_name']} · {r['seal_code']}"
    ranked = [s for s, _n in totals.most_common()]
    keep, rest = ranked[: CHART_SERIES - 1], ranked[CHART_SERIES - 1 :]
    series = [(labels[s], per[s]) for s in keep]
    if rest:
        other = [sum(per[s][i] for s in rest) for i in range(len(days))]
        from django.utils.translation import pgettext

        series.append((pgettext("chart series", "Other seals"), other))
    return DailySeries(days, series, truncated)


def per_person(qs: QuerySet[StampRecord]) -> list[tuple[str, int]]:
    """Uses by person, busiest first (auto-sign stamps, which have no person, as one row)."""
    from django.utils.translation import gettext

    rows = qs.order_by().values("signer_id", "signer_name").annotate(n=Count("id")).order_by("-n")
    out: list[tuple[str, int]] = []
    for r in rows[: CHART_SERIES * 2]:
        name = r["signer_name"] if r["signer_id"] else gettext("Auto-sign (no person)")
        out.append((name or str(r["signer_id"]), r["n"]))
    return out


# --- hints -------------------------------------------------------------------------------------


def off_hours(qs: QuerySet[StampRecord]) -> QuerySet[StampRecord]:
    """Stamps outside office hours in the platform's time zone: before OFFICE_OPENS, from
    OFFICE_CLOSES on, or on a weekend (Django's week_day: 1 is Sunday, 7 Saturday)."""
    return qs.filter(
        Q(stamped_at__hour__lt=OFFICE_OPENS)
        | Q(stamped_at__hour__gte=OFFICE_CLOSES)
        | Q(stamped_at__week_day__in=[1, 7])
    )


@dataclass
class Burst:
    start: dt.datetime
    end: dt.datetime
    count: int
    first_id: int
    last_id: int


def autosign_bursts(qs: QuerySet[StampRecord]) -> list[Burst]:
    """Runs of more than BURST_COUNT auto-sign stamps within BURST_MINUTES of each other's
    start: a sliding window over the auto-sign stamps in time order; overlapping windows are
    merged into one burst, so a long run is listed once."""
    window = dt.timedelta(minutes=BURST_MINUTES)
    auto = (
        qs.filter(
            Q(authorisation_kind=AuthorisationKind.AUTOSIGN) | Q(intent_method=IntentMethod.AUTO)
        )
        .order_by("stamped_at", "pk")
        .values_list("stamped_at", "pk")
    )
    times: list[tuple[dt.datetime, int]] = []
    bursts: list[Burst] = []
    start = 0
    for when, pk in auto.iterator(chunk_size=2000):
        times.append((when, pk))
        while when - times[start][0] > window:
            start += 1
        count = len(times) - start
        if count > BURST_COUNT:
            last = bursts[-1] if bursts else None
            if last is not None and times[start][0] <= last.end:
                last.end, last.last_id = when, pk
                last.count = sum(1 for t, _p in times if last.start <= t <= when)
            else:
                bursts.append(Burst(times[start][0], when, count, times[start][1], pk))
        # keep the list short, but never drop the start of a burst that may still grow
        quiet = not bursts or times[start][0] > bursts[-1].end
        if quiet and start > 4 * BURST_COUNT and start > len(times) // 2:
            times = times[start:]
            start = 0
    return bursts


def local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None
