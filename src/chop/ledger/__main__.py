"""``python -m chop.ledger verify BUNDLE [--trust ROOT.pem] [--pdf SIGNED.pdf ...]``.

Checks an exported bundle offline and prints one line per head, consistency step and record;
the exit code is 0 only if every check passes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cryptography import x509

from .bundle import verify_bundle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chop.ledger")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("verify", help="check an exported bundle offline")
    check.add_argument("bundle", type=Path)
    check.add_argument("--trust", type=Path, help="the platform root certificate (PEM) to pin")
    check.add_argument(
        "--pdf", type=Path, action="append", default=[], help="a signed PDF to match to its record"
    )
    args = parser.parse_args(argv)
    try:
        bundle = json.loads(args.bundle.read_bytes())
    except (OSError, ValueError) as exc:
        print(f"FAIL  cannot read {args.bundle}: {exc}")
        return 2
    trust = x509.load_pem_x509_certificate(args.trust.read_bytes()) if args.trust else None
    pdfs = [(str(p), p.read_bytes()) for p in args.pdf]
    report = verify_bundle(bundle, trust=trust, pdfs=pdfs)
    for line in report.lines:
        print(line)
    verdict = "all checks pass" if report.ok else f"{len(report.failures)} check(s) FAILED"
    print(f"{report.records_ok} record(s) proved; {verdict}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
