"""The evidence report as a document: an A4 PDF in Chinese with English labels, the report's data
attached as ``evidence.json``, signed by the platform at PAdES B-T.

1. a Django template (``evidence/documents/``, a document for LibreOffice, never a page) renders
   the data as simple HTML with numbered sections and tables;
2. LibreOffice (``chop.office``) exports it as an A4 PDF;
3. the JSON is attached as an embedded file (``/EmbeddedFiles``) in an incremental update, with
   page numbers, *before* signing, so the signature covers both;
4. the platform's evidence certificate (``platform_signer``) signs it at PAdES B-T, timestamped by
   the platform's TSA (or ``CHOP_TSA_URL``).
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import engines
from django.utils import translation

from chop import office
from chop import pdfsign as ps

from . import report_data as rd

TEMPLATE = Path(__file__).parent / "documents" / "evidence_report.html"
FIELD_NAME = "chop-evidence-report"
ATTACHMENT = "evidence.json"


class ReportError(Exception):
    """The report could not be made; ``code`` says at which step (shown on the page)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def both(label: Any) -> str:
    """A choice label as "中文 English" (the report is Chinese with English labels)."""
    with translation.override("zh-hans"):
        zh = str(label)
    with translation.override("en"):
        en = str(label)
    return zh if zh == en else f"{zh} {en}"


def _t(iso: str | None) -> str:
    """An ISO time from the data as the report prints it: ``2026-05-01 14:03:07``."""
    return iso[:19].replace("T", " ") if iso else "—"


def _pair(names: dict, key: str) -> str:
    zh, en = names.get(key, (key, ""))
    return f"{zh} {en}".strip()


def display(d: dict) -> dict:
    """The data as the template prints it: times, names of codes, verdicts in words."""
    from chop.contracts.models import Contract, DocumentVersion, Participant
    from chop.seals.models import Seal

    def choice(choices, value: str) -> str:
        label = dict(choices).get(value)
        return both(label) if label is not None else value

    c = d["contract"]
    participants = []
    for p in d["participants"]:
        lines = []
        cv = p["company_verification"]
        if cv is not None:
            if cv["verified"]:
                line = "单位已实名认证 Company verified"
                if cv["method"]:
                    line += f"：{cv['method']}"
                if cv["at"]:
                    line += f"，{_t(cv['at'])}"
                if cv["legal_rep_id_masked"]:
                    line += f"，法定代表人证件 {cv['legal_rep_id_masked']}"
                lines.append(line)
            else:
                lines.append("单位未实名认证 Company not verified")
        for person in p["people"]:
            if person["verified"]:
                lines.append(
                    f"{person['name']}：已实名 verified（{person['method']}，{_t(person['at'])}，"
                    f"证件 ID {person['id_masked'] or '—'}）"
                )
            else:
                lines.append(f"{person['name']}：无个人实名记录 no personal verification on file")
        participants.append(
            {
                "position": p["position"],
                "name": p["name"],
                "uscc": p["uscc"],
                "state": choice(Participant.State.choices, p["state"]),
                "acted_at": _t(p["acted_at"]) if p["acted_at"] else "",
                "verification": lines,
            }
        )
    acts = []
    for a in d["acts"]:
        auth = a["authorisation"]
        text = _pair(rd.AUTHORISATION_NAMES, auth["kind"])
        if auth["id"]:
            text += f"，编号 id {auth['id']}"
        if auth["default"]:
            text += "（平台默认授权 default grant）"
        if auth["by"]:
            text += f"，授权/批准人 by {'、'.join(auth['by'])}"
        if auth["at"]:
            text += f"，{_t(auth['at'])}"
        acts.append(
            {
                "party": a["party"],
                "signer": a["signer"] or "— （静默签 auto-sign）",
                "at": _t(a["signed_at"]),
                "ip": a["ip"] or "",
                "seal_name": a["seal"]["name"],
                "seal_kind": choice(Seal.Kind.choices, a["seal"]["kind"]),
                "seal_code": a["seal"]["code"],
                "authorisation": text,
                "intent": f"{_pair(rd.INTENT_NAMES, a['intent']['method'])}，{_t(a['intent']['at'])}",
                "pages": "、".join(str(n) for n in a["pages"]) or "—",
                "version": a["version"],
                "base_sha256": a["base_sha256"],
                "signed_sha256": a["signed_sha256"],
            }
        )
    signatures = []
    for s in d["signatures"]:
        verdict = [
            "完整 intact" if s["intact"] else "已被篡改 NOT intact",
            "有效 valid" if s["valid"] else "无效 NOT valid",
            "可信 trusted" if s["trusted"] else "不可信 NOT trusted",
        ]
        revocation = {"good": "未吊销 not revoked", "revoked": "已吊销 REVOKED"}.get(
            s["revocation"], s["revocation"]
        )
        signatures.append(
            {
                "field": s["field"],
                "subject": s["subject"] or "—",
                "issuer": s["issuer"] or "—",
                "serial": s["serial"] or "—",
                "signing_time": _t(s["signing_time"]),
                "tsa_time": _t(s["tsa_time"]),
                "tsa": s["tsa"],
                "level": s["pades_level"] or "—",
                "result": "，".join(verdict),
                "revocation": revocation,
                "changes_after": s["changes_after"] or "—",
            }
        )
    return {
        "generated": _t(d["report"]["generated_at"]),
        "state": choice(Contract.State.choices, c["state"]),
        "created": _t(c["created_at"]),
        "sent": _t(c["sent_at"]),
        "finished": _t(c["finished_at"]),
        "versions": [
            {
                "number": x["number"],
                "reason": choice(DocumentVersion.Reason.choices, x["reason"]),
                "at": _t(x["created_at"]),
                "sha256": x["sha256"],
            }
            for x in d["versions"]
        ],
        "participants": participants,
        "acts": acts,
        "signatures": signatures,
        "events": [
            {
                "at": _t(e["at"]),
                "name": _pair(rd.EVENT_NAMES, e["action"]),
                "actor": e["actor"] or "平台 Platform",
                "ip": e["ip"] or "—",
                "device": (e["device"] or "—")[:80],
            }
            for e in d["events"]
        ],
        "ledger": [
            {
                "record": r["record"],
                "seal_code": r["seal_code"],
                "at": _t(r["stamped_at"]),
                "proof": (
                    f"已纳入日志 included：叶 leaf #{r['proof']['leaf_index']}，"
                    f"树大小 tree size {r['proof']['tree_size']}，"
                    f"根 root {r['proof']['root_hash'][:16]}…"
                )
                if r["proof"]
                else "日志证明待发布 log proof: pending publication",
            }
            for r in d["ledger"]
        ],
    }


def qr_data_uri(url: str) -> str:
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=6, border=2)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def render_html(d: dict) -> str:
    template = engines["django"].from_string(TEMPLATE.read_text(encoding="utf-8"))
    with translation.override("zh-hans"):
        return template.render(
            {"d": d, "v": display(d), "qr": qr_data_uri(d["contract"]["verify_url"])}
        )


def attach_and_number(src: Path, dst: Path, payload: bytes) -> None:
    """Attach ``payload`` as ``evidence.json`` and print "n / N" at the foot of every page, in
    one incremental update (the signature that follows covers it)."""
    from pyhanko.pdf_utils import embed, generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with open(src, "rb") as fh:
        writer = IncrementalPdfFileWriter(io.BytesIO(fh.read()))
    _number_pages(writer)
    ef = embed.EmbeddedFileObject.from_file_data(
        writer, payload, mime_type="application/json", params=embed.EmbeddedFileParams()
    )
    spec = embed.FileSpec(
        file_spec_string=ATTACHMENT,
        file_name=ATTACHMENT,
        embedded_data=ef,
        description="出证报告数据 Evidence report data (JSON)",
        af_relationship=generic.NameObject("/Data"),
    )
    embed.embed_file(writer, spec)
    with open(dst, "wb") as out:
        writer.write(out)


def _number_pages(writer) -> None:
    """ "n / N" centred at the foot of each page (Helvetica: digits only, no font to embed)."""
    from pyhanko.pdf_utils import generic

    total = int(writer.root["/Pages"]["/Count"])
    font = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
        }
    )
    font_ref = writer.add_object(font)
    for ix in range(total):
        page_ref = writer.find_page_for_modification(ix)[0]
        page = page_ref.get_object()
        box = [float(x) for x in page["/MediaBox"]]
        width = box[2] - box[0]
        text = f"{ix + 1} / {total}"
        x = box[0] + width / 2 - len(text) * 2.25
        y = box[1] + 24
        ops = f"q BT /ChopPgNo 9 Tf 0.3 g {x:.2f} {y:.2f} Td ({text}) Tj ET Q".encode()
        stream = generic.StreamObject(stream_data=ops)
        stream_ref = writer.add_object(stream)
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else generic.DictionaryObject()
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else generic.DictionaryObject()
        fonts[generic.NameObject("/ChopPgNo")] = font_ref
        resources[generic.NameObject("/Font")] = fonts
        page[generic.NameObject("/Resources")] = resources
        contents = page.get("/Contents")
        parts = generic.ArrayObject()
        if contents is not None:
            raw = contents.get_object()
            if isinstance(raw, generic.ArrayObject):
                parts.extend(raw)
            else:
                parts.append(page.raw_get("/Contents"))
        # keep what the page drew inside q/Q so our text starts from a clean graphics state
        pre = writer.add_object(generic.StreamObject(stream_data=b"q\n"))
        post = writer.add_object(generic.StreamObject(stream_data=b"\nQ\n"))
        page[generic.NameObject("/Contents")] = generic.ArrayObject([pre, *parts, post, stream_ref])
        writer.update_container(page)


def build(d: dict, work: Path) -> Path:
    """Render, convert, attach and sign the report in ``work``; return the signed PDF."""
    from chop.pki.tsa import timestamper_for

    from .platform_signer import evidence_signer

    try:
        plain = office.html_to_pdf(render_html(d), work / "report.pdf")
    except office.OfficeError as exc:
        raise ReportError(f"office.{exc.code}") from None
    attached = work / "attached.pdf"
    payload = json.dumps(d, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    try:
        attach_and_number(plain, attached, payload)
    except Exception as exc:
        raise ReportError("attach", type(exc).__name__) from None
    signed = work / "signed.pdf"
    signer, ca = evidence_signer()
    try:
        ps.sign(
            attached,
            signed,
            signer=signer,
            options=ps.SignOptions(
                timestamper=timestamper_for(settings.CHOP_TSA_URL or None, ca),
                level="B-T",
                field_name=FIELD_NAME,
                reason="电子签约出证报告 / Evidence report",
            ),
        )
    except ps.PdfSignError as exc:
        raise ReportError(f"engine.{exc.code}", str(exc)) from None
    return signed
