"""Verifying every signature in a PDF and saying plainly what holds and what changed.

Built on pyHanko's validator with two platform choices: the trust anchors are given explicitly
(the platform root), and the difference analysis uses ``CHOP_DIFF_POLICY`` so that a later
signer's seal marks are recognised as part of a signing act rather than as tampering, while any
other change after a signature (text, page content, pages added or removed, other
annotations) is reported.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from . import fastverify as _fastverify
from . import provenance as _provenance
from .errors import EncryptedPdfError, MalformedPdfError, PdfSignError
from .sinks import open_src

__all__ = ["verify", "VerificationReport", "SignatureReport", "TimestampReport"]


@dataclass
class TimestampReport:
    time: dt.datetime | None
    tsa: str | None
    intact: bool
    valid: bool
    trusted: bool


@dataclass
class SignatureReport:
    """One signature, in the order they were made."""

    field_name: str
    kind: str  # "signature" or "document-timestamp"
    signer: str | None
    company: str | None
    subject: str | None
    certificate_serial: str | None  # hex
    issuer: str | None
    chain_status: str  # "trusted", "untrusted", "revoked", "expired", "not checked", ...
    signing_time: dt.datetime | None  # as claimed by the signer (/M or signed attribute)
    timestamp: TimestampReport | None
    intact: bool  # the signed bytes hash to the value in the signature
    valid: bool  # the cryptographic signature checks out
    trusted: bool  # the certificate chains to a trust root
    coverage: str  # "entire file", "entire revision", "partial", "unknown"
    modification_level: str | None  # none / lta-updates / form-filling / annotations / other
    changes_after: str  # plain words: what happened after this signature
    pades_level: str | None
    revision: int
    problems: list[str] = field(default_factory=list)
    later_signatures: list[str] = field(default_factory=list)  # fields signed after this one
    # what the signer signed in about the stamp: seal, authorisation, intent (see provenance);
    # None when the signature carries none. Trust it only as far as ``ok`` and ``trusted`` go.
    provenance: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and not self.problems


@dataclass
class VerificationReport:
    signatures: list[SignatureReport]
    verdict: str  # "valid", "valid-untrusted", "invalid", "unsigned"
    summary: str
    revisions: int = 0
    sha256: str | None = None  # of the whole file, for evidence reports

    @property
    def all_valid(self) -> bool:
        return bool(self.signatures) and all(s.ok for s in self.signatures)

    def to_dict(self) -> dict[str, Any]:
        def conv(o: Any) -> Any:
            if isinstance(o, dt.datetime):
                return o.isoformat()
            if isinstance(o, dict):
                return {k: conv(v) for k, v in o.items()}
            if isinstance(o, list):
                return [conv(v) for v in o]
            return o

        d = conv(asdict(self))
        d["all_valid"] = self.all_valid
        return d


def _load_roots(trust_roots) -> list[asn1_x509.Certificate]:
    out: list[asn1_x509.Certificate] = []
    for item in trust_roots or ():
        if isinstance(item, asn1_x509.Certificate):
            out.append(item)
            continue
        if hasattr(item, "public_bytes"):  # cryptography certificate
            from cryptography.hazmat.primitives.serialization import Encoding

            out.append(asn1_x509.Certificate.load(item.public_bytes(Encoding.DER)))
            continue
        data = Path(item).read_bytes() if isinstance(item, (str, os.PathLike)) else bytes(item)
        if pem.detect(data):
            for _, _, der in pem.unarmor(data, multiple=True):
                out.append(asn1_x509.Certificate.load(der))
        else:
            out.append(asn1_x509.Certificate.load(data))
    return out


_COVERAGE = {
    "ENTIRE_FILE": "entire file",
    "ENTIRE_REVISION": "entire revision",
    "CONTIGUOUS_BLOCK_FROM_START": "partial",
    "UNCLEAR": "unknown",
}
_LEVELS = {
    "NONE": "none",
    "LTA_UPDATES": "lta-updates",
    "FORM_FILLING": "form-filling",
    "ANNOTATIONS": "annotations",
    "OTHER": "other",
}


def _name_part(cert: asn1_x509.Certificate, key: str) -> str | None:
    try:
        return cert.subject.native.get(key)
    except Exception:
        return None


def verify(
    src: str | os.PathLike | bytes | BinaryIO,
    trust_roots=(),
    *,
    allow_fetching: bool = False,
    diff_policy=None,
    validation_context=None,
    fast: bool = True,
) -> VerificationReport:
    """Check every signature of ``src`` against ``trust_roots`` (certificates, PEM/DER, paths).

    Revocation data is not fetched unless ``allow_fetching``; data embedded in the document
    (B-LT) is used. Passing ``validation_context`` (e.g. ``PlatformCA.validation_context()``,
    which answers CRL/OCSP in-process) replaces all of that, trust roots included. Never raises for a bad signature — that is what the report is for — but
    raises ``PdfSignError`` when the file cannot be read as a PDF at all.

    Each approval signature is checked directly first (``fastverify``: the CMS, the chain, the
    timestamp token, later revisions recognised as Chop signing acts); whatever those checks do
    not confirm, and everything when a ``validation_context`` or fetching is given, goes through
    pyHanko's validator, so the report is the one pyHanko's validation gives. ``fast=False``
    sends everything through pyHanko (the reference the tests compare against).
    """
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel, SuspiciousModification
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import DocumentTimestampStatus
    from pyhanko_certvalidator import ValidationContext

    from .policy import CHOP_DIFF_POLICY

    policy = diff_policy or CHOP_DIFF_POLICY
    roots = _load_roots(trust_roots)
    stream, opened, _data = open_src(src)
    try:
        try:
            reader = PdfFileReader(stream, strict=False)
            if reader.encrypt_dict is not None:
                raise EncryptedPdfError(
                    "this PDF is encrypted; its signatures cannot be checked", code="encrypted_pdf"
                )
            sigs = list(reader.embedded_signatures)
            revisions = reader.xrefs.total_revisions
        except PdfSignError:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise MalformedPdfError(
                f"this file cannot be read as a PDF ({exc})", code="unreadable_pdf", detail=str(exc)
            ) from exc

        # one context for all signatures: the chain of the platform's issuing CA is built and
        # checked once, not once per signature
        shared = validation_context or ValidationContext(
            trust_roots=roots, allow_fetching=allow_fetching, revocation_mode="soft-fail"
        )

        def vc() -> ValidationContext:
            return shared

        ku = KeyUsageConstraints(
            key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
        )
        doc_ts_revisions = [s.signed_revision for s in sigs if s.sig_object_type == "/DocTimeStamp"]
        dss_certs = _dss_cert_hashes(reader)
        # the direct checks only where pyHanko's answer needs nothing but the document and the
        # anchors: a validation context or fetching brings revocation data they do not read
        direct = fast and validation_context is None and not allow_fetching
        digests, file_sha256 = _fastverify.byte_range_digests(stream, [_range(s) for s in sigs])
        anchors = _fastverify.Anchors(roots)
        acts: set[int] | None = None
        reports: list[SignatureReport] = []
        for s, digest in zip(sigs, digests, strict=True):
            is_ts = s.sig_object_type == "/DocTimeStamp"
            problems: list[str] = []
            status: Any
            level: str | None
            if direct and digest is not None:
                s.external_digests[s.external_md_algorithm] = digest  # pyHanko reuses it
            checked = None
            if direct and not is_ts:
                try:
                    checked = _fastverify.check_signature(s, digest, anchors)
                except Exception:
                    checked = None
            if checked is not None:
                if acts is None:
                    acts = _fastverify.chop_acts(reader, _whole(stream, _data))
                status = _direct_status(s, checked, acts, revisions, policy)
                cert = checked.cert
            else:
                try:
                    if is_ts:
                        status = validate_pdf_timestamp(
                            s, validation_context=vc(), diff_policy=policy
                        )
                    else:
                        status = validate_pdf_signature(
                            s,
                            signer_validation_context=vc(),
                            diff_policy=policy,
                            key_usage_settings=ku,
                        )
                except Exception as exc:
                    reports.append(_broken(s, is_ts, exc))
                    continue
                cert = s.signer_cert
            intact, valid, trusted = bool(status.intact), bool(status.valid), bool(status.trusted)
            revoked = bool(getattr(status, "revoked", False))
            if not intact:
                problems.append("the document was changed inside the signed bytes")
            elif not valid:
                problems.append("the signature value does not match the signer's certificate")
            if revoked:
                chain = "revoked"
                problems.append("the signer's certificate has been revoked")
            elif trusted:
                chain = "trusted"
            else:
                ind = getattr(status, "trust_problem_indic", None)
                chain = "untrusted" if ind is None else str(ind.name).lower().replace("_", " ")
            coverage = _COVERAGE.get(status.coverage.name if status.coverage else "", "unknown")
            diff = status.diff_result
            if isinstance(diff, SuspiciousModification):
                level = "other"
                changes = f"modified after signing in a way a signing act cannot explain: {diff}"
                problems.append("the document was modified after this signature")
            else:
                mod = status.modification_level
                level = _LEVELS.get(mod.name, mod.name.lower()) if mod is not None else None
                if coverage == "entire file":
                    changes = "nothing"
                elif mod is not None and mod <= ModificationLevel.LTA_UPDATES:
                    changes = "validation data and timestamps only"
                elif mod is not None and mod <= ModificationLevel.FORM_FILLING:
                    changes = "later signatures and their seal marks only"
                else:
                    changes = f"later changes at level {level}"
            if status.docmdp_ok is False and _is_certification(s):
                # pyHanko sets docmdp_ok False for any unexplained change; only a certification
                # signature (DocMDP) makes that a breach of the author's permissions, and the
                # change itself is already reported above for approval signatures
                problems.append("changes after this certification signature are not permitted")
            if status.coverage is None or coverage in ("partial", "unknown"):
                problems.append("the signature does not cover the whole revision")
            prov = None if is_ts else _read_provenance(s, problems)
            ts = None
            tsv = getattr(status, "timestamp_validity", None)
            if tsv is not None:
                ts = TimestampReport(
                    time=tsv.timestamp,
                    tsa=_name_part(tsv.signing_cert, "common_name"),
                    intact=bool(tsv.intact),
                    valid=bool(tsv.valid),
                    trusted=bool(tsv.trusted),
                )
                if not (tsv.intact and tsv.valid):
                    problems.append("the signature timestamp is invalid")
            signing_time = (
                status.timestamp
                if isinstance(status, DocumentTimestampStatus)
                else getattr(status, "signer_reported_dt", None)
            ) or getattr(s, "self_reported_timestamp", None)
            pades = None
            if not is_ts:
                pades = "B-T" if ts is not None else "B-B"
                if ts is not None and cert is not None and cert.sha256 in dss_certs:
                    pades = "B-LT"
                    if any(r > s.signed_revision for r in doc_ts_revisions):
                        pades = "B-LTA"
            reports.append(
                SignatureReport(
                    field_name=str(s.field_name),
                    kind="document-timestamp" if is_ts else "signature",
                    signer=_name_part(cert, "common_name") if cert else None,
                    company=_name_part(cert, "organization_name") if cert else None,
                    subject=cert.subject.human_friendly if cert else None,
                    certificate_serial=format(cert.serial_number, "x") if cert else None,
                    issuer=cert.issuer.human_friendly if cert else None,
                    chain_status=chain,
                    signing_time=signing_time,
                    timestamp=ts,
                    intact=intact,
                    valid=valid,
                    trusted=trusted,
                    coverage=coverage,
                    modification_level=level,
                    changes_after=changes,
                    pades_level=pades,
                    revision=s.signed_revision,
                    problems=problems,
                    provenance=prov,
                )
            )
        for r in reports:
            r.later_signatures = [o.field_name for o in reports if o.revision > r.revision]
            if r.changes_after == "later signatures and their seal marks only":
                r.changes_after = (
                    f"later signatures ({', '.join(r.later_signatures)}) and their seal marks only"
                )
        # bytes appended after the last revision that no signature covers
        if reports and all(r.coverage != "entire file" for r in reports):
            last = max(reports, key=lambda r: r.revision)
            if last.revision < revisions - 1 and last.changes_after == "nothing":
                last.changes_after = "later revisions"
        report = _verdict(reports, revisions)
        report.sha256 = file_sha256
        return report
    finally:
        if opened:
            stream.close()


def _read_provenance(sig, problems: list[str]) -> dict[str, Any] | None:
    """The provenance signed into ``sig``'s CMS; a present but unreadable one is a problem."""
    try:
        return _provenance.decode(sig.signer_info["signed_attrs"])
    except Exception as exc:
        problems.append(f"the provenance signed into this signature cannot be read ({exc})")
        return None


def _is_certification(sig) -> bool:
    try:
        return sig.docmdp_level is not None
    except Exception:
        return False


# the revision check reads the file whole; a larger file's later revisions go to pyHanko's diff
_WHOLE_LIMIT = 64 << 20


def _range(sig) -> tuple[str, list[int]]:
    """(digest algorithm, /ByteRange) of ``sig``; ("", []) when either cannot be read."""
    try:
        return str(sig.external_md_algorithm), [int(v) for v in sig.byte_range]
    except Exception:
        return "", []


def _whole(stream, data: bytes | None) -> bytes | None:
    """The file's bytes for the revision check (None above ``_WHOLE_LIMIT``)."""
    if data is not None:
        return data
    pos = stream.tell()
    try:
        stream.seek(0, os.SEEK_END)
        if stream.tell() > _WHOLE_LIMIT:
            return None
        stream.seek(0)
        return stream.read()
    finally:
        stream.seek(pos)


@dataclass
class _DirectStatus:
    """What ``verify`` reads from pyHanko's status, for a signature checked directly."""

    coverage: Any
    diff_result: Any
    docmdp_ok: bool
    signer_reported_dt: dt.datetime | None
    timestamp_validity: Any
    intact: bool = True
    valid: bool = True
    trusted: bool = True
    revoked: bool = False
    trust_problem_indic: Any = None

    @property
    def modification_level(self) -> Any:
        from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel

        if isinstance(self.diff_result, DiffResult):
            return self.diff_result.modification_level
        return ModificationLevel.OTHER


def _direct_status(sig, checked, acts: set[int], revisions: int, policy) -> _DirectStatus:
    """The status of a signature whose CMS checked out directly: coverage from pyHanko, and the
    difference analysis from pyHanko only when a later revision is not a plain Chop act."""
    from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    coverage = sig.evaluate_signature_coverage()
    sig.coverage = coverage
    later = range(sig.signed_revision + 1, revisions)
    diff: Any
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        diff = DiffResult(ModificationLevel.NONE, set())
    elif (
        coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and sig.docmdp_level is None
        and sig.fieldmdp is None
        and all(k in acts for k in later)
    ):
        # what CHOP_DIFF_POLICY says of a revision that is exactly a signing act
        diff = DiffResult(ModificationLevel.FORM_FILLING, set())
    else:
        diff = sig.evaluate_modifications(policy)
    level = diff.modification_level if isinstance(diff, DiffResult) else ModificationLevel.OTHER
    docmdp = sig.docmdp_level
    docmdp_ok = not (
        level == ModificationLevel.OTHER or (docmdp is not None and level.value > docmdp.value)
    )
    return _DirectStatus(
        coverage=coverage,
        diff_result=diff,
        docmdp_ok=docmdp_ok,
        signer_reported_dt=checked.signer_reported_dt,
        timestamp_validity=checked.timestamp_validity,
    )


def _dss_cert_hashes(reader) -> set[bytes]:
    try:
        certs = reader.root["/DSS"]["/Certs"]
    except (KeyError, TypeError):
        return set()
    out = set()
    for c in certs:
        try:
            out.add(asn1_x509.Certificate.load(c.get_object().data).sha256)
        except Exception:
            continue
    return out


def _broken(s, is_ts: bool, exc: Exception) -> SignatureReport:
    cert = None
    try:
        cert = s.signer_cert
    except Exception:
        cert = None
    return SignatureReport(
        field_name=str(getattr(s, "field_name", "?")),
        kind="document-timestamp" if is_ts else "signature",
        signer=_name_part(cert, "common_name") if cert else None,
        company=_name_part(cert, "organization_name") if cert else None,
        subject=cert.subject.human_friendly if cert else None,
        certificate_serial=format(cert.serial_number, "x") if cert else None,
        issuer=cert.issuer.human_friendly if cert else None,
        chain_status="not checked",
        signing_time=None,
        timestamp=None,
        intact=False,
        valid=False,
        trusted=False,
        coverage="unknown",
        modification_level=None,
        changes_after="unknown",
        pades_level=None,
        revision=getattr(s, "signed_revision", -1),
        problems=[f"the signature cannot be checked: {exc}"],
        provenance=_read_provenance(s, []),
    )


def _verdict(reports: list[SignatureReport], revisions: int) -> VerificationReport:
    if not reports:
        return VerificationReport([], "unsigned", "the document has no signatures", revisions)
    bad = [r for r in reports if not r.ok]
    if bad:
        names = ", ".join(r.field_name for r in bad)
        return VerificationReport(
            reports, "invalid", f"{len(bad)} of {len(reports)} signatures fail: {names}", revisions
        )
    if all(r.trusted for r in reports):
        return VerificationReport(
            reports,
            "valid",
            f"all {len(reports)} signatures are intact, valid and trusted",
            revisions,
        )
    return VerificationReport(
        reports,
        "valid-untrusted",
        f"all {len(reports)} signatures are intact and valid, but not all certificates are trusted",
        revisions,
    )
