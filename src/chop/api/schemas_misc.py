"""Schemas of the seals, grants, stamping records, evidence and verify operations (the problem
and contract shapes every area shares are in ``schemas``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

#: The largest id the databases hold (a bigger number is no object, and must not reach a query).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- seals ------------------------------------------------------------------------------------


class CertificateOut(Schema):
    serial: str
    not_after: dt.datetime


class SealOut(Schema):
    id: int
    kind: str
    name: str
    status: str
    code: str | None = None
    origin: str
    created_at: dt.datetime
    certificate: CertificateOut | None = None


class SealPage(Schema):
    items: list[SealOut]
    next_cursor: str | None = None


# --- grants -----------------------------------------------------------------------------------


class GrantOut(Schema):
    id: int
    seal_id: int
    state: str
    member_ids: list[int]
    roles: list[str]
    contract_types: list[str]
    valid_from: dt.datetime
    valid_until: dt.datetime | None = None
    long_term: bool
    max_uses: int | None = None
    uses: int
    note: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    is_default: bool


class GrantPage(Schema):
    items: list[GrantOut]
    next_cursor: str | None = None


class GrantIn(Schema):
    seal_id: Id
    member_ids: list[Id] = []
    roles: list[str] = []
    contract_types: list[str] = []
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    long_term: bool = False
    max_uses: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    note: str = ""


# --- stamping records -------------------------------------------------------------------------


class StampSealOut(Schema):
    id: int
    code: str
    kind: str
    name: str


class StampOut(Schema):
    id: int
    stamped_at: dt.datetime
    contract_id: int
    contract_title: str
    contract_number: str
    contract_type: str
    party_name: str
    signer_id: int | None = None
    signer_name: str
    seal: StampSealOut
    forms: list[str]
    pages: list[int]
    base_sha256: str
    signed_sha256: str
    authorisation_kind: str
    authorisation_id: int | None = None
    intent_method: str
    certificate_serial: str
    tsa_time: dt.datetime | None = None
    ip: str | None = None
    device: str


class StampPage(Schema):
    items: list[StampOut]
    next_cursor: str | None = None


# --- evidence ---------------------------------------------------------------------------------


class EvidenceReportOut(Schema):
    id: int
    state: str
    contract_id: int
    sha256: str | None = None
    code: str
    requested_at: dt.datetime
    ready_at: dt.datetime | None = None
    error: str | None = None
    file_url: str | None = None


# --- verify -----------------------------------------------------------------------------------


class VerifiedSignatureOut(Schema):
    field: str
    is_timestamp: bool
    signer: str
    company: str
    subject: str
    issuer: str
    serial: str
    signing_time: dt.datetime | None = None
    tsa_time: dt.datetime | None = None
    tsa: str
    tsa_ok: bool
    intact: bool
    valid: bool
    trusted: bool
    ok: bool
    chain: str
    pades: str
    changes_after: str
    changed: bool
    problems: list[str]
    # the seal, authorisation and intent the signer signed in, as read from the PDF
    provenance: dict[str, Any] | None = None


class KnownDocumentOut(Schema):
    version: int
    contract_id: int | None = None


class VerifyOut(Schema):
    sha256: str
    verdict: str
    verdict_label: str
    signatures: list[VerifiedSignatureOut]
    known: KnownDocumentOut | None = None
