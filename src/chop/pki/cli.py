"""``python -m chop.pki``: run the platform CA from a shell.

The CA directory comes from ``--dir`` or ``CHOP_PKI_DIR``; the key-encryption key from
``--kek-file`` or ``CHOP_KEK``. End-entity keys go to a PKCS#11 token when ``--pkcs11-module``
(or ``CHOP_PKCS11_MODULE``) is given, otherwise to encrypted files in the CA directory.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from .ca import REVOCATION_REASONS, Credential, PlatformCA
from .custody import KEY_TYPES, CustodyError, KeyCustody
from .envelope import kek_from_env_or_file
from .pkcs11_custody import Pkcs11Custody

__all__ = ["main"]


class CLIError(Exception):
    """A user mistake worth a one-line message rather than a traceback."""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", help="CA directory (default: $CHOP_PKI_DIR)")
    common.add_argument(
        "--kek-file", help="file holding the key-encryption key (default: $CHOP_KEK)"
    )
    common.add_argument("--pkcs11-module", default=os.environ.get("CHOP_PKCS11_MODULE"))
    common.add_argument("--pkcs11-token", default=os.environ.get("CHOP_PKCS11_TOKEN"))
    common.add_argument(
        "--pkcs11-pin", default=os.environ.get("CHOP_PKCS11_PIN"), help="or $CHOP_PKCS11_PIN"
    )

    p = argparse.ArgumentParser(prog="python -m chop.pki", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("init", parents=[common], help="create root, issuing CA and TSA")
    s.add_argument("directory", nargs="?", help="CA directory (or --dir / $CHOP_PKI_DIR)")
    s.add_argument("--root-name", default="Chop Root CA")
    s.add_argument("--issuing-name", default="Chop Issuing CA")
    s.add_argument("--key-type", choices=KEY_TYPES, default="rsa2048")
    s.add_argument(
        "--site-url",
        default=os.environ.get("SITE_URL", "http://127.0.0.1:8000"),
        help="base URL written into CRL/OCSP/AIA extensions (default: $SITE_URL)",
    )

    s = sub.add_parser("issue", parents=[common], help="issue a company or person certificate")
    who = s.add_mutually_exclusive_group(required=True)
    who.add_argument("--org", metavar="NAME", help="company name")
    who.add_argument("--person", metavar="NAME", help="person's name")
    s.add_argument("--uscc", help="统一社会信用代码 (with --org)")
    s.add_argument(
        "--id", dest="id_number", help="ID number (with --person); only its hash is kept"
    )
    s.add_argument("--key-type", choices=KEY_TYPES)
    s.add_argument("--days", type=int, default=730)
    s.add_argument("--pem", action="store_true", help="also print the certificate PEM")

    s = sub.add_parser("revoke", parents=[common], help="revoke a certificate")
    s.add_argument("serial", help="serial in hex (as printed by issue/list)")
    s.add_argument("--reason", default="unspecified", choices=sorted(REVOCATION_REASONS))

    s = sub.add_parser("status", parents=[common], help="revocation status of a certificate")
    s.add_argument("serial")

    sub.add_parser("list", parents=[common], help="list issued certificates")

    s = sub.add_parser("crl", parents=[common], help="write the current CRL (DER)")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--root", action="store_true", help="the root's CRL instead of the issuing CA's")

    s = sub.add_parser(
        "export", parents=[common], help="export a key as password-protected PKCS#12"
    )
    s.add_argument("serial")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--password", help="PKCS#12 password (prompted for when omitted)")
    s.add_argument(
        "--legacy", action="store_true", help="3DES/SHA-1 encryption for old Windows/macOS imports"
    )

    s = sub.add_parser(
        "root", parents=[common], help="print or write the root certificate (trust anchor)"
    )
    _cert_output_args(s)
    s = sub.add_parser(
        "cert", parents=[common], help="print or write a CA certificate: root, issuing or tsa"
    )
    s.add_argument("name", choices=_CA_CERTS)
    _cert_output_args(s)

    s = sub.add_parser("rotate-kek", parents=[common], help="re-wrap all keys under a new KEK")
    s.add_argument(
        "--new-kek-file", help="file holding the new key-encryption key (default: $CHOP_NEW_KEK)"
    )

    s = sub.add_parser("serve", parents=[common], help="serve CRL, OCSP and TSA over HTTP")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8001)
    return p


_CA_CERTS = ("root", "issuing", "tsa")


def _cert_output_args(s: argparse.ArgumentParser) -> None:
    form = s.add_mutually_exclusive_group()
    form.add_argument("--pem", action="store_true", help="PEM (the default)")
    form.add_argument("--der", action="store_true", help="DER (binary; needs -o)")
    form.add_argument(
        "--info", action="store_true", help="subject, serial (hex and decimal), validity as JSON"
    )
    s.add_argument("-o", "--output", help="write to this file instead of printing")


def _ca_certificate(ca: PlatformCA, name: str) -> x509.Certificate:
    return {
        "root": ca.root_certificate,
        "issuing": ca.issuing_certificate,
        "tsa": ca.tsa_certificate,
    }[name]


def _export_certificate(cert: x509.Certificate, args: argparse.Namespace) -> None:
    """A CA certificate by role, so nobody has to map ca.json's decimal serial to a file name."""
    if args.info:
        _print(
            {
                "subject": cert.subject.rfc4514_string(),
                "serial": format(cert.serial_number, "x"),
                "serial_decimal": str(cert.serial_number),
                "not_before": cert.not_valid_before_utc.isoformat(),
                "not_after": cert.not_valid_after_utc.isoformat(),
                "sha256": cert.fingerprint(hashes.SHA256()).hex(),
            }
        )
        return
    if args.der:
        if not args.output:
            raise CLIError("--der writes binary: give a file with -o")
        data = cert.public_bytes(serialization.Encoding.DER)
    else:
        data = cert.public_bytes(serialization.Encoding.PEM)
    if args.output:
        Path(args.output).write_bytes(data)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(data.decode("ascii"))


def _directory(args: argparse.Namespace, positional: str | None = None) -> Path:
    value = positional or args.dir or os.environ.get("CHOP_PKI_DIR")
    if not value:
        raise CLIError("no CA directory: pass --dir or set CHOP_PKI_DIR")
    return Path(value)


def _custody(args: argparse.Namespace) -> KeyCustody | None:
    if not args.pkcs11_module:
        return None
    if not args.pkcs11_token or args.pkcs11_pin is None:
        raise CLIError("--pkcs11-module needs --pkcs11-token and --pkcs11-pin (or the env vars)")
    return Pkcs11Custody(args.pkcs11_module, args.pkcs11_token, args.pkcs11_pin)


def _open(args: argparse.Namespace) -> PlatformCA:
    return PlatformCA.load(
        _directory(args), kek_from_env_or_file(args.kek_file), ee_custody=_custody(args)
    )


def resolve_serial(ca: PlatformCA, text: str) -> int:
    """Serials are printed in hex; accept ``0x``-prefixed or bare hex, or the decimal form."""
    text = text.strip().lower().replace(":", "")
    candidates: set[int] = set()
    with contextlib.suppress(ValueError):
        candidates.add(int(text.removeprefix("0x"), 16))
    if text.isdigit():
        candidates.add(int(text))
    known = [s for s in candidates if ca.store.entry(s) is not None]
    if len(known) != 1:
        raise CLIError(f"no certificate with serial {text} in {ca.directory}")
    return known[0]


def _describe(cred: Credential) -> dict[str, Any]:
    cert = cred.certificate
    return {
        "serial": cred.serial_hex,
        "subject": cert.subject.rfc4514_string(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "key_ref": cred.key_ref,
    }


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def run(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    cmd = args.command
    if cmd == "init":
        ca = PlatformCA.init(
            _directory(args, args.directory),
            kek_from_env_or_file(args.kek_file),
            root_name=args.root_name,
            issuing_name=args.issuing_name,
            key_type=args.key_type,
            site_url=args.site_url,
            ee_custody=_custody(args),
        )
        _print(
            {
                "directory": str(ca.directory),
                "root": ca.root_certificate.subject.rfc4514_string(),
                "issuing": ca.issuing_certificate.subject.rfc4514_string(),
                "tsa": ca.tsa_certificate.subject.rfc4514_string(),
                "key_type": ca.key_type,
                "site_url": ca.site_url,
            }
        )
        return 0

    ca = _open(args)
    if cmd == "issue":
        if args.org:
            if not args.uscc:
                raise CLIError("--org needs --uscc")
            cred = ca.issue_company(
                args.org, args.uscc, key_type=args.key_type, valid_days=args.days
            )
        else:
            if not args.id_number:
                raise CLIError("--person needs --id")
            cred = ca.issue_person(
                args.person, args.id_number, key_type=args.key_type, valid_days=args.days
            )
        out = _describe(cred)
        if args.pem:
            out["pem"] = cred.certificate.public_bytes(serialization.Encoding.PEM).decode()
        _print(out)
    elif cmd == "revoke":
        st = ca.revoke(resolve_serial(ca, args.serial), args.reason)
        _print({"serial": format(st.serial, "x"), "status": st.status, "reason": st.reason})
    elif cmd == "status":
        st = ca.status(resolve_serial(ca, args.serial))
        _print(
            {
                "serial": format(st.serial, "x"),
                "status": st.status,
                "revoked_at": st.revoked_at,
                "reason": st.reason,
            }
        )
    elif cmd == "list":
        _print(
            [
                {k: e.get(k) for k in ("serial_hex", "kind", "subject", "status", "not_after")}
                for e in ca.issued()
            ]
        )
    elif cmd == "crl":
        Path(args.output).write_bytes(ca.crl("root" if args.root else "issuing"))
    elif cmd == "export":
        serial = resolve_serial(ca, args.serial)
        password = args.password
        if password is None:
            password = getpass.getpass("PKCS#12 password: ")
            if password != getpass.getpass("again: "):
                raise CLIError("passwords differ")
        data = ca.export_pkcs12(serial, password.encode("utf-8"), legacy=args.legacy)
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)  # password-encrypted PKCS#12, never the bare key
        print(f"wrote {args.output}", file=sys.stderr)
    elif cmd == "root":
        _export_certificate(ca.root_certificate, args)
    elif cmd == "cert":
        _export_certificate(_ca_certificate(ca, args.name), args)
    elif cmd == "rotate-kek":
        if args.new_kek_file:
            new = kek_from_env_or_file(args.new_kek_file)
        elif os.environ.get("CHOP_NEW_KEK"):
            new = os.environ["CHOP_NEW_KEK"].encode("utf-8")
        else:
            raise CLIError("no new key-encryption key: pass --new-kek-file or set CHOP_NEW_KEK")
        count = ca.rotate_kek(new)
        _print({"rewrapped": count})
        print(
            "note: this re-wraps the CA's keys only; a Chop platform also encrypts personal data "
            "under this KEK: use `chop rotate_kek`, which does both",
            file=sys.stderr,
        )
    elif cmd == "serve":
        from .http import make_server

        server = make_server(ca, args.host, args.port)
        # An AF_INET server's address is (str, int); socketserver types it loosely.
        host, port = str(server.server_address[0]), server.server_address[1]
        print(f"Chop PKI on http://{host}:{port}/pki/ (CRL, OCSP, TSA); Ctrl-C stops", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except (CLIError, CustodyError, ValueError, FileExistsError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
