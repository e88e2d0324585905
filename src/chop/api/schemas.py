"""The shapes the API answers with, shared by every area's operations.

``ProblemOut`` is every refusal (``problems``); the contract shapes are what contracts,
auto-sign and the evidence operations return. Ids are integers, times ISO 8601 with their offset,
dates ``YYYY-MM-DD``; a party's contact is always masked (``138****0001``, ``ab***@x.com``).
"""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class ProblemField(Schema):
    field: str | None = None
    message: str


class ProblemItem(Schema):
    code: str
    message: str


class ProblemOut(Schema):
    """``application/problem+json`` (RFC 9457) as the API writes it."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[ProblemField] | None = None
    problems: list[ProblemItem] | None = None


def problems(*statuses: int) -> dict:
    """The ``response`` entries that answer ``statuses`` with a problem body."""
    return {status: ProblemOut for status in statuses}


#: What the seals, grants, records and evidence operations may refuse with (the gate's 401 and
#: 429 and each operation's own codes are added by ``api.openapi``/the decorators).
ERRORS = problems(400, 401, 403, 404, 422)


class PositionOut(Schema):
    id: int
    form: str
    page: int | None = None
    pages: str = ""
    x_mm: float | None = None
    y_mm: float | None = None
    size_mm: float | None = None
    edge: str = ""
    along_mm: float | None = None
    keyword: str = ""
    occurrence: str = ""
    dx_mm: float = 0.0
    dy_mm: float = 0.0
    with_date: bool = False


class ParticipantOut(Schema):
    id: int
    position: int
    kind: str
    name: str
    company_id: int | None = None
    uscc: str = ""
    contact: str = ""
    state: str
    acted_at: dt.datetime | None = None
    positions: list[PositionOut] = []


class VersionOut(Schema):
    number: int
    reason: str
    sha256: str
    size: int
    page_count: int
    created_at: dt.datetime


class InitiatorOut(Schema):
    company_id: int | None = None
    name: str


class ContractOut(Schema):
    id: int
    title: str
    number: str
    contract_type: str
    state: str
    order: str
    deadline: dt.date
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    initiator: InitiatorOut
    participants: list[ParticipantOut]
    versions: list[VersionOut]


class ContractPage(Schema):
    items: list[ContractOut]
    next_cursor: str | None = None
