"""What an evidence report states about a contract (PRODUCT.md §5), as plain JSON data.

The same mapping is printed in the PDF and embedded in it as ``evidence.json``, and kept on the
report row (``EvidenceReport.data``), so what a reader sees, what a program reads and what the
platform stored are one thing. Times are Beijing time (ISO 8601 with +08:00). Personal data is
masked as the verification records keep it (ID numbers ``110***********002X``); a full ID number
or mobile number is never read here.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

log = logging.getLogger(__name__)

SCHEMA = "chop.evidence-report/1"
BEIJING = ZoneInfo("Asia/Shanghai")

# the contract's own events, in the order a reader expects them named
EVENT_NAMES = {
    "contract.created": ("创建合同", "Created"),
    "contract.updated": ("修改草稿", "Draft changed"),
    "contract.party_added": ("添加签署方", "Party added"),
    "contract.party_removed": ("移除签署方", "Party removed"),
    "contract.parties_reordered": ("调整签署顺序", "Signing order changed"),
    "contract.sent": ("发起签署", "Sent for signing"),
    "contract.viewed": ("查看合同", "Viewed"),
    "contract.reminded": ("催签", "Reminded"),
    "contract.intent_confirmed": ("确认签署意愿", "Intent confirmed"),
    "contract.signed": ("签署", "Signed"),
    "contract.party_signed": ("签署方完成签署", "Party finished signing"),
    "contract.completed": ("签署完成", "Completed"),
    "contract.declined": ("拒签", "Declined"),
    "contract.revoked": ("撤销", "Revoked"),
    "contract.expired": ("逾期", "Expired"),
    "contract.copy_downloaded": ("下载副本", "Copy downloaded"),
}

AUTHORISATION_NAMES = {
    "grant": ("用印授权", "Grant"),
    "approval": ("用印申请审批", "Approved request"),
    "autosign": ("静默签授权", "Auto-sign authorisation"),
    "own": ("本人印章", "Own seal"),
}

INTENT_NAMES = {
    "password": ("签署密码", "Signing password"),
    "sms": ("短信验证码", "SMS code"),
    "email": ("电子邮件验证码", "E-mail code"),
    "auto": ("静默签授权（无人操作）", "Auto-sign authorisation"),
}


def bj(value: datetime | None) -> str | None:
    """A moment in Beijing time, ISO 8601 to the second."""
    if value is None:
        return None
    return value.astimezone(BEIJING).replace(microsecond=0).isoformat()


def _bj_text(value: Any) -> str | None:
    """An ISO time as signed into a provenance (UTC, ``Z``), in Beijing time; None if not one."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return bj(when) if when.tzinfo is not None else None


def verify_url(code: str) -> str:
    """The public verification page, opened for this contract's evidence (the report's QR)."""
    return f"{settings.SITE_URL}/verify-pdf/?code={code}"


def ledger_proof_for(record) -> dict | None:
    """The stamping record's inclusion proof in the stamping log and the signed tree head it
    leads to, once the log has published a head that covers it; None until then (the report
    then says "log proof: pending publication")."""
    from .log import proof_for

    return proof_for(record)


def collect(contract, *, report_id: int | None = None, now: datetime | None = None) -> dict:
    """Everything the report states about ``contract``."""
    from django.utils import timezone

    from .models import VerificationCode

    code = VerificationCode.for_contract(contract).code
    company = contract.company
    versions = list(contract.versions.order_by("number"))
    acts = list(
        contract.acts.select_related("participant", "signer", "seal", "version").order_by(
            "signed_at", "pk"
        )
    )
    return {
        "schema": SCHEMA,
        "report": {"id": report_id, "generated_at": bj(now or timezone.now())},
        "contract": {
            "id": contract.pk,
            "number": contract.number,
            "title": contract.title,
            "type": contract.contract_type,
            "state": contract.state,
            "created_at": bj(contract.created_at),
            "sent_at": bj(contract.sent_at),
            "finished_at": bj(contract.finished_at),
            "initiator": {
                "name": company.name if company else contract.created_by.display_name,
                "uscc": (company.uscc or "") if company else "",
                "kind": "company" if company else "person",
            },
            "verification_code": code,
            "verify_url": verify_url(code),
        },
        "versions": [
            {
                "number": v.number,
                "reason": v.reason,
                "sha256": v.sha256,
                "size": v.size,
                "pages": v.page_count,
                "created_at": bj(v.created_at),
            }
            for v in versions
        ],
        "participants": _participants(contract),
        "acts": [_act(a) for a in acts],
        "signatures": _signatures(versions[-1] if versions else None),
        "events": _events(contract),
        "ledger": _ledger(contract),
    }


def _participants(contract) -> list[dict]:
    from chop.verification.models import CompanyVerification, PersonVerification

    out = []
    for p in contract.participants.select_related("company", "user").order_by("position", "pk"):
        row: dict[str, Any] = {
            "position": p.position + 1,
            "kind": p.kind,
            "name": p.name,
            "uscc": p.uscc or (p.company.uscc if p.company_id and p.company.uscc else ""),
            "state": p.state,
            "acted_at": bj(p.acted_at),
            "company_verification": None,
            "people": [],
        }
        if p.company_id:
            cv = (
                CompanyVerification.objects.filter(company_id=p.company_id, state="approved")
                .order_by("-decided_at", "-pk")
                .first()
            )
            row["company_verification"] = {
                "verified": p.company.status == "verified",
                "method": cv.method if cv else "",
                "at": bj(cv.decided_at) if cv else None,
                "legal_rep_id_masked": cv.legal_rep_id_masked if cv else "",
            }
        # the people who acted for the party: its signers (a person party: the person)
        users = {a.signer for a in p.acts.select_related("signer") if a.signer_id}
        if p.kind == "person" and p.user_id:
            users.add(p.user)
        for user in sorted(users, key=lambda u: u.pk):
            pv = (
                PersonVerification.objects.filter(applicant=user, state="approved")
                .order_by("-decided_at", "-pk")
                .first()
            )
            row["people"].append(
                {
                    "name": user.display_name,
                    "verified": pv is not None,
                    "verified_name": pv.name if pv else "",
                    "id_masked": pv.id_number_masked if pv else "",
                    "method": (pv.provider or "operator") if pv else "",
                    "at": bj(pv.decided_at) if pv else None,
                }
            )
        out.append(row)
    return out


def _act(a) -> dict:
    prov = a.provenance if isinstance(a.provenance, dict) else {}
    auth = prov.get("authorisation") if isinstance(prov.get("authorisation"), dict) else {}
    by = [
        str(p.get("name", ""))
        for p in (auth.get("by") or [])
        if isinstance(p, dict) and p.get("name")
    ]
    return {
        "party": a.participant.name,
        "signer": a.signer.display_name if a.signer_id else "",
        "seal": {"code": a.seal.code, "kind": a.seal.kind, "name": a.seal.name},
        "authorisation": {
            "kind": a.authorisation_kind,
            "id": a.grant_id or a.use_request_id or a.autosign_id,
            "by": by,
            "default": auth.get("default") is True,
            "at": _bj_text(auth.get("at")),
        },
        "intent": {"method": a.intent_method, "at": bj(a.intent_at)},
        "version": a.version.number,
        "base_sha256": a.base_sha256,
        "signed_sha256": a.version.sha256,
        "pages": list(a.pages or []),
        "field": a.field_name,
        "level": a.level,
        "certificate_serial": a.certificate_serial,
        "signed_at": bj(a.signed_at),
        "ip": a.ip,
    }


def _signatures(version) -> list[dict]:
    """Every signature of the final version, checked as any validator would, with the platform
    root and revocation answered by the platform CA (CRL/OCSP, in process)."""
    if version is None:
        return []
    from chop import pdfsign as ps
    from chop.seals.issuance import platform_ca

    ca = platform_ca()
    with version.file.open("rb") as fh:
        result = ps.verify(fh.read(), validation_context=ca.validation_context())
    out = []
    for s in result.signatures:
        ts = s.timestamp
        out.append(
            {
                "field": s.field_name,
                "kind": s.kind,
                "signer": s.signer or "",
                "company": s.company or "",
                "subject": s.subject or "",
                "issuer": s.issuer or "",
                "serial": s.certificate_serial or "",
                "signing_time": bj(s.signing_time),
                "tsa_time": bj(ts.time) if ts and ts.time else None,
                "tsa": (ts.tsa or "") if ts else "",
                "pades_level": s.pades_level or "",
                "intact": s.intact,
                "valid": s.valid,
                "trusted": s.trusted,
                "revocation": _revocation(s.chain_status),
                "changes_after": s.changes_after,
            }
        )
    return out


def _revocation(chain_status: str) -> str:
    """What the chain check says about revocation: good (checked against the CA's CRL/OCSP and
    not revoked), revoked, or the chain status itself when it could not tell."""
    if chain_status == "trusted":
        return "good"
    if chain_status == "revoked":
        return "revoked"
    return chain_status


def _events(contract) -> list[dict]:
    from chop.audit.models import AuditEvent

    rows = (
        AuditEvent.objects.filter(
            object_type="contracts.contract", object_id=str(contract.pk), action__in=EVENT_NAMES
        )
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    return [
        {
            "at": bj(e.created_at),
            "action": e.action,
            # a person's display name, never the login (an e-mail address or a mobile number)
            "actor": e.actor.display_name if e.actor_id and e.actor else "",
            "ip": e.ip,
            "device": e.user_agent or "",
        }
        for e in rows
    ]


def _ledger(contract) -> list[dict]:
    out = []
    for rec in contract.stamp_records.order_by("stamped_at", "pk"):
        proof = ledger_proof_for(rec)
        out.append(
            {
                "record": rec.pk,
                "seal_code": rec.seal_code,
                "stamped_at": bj(rec.stamped_at),
                "signed_sha256": rec.signed_sha256,
                "proof": proof,
                "status": "included" if proof else "pending",
            }
        )
    return out
