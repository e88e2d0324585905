"""``python -m chop.pdfsign``: sign and verify from the command line.

    python -m chop.pdfsign sign IN.pdf -o OUT.pdf --p12 KEY.p12 --seal seal.png --page 1 --at 120,200
    python -m chop.pdfsign verify OUT.pdf --trust ROOT.pem [--json]

``verify`` exits 0 only when every signature is intact and valid.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from . import (
    DateText,
    KeywordMark,
    MultiPageMark,
    PdfSignError,
    RidingMark,
    SealAppearance,
    SignerError,
    SignOptions,
    SingleMark,
    install_fast_reader,
    sign,
    verify,
)
from .marks import Mark


def _seal(path: str, size_mm: float | None) -> SealAppearance:
    p = Path(path)
    data = p.read_bytes()
    if data[:5] == b"%PDF-":
        s = SealAppearance.from_pdf(data)
        return s
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        import io

        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
        width = size_mm or 40.0
        return SealAppearance.from_png(data, width, width * h / w)
    if p.suffix.lower() == ".svg" or data.lstrip()[:5] in (b"<?xml", b"<svg "):
        raise PdfSignError(
            "SVG seals are not read directly: export the seal as PDF or PNG", code="cli_svg_seal"
        )
    raise PdfSignError(
        f"{path}: the seal must be a PNG or a one-page PDF",
        code="cli_bad_seal_file",
        path=str(path),
    )


def _at(value: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in value.split(","))
    except ValueError as exc:
        raise PdfSignError(
            f"--at expects X,Y in millimetres, got {value!r}", code="cli_bad_position", value=value
        ) from exc
    return x, y


def _signer(p12: str, password: str | None):
    from pyhanko.sign.signers import SimpleSigner

    try:
        signer = SimpleSigner.load_pkcs12(p12, passphrase=password.encode() if password else None)
    except Exception as exc:
        raise SignerError(
            f"cannot open {p12}: wrong password or not a PKCS#12 file",
            code="cli_bad_pkcs12",
            path=p12,
        ) from exc
    if signer is None:
        raise SignerError(
            f"cannot open {p12}: wrong password or not a PKCS#12 file",
            code="cli_bad_pkcs12",
            path=p12,
        )
    return signer


def _provenance_file(path: str) -> dict:
    """The JSON object in ``path``, for ``SignOptions.provenance``."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        raise PdfSignError(
            f"{path}: not a readable JSON file ({exc})",
            code="cli_bad_provenance",
            path=path,
        ) from exc
    if not isinstance(data, dict):
        raise PdfSignError(
            f"{path}: the provenance must be a JSON object", code="cli_bad_provenance", path=path
        )
    return data


def _cmd_sign(a: argparse.Namespace) -> int:
    if a.level and a.level.upper() != "B-B" and not a.tsa:
        raise PdfSignError(
            f"PAdES {a.level.upper()} needs a timestamp: pass --tsa URL with an RFC 3161 "
            "timestamp authority (Chop's own runs with `python -m chop.pki serve` and answers "
            "at http://127.0.0.1:8001/pki/tsa), or sign without a timestamp with --level B-B",
            code="cli_level_needs_tsa",
            level=a.level.upper(),
        )
    signer = _signer(a.p12, a.p12_password)
    marks: list[Mark] = []
    if a.seal:
        seal = _seal(a.seal, a.size)
        size = a.size
        date = DateText(style=a.date) if a.date else None
        if a.keyword:
            marks.append(
                KeywordMark(seal, a.keyword, occurrence=a.occurrence, size_mm=size, date=date)
            )
        elif a.pages:
            x, y = _at(a.at or "20,20")
            marks.append(MultiPageMark(seal, a.pages, x, y, size_mm=size, date=date))
        elif a.at:
            x, y = _at(a.at)
            marks.append(SingleMark(seal, a.page, x, y, size_mm=size, date=date))
        if a.riding:
            edge, _, pos = a.riding.partition(":")
            marks.append(
                RidingMark(
                    seal,
                    edge,
                    position_mm=float(pos) if pos else None,
                    pages=a.riding_pages,
                    size_mm=size,
                )
            )
        if not marks:
            raise PdfSignError(
                "say where the seal goes: --at X,Y, --pages, --keyword or --riding",
                code="cli_no_position",
            )
    timestamper = None
    if a.tsa:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        timestamper = HTTPTimeStamper(a.tsa)
    vc = None
    if a.level and a.level.upper() in ("B-LT", "B-LTA"):
        from pyhanko_certvalidator import ValidationContext

        from .verify import _load_roots

        vc = ValidationContext(trust_roots=_load_roots(a.trust or []), allow_fetching=True)
    options = SignOptions(
        provenance=_provenance_file(a.provenance) if a.provenance else None,
        level=a.level,
        timestamper=timestamper,
        validation_context=vc,
        reason=a.reason,
        location=a.location,
        field_name=a.field,
    )
    res = sign(a.input, a.output, signer=signer, marks=marks, options=options)
    print(
        f"signed {a.output}: {res.level}, field {res.field_name}, "
        f"{res.mark_count} mark(s) on page(s) {','.join(map(str, res.pages)) or '-'}"
    )
    return 0


def _cmd_verify(a: argparse.Namespace) -> int:
    report = verify(a.input, a.trust or [], allow_fetching=a.fetch)
    if a.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"{a.input}: {report.verdict} — {report.summary}")
        for s in report.signatures:
            flags = ", ".join(
                f"{k} {'yes' if v else 'NO'}"
                for k, v in (("intact", s.intact), ("valid", s.valid), ("trusted", s.trusted))
            )
            who = s.company or s.signer or "?"
            when = s.timestamp.time if s.timestamp else s.signing_time
            print(f"  [{s.field_name}] {who} ({s.kind}, {s.pades_level or '-'}) at {when}: {flags}")
            print(
                f"      certificate {s.certificate_serial}, chain {s.chain_status}; "
                f"covers {s.coverage}; after it: {s.changes_after}"
            )
            if s.provenance is not None:
                signed_in = json.dumps(s.provenance, ensure_ascii=False, sort_keys=True)
                print(f"      provenance: {signed_in}")
            for p in s.problems:
                print(f"      problem: {p}")
    return 0 if report.all_valid else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m chop.pdfsign", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sign", help="stamp seals and sign once (one incremental update)")
    s.add_argument("input")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--p12", required=True, help="PKCS#12 file with key and certificate chain")
    s.add_argument("--p12-password")
    s.add_argument("--seal", help="seal image: PNG or one-page vector PDF")
    s.add_argument("--size", type=float, help="seal width in mm (default: its own size / 40)")
    s.add_argument("--page", type=int, default=1)
    s.add_argument("--at", help="X,Y of the seal's top-left corner in mm from the page's top-left")
    s.add_argument("--pages", help="multi-page seal: all or ranges like 1-3,5 (same --at)")
    s.add_argument("--riding", help="riding seal edge and position: right, left:120, top, bottom")
    s.add_argument("--riding-pages", default="all")
    s.add_argument("--keyword", help="centre the seal on this text")
    s.add_argument("--occurrence", choices=["first", "last", "all"], default="first")
    s.add_argument("--date", choices=["iso", "cn"], help="print the signing date under the seal")
    s.add_argument("--tsa", help="RFC 3161 timestamp authority URL")
    s.add_argument("--level", choices=["B-B", "B-T", "B-LT", "B-LTA"])
    s.add_argument("--trust", action="append", help="root certificate(s) for B-LT validation data")
    s.add_argument("--reason")
    s.add_argument("--location")
    s.add_argument("--field")
    s.add_argument(
        "--provenance",
        metavar="FILE.json",
        help="a JSON object signed into the signature (seal, authorisation, intent)",
    )
    v = sub.add_parser("verify", help="check every signature")
    v.add_argument("input")
    v.add_argument("--trust", action="append", help="trusted root certificate (PEM or DER)")
    v.add_argument("--json", action="store_true")
    v.add_argument("--fetch", action="store_true", help="fetch revocation data online")
    a = ap.parse_args(argv)
    install_fast_reader()
    logging.basicConfig(level=logging.CRITICAL)  # pyHanko logs path-building failures loudly
    try:
        return _cmd_sign(a) if a.cmd == "sign" else _cmd_verify(a)
    except PdfSignError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
