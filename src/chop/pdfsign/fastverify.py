"""The direct checks behind ``verify``: one pass of hashing, the CMS and the chain checked by hand,
and the later revisions recognised as Chop signing acts instead of diffed one pair at a time.

pyHanko's validator is general: for every signature it re-reads the revision, matches
certificates by comparing parsed names, builds and validates the chain through the generic
certificate validator, and runs its difference analysis from the signed revision against every
later revision — n²/2 comparisons for n signatures, each of which reads every object of the older
revision. Verifying a Chop contract needs much less, and this module does only that:

* **Hashing.** All byte ranges start at 0 and the first range of a later signature extends the
  first range of an earlier one, so one running hash over the file is copied at the end of each
  first range, and the short second range is added to the copy. The same running SHA-256 goes on
  to the end of the file, which gives the file's own digest.
* **The CMS** (``check_signature``): content type, a single message digest equal to the byte-range
  digest, the signing-certificate attribute (ESS v1/v2) naming the signer's certificate, the
  algorithm-protection attribute when present, and the signature value over the DER of the
  signed attributes with the signer's public key (RSA PKCS#1 v1.5 or ECDSA, SHA-2).
* **The chain** (``Anchors.chain_ok``): issuer by exact name, each certificate's signature
  checked with its issuer's key, every certificate in its validity period (now, and at the
  timestamp's time), CA flag, key-cert-sign and path length on issuers, no critical extension
  this module does not understand, and the last certificate equal to a trust anchor. The answer
  for a certificate is kept for the other signatures of the document.
* **The timestamp token**: the imprint equals the hash of the signature value, the token's own
  CMS as above over the TSTInfo, the TSA certificate's ``timeStamping`` usage and its chain.
* **Later revisions** (``chop_acts``): a revision that writes exactly what a Chop signing act
  writes — one new signature field with its value, locked ``chop-seal:`` stamps for that field,
  the field appended to /Fields, /Annots grown on the pages that carry the marks, /AcroForm put
  in the catalogue, fresh objects nobody referred to before — is a form-filling change, which is
  what ``CHOP_DIFF_POLICY`` says of it.

Each check answers *yes* or *don't know*: ``None`` makes ``verify`` ask pyHanko for that
signature (or that difference analysis), so an unusual or broken signature is reported exactly as
pyHanko reports it. Nothing here ever decides that a signature is bad.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as crypto_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID
from pyhanko.pdf_utils import generic

from . import provenance as _provenance

__all__ = [
    "Anchors",
    "FastSignature",
    "FastTimestamp",
    "byte_range_digests",
    "check_signature",
    "chop_acts",
]

_HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_RSA_NAMES = {"rsassa_pkcs1v15": None, "sha256_rsa": "sha256", "sha384_rsa": "sha384"}
_RSA_NAMES["sha512_rsa"] = "sha512"
_EC_NAMES = {"sha256_ecdsa": "sha256", "sha384_ecdsa": "sha384", "sha512_ecdsa": "sha512"}
_KNOWN_CRITICAL = frozenset(
    {ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE, ExtensionOID.EXTENDED_KEY_USAGE}
)
_SIGNED_ATTRS = frozenset(
    {
        "content_type",
        "message_digest",
        "signing_time",
        "signing_certificate",
        "signing_certificate_v2",
        "cms_algorithm_protection",
        _provenance.OID,
    }
)
_CHUNK = 1 << 20


# --------------------------------------------------------------------------- hashing


def byte_range_digests(
    stream: BinaryIO, ranges: list[tuple[str, list[int]]]
) -> tuple[list[bytes | None], str]:
    """The digest of each ``(algorithm, /ByteRange)`` and the file's SHA-256, in one pass.

    A range whose first part does not start at 0, or whose algorithm is not SHA-2, gets None.
    """
    out: list[bytes | None] = [None] * len(ranges)
    order = []
    for i, (algo, br) in enumerate(ranges):
        if algo in _HASHES and len(br) == 4 and br[0] == 0 and min(br) >= 0:
            order.append((br[1], i))
    order.sort()
    running: dict[str, Any] = {"sha256": hashlib.sha256()}
    pos = 0
    stream.seek(0)

    def feed(upto: int) -> None:
        nonlocal pos
        while pos < upto:
            chunk = stream.read(min(_CHUNK, upto - pos))
            if not chunk:
                break
            for h in running.values():
                h.update(chunk)
            pos += len(chunk)

    def tail(h: Any, start: int, length: int) -> bytes:
        back = stream.tell()
        stream.seek(start)
        left = length
        while left > 0:
            chunk = stream.read(min(_CHUNK, left))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
        stream.seek(back)
        return h.digest()

    for end, i in order:
        algo, br = ranges[i]
        if algo not in running:
            if pos:  # a second algorithm after the pass started: hash this one on its own
                h = hashlib.new(algo)
                stream.seek(0)
                tail(h, 0, end)
                stream.seek(pos)
                out[i] = tail(h, br[2], br[3])
                continue
            running[algo] = hashlib.new(algo)
        feed(end)
        if pos != end:
            continue  # the file is shorter than the range says: pyHanko will say so
        out[i] = tail(running[algo].copy(), br[2], br[3])
    sha = running.pop("sha256")
    running.clear()
    running["sha256"] = sha
    while chunk := stream.read(_CHUNK):
        sha.update(chunk)
    return out, sha.hexdigest()


# --------------------------------------------------------------------------- signatures


@dataclass
class FastTimestamp:
    """The fields of pyHanko's ``TimestampSignatureStatus`` that ``verify`` reads."""

    timestamp: dt.datetime
    signing_cert: asn1_x509.Certificate
    intact: bool = True
    valid: bool = True
    trusted: bool = True


@dataclass
class FastSignature:
    """A signature whose CMS, certificate chain and timestamp token all check out."""

    cert: asn1_x509.Certificate
    signer_reported_dt: dt.datetime | None
    timestamp_validity: FastTimestamp | None


class _Cert:
    """A certificate with the DER of the parts that are hashed or compared, taken as read.

    asn1crypto re-encodes a structure once one of its algorithm identifiers has been looked at
    (it fills in absent NULL parameters), which is slow and need not give the bytes that were
    signed; so the bytes are taken before anything else is read. Extensions, validity and the
    public key are read by ``cryptography``'s (compiled) parser, which is many times faster than
    asn1crypto's for them.
    """

    __slots__ = ("der", "tbs", "subject", "issuer", "issuer_body", "serial", "x", "c", "_ext")

    def __init__(self, der: bytes) -> None:
        self.der = der
        x = asn1_x509.Certificate.load(der)
        tbs = x["tbs_certificate"]
        self.tbs = tbs.dump()
        self.subject = tbs["subject"].dump()
        self.issuer = tbs["issuer"].dump()
        self.issuer_body = tbs["issuer"].contents
        self.serial = tbs["serial_number"].native
        self.x = x
        self.c = crypto_x509.load_der_x509_certificate(der)
        self._ext: dict[Any, Any] | None = None

    def valid_at(self, *moments: dt.datetime | None) -> bool:
        nb, na = self.c.not_valid_before_utc, self.c.not_valid_after_utc
        return all(nb <= t <= na for t in moments if t is not None)

    def extensions(self) -> dict[Any, Any]:
        """Extension values by OID; raises ``ValueError`` for a critical one not understood."""
        if self._ext is None:
            ext = {}
            for e in self.c.extensions:
                if e.critical and e.oid not in _KNOWN_CRITICAL:
                    raise ValueError(f"critical extension {e.oid.dotted_string}")
                ext[e.oid] = e.value
            self._ext = ext
        return self._ext


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Anchors:
    """The trust anchors and what was learnt about certificates, for one document."""

    def __init__(self, roots: list[asn1_x509.Certificate], moment: dt.datetime | None = None):
        self._certs: dict[bytes, _Cert] = {}
        self.roots = {self.cert(r.dump()).der for r in roots}
        self.by_subject: dict[bytes, list[_Cert]] = {}
        for der in self.roots:
            c = self._certs[der]
            self.by_subject.setdefault(c.subject, []).append(c)
        self.moment = moment or _now()
        self._keys: dict[bytes, Any] = {}
        self._chains: dict[tuple[bytes, str], list[_Cert] | None] = {}

    def cert(self, der: bytes) -> _Cert:
        c = self._certs.get(der)
        if c is None:
            c = self._certs[der] = _Cert(der)
        return c

    def key(self, cert: _Cert) -> Any:
        k = self._keys.get(cert.der)
        if k is None:
            k = self._keys[cert.der] = cert.c.public_key()
        return k

    def chain_ok(
        self, cert: _Cert, pool: list[_Cert], purpose: str, at: dt.datetime | None = None
    ) -> bool:
        """Whether ``cert`` chains to an anchor through ``pool`` with nothing unusual on the way
        (``purpose`` "sign" or "tsa" sets what the end certificate must allow), every
        certificate on the path being valid now and at ``at``."""
        memo = (cert.der, purpose)
        if memo not in self._chains:
            try:
                self._chains[memo] = self._chain(cert, pool, purpose)
            except Exception:
                self._chains[memo] = None
        path = self._chains[memo]
        return path is not None and all(c.valid_at(self.moment, at) for c in path)

    def _chain(self, cert: _Cert, pool: list[_Cert], purpose: str) -> list[_Cert] | None:
        """The path from ``cert`` to an anchor (both included), or None."""
        if cert.der in self.roots:
            return None
        ext = cert.extensions()
        ku = ext.get(ExtensionOID.KEY_USAGE)
        signs = ku is not None and (ku.digital_signature or ku.content_commitment)
        if not signs and (purpose == "sign" or ku is not None):
            return None  # a signer needs the usage; a TSA certificate may leave it out
        if purpose != "sign":
            eku = ext.get(ExtensionOID.EXTENDED_KEY_USAGE)
            if eku is None or list(eku) != [ExtendedKeyUsageOID.TIME_STAMPING]:
                return None
        path = [cert]
        for _ in range(8):
            issuer = self._issuer(path[-1], pool)
            if issuer is None:
                return None
            iext = issuer.extensions()
            bc = iext.get(ExtensionOID.BASIC_CONSTRAINTS)
            if bc is None or not bc.ca:
                return None
            if bc.path_length is not None and len(path) - 1 > bc.path_length:
                return None
            iku = iext.get(ExtensionOID.KEY_USAGE)
            if iku is not None and not iku.key_cert_sign:
                return None
            path.append(issuer)
            if issuer.der in self.roots:
                return path
            if issuer.subject == issuer.issuer:
                return None  # self-issued but not an anchor
        return None

    def _issuer(self, cert: _Cert, pool: list[_Cert]) -> _Cert | None:
        candidates = self.by_subject.get(cert.issuer, []) + [
            c for c in pool if c.subject == cert.issuer and c.der != cert.der
        ]
        for cand in candidates:
            if _verify_cert(self.key(cand), cert):
                return cand
        return None


def _verify_cert(key: Any, cert: _Cert) -> bool:
    name = cert.x["signature_algorithm"]["algorithm"].native
    sig = cert.x["signature_value"].native
    digest = _RSA_NAMES.get(name) or _EC_NAMES.get(name)
    if digest is None:
        return False
    return _verify(key, name, digest, cert.tbs, sig)


def _verify(key: Any, sig_algo: str, digest_algo: str, data: bytes, sig: bytes) -> bool:
    """``sig`` over ``data`` with ``key``: RSA PKCS#1 v1.5 or ECDSA with SHA-2, else False."""
    if digest_algo not in _HASHES:
        return False
    h = _HASHES[digest_algo]()
    try:
        if sig_algo in _RSA_NAMES and isinstance(key, rsa.RSAPublicKey):
            named = _RSA_NAMES[sig_algo]
            if (named is not None and named != digest_algo) or key.key_size < 2048:
                return False
            key.verify(sig, data, padding.PKCS1v15(), h)
            return True
        if sig_algo in _EC_NAMES and isinstance(key, ec.EllipticCurvePublicKey):
            if _EC_NAMES[sig_algo] != digest_algo or key.key_size < 256:
                return False
            key.verify(sig, data, ec.ECDSA(h))
            return True
    except InvalidSignature:
        return False
    return False


# A CMS SignedData is read here with a small DER walker rather than asn1crypto: the walk is a
# few dozen length reads, where asn1crypto builds an object for every node it touches, which
# made up most of the time of checking a signature. The walker accepts definite lengths only and
# every element must end exactly where its parent says; anything else raises ``_BadDer`` and the
# signature goes to pyHanko. The few small values that need decoding (ESS certificate ids, the
# signing time, the TSTInfo) are handed to asn1crypto as their own byte strings.


class _BadDer(Exception):
    pass


def _tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, start of contents, end) of the element at ``pos``, which must end by ``end``."""
    if pos + 2 > end:
        raise _BadDer
    tag, first = data[pos], data[pos + 1]
    if tag & 0x1F == 0x1F:
        raise _BadDer  # multi-byte tags do not occur in what is read here
    if first < 0x80:
        start, length = pos + 2, first
    else:
        n = first & 0x7F
        if n == 0 or n > 4 or pos + 2 + n > end:
            raise _BadDer
        start, length = pos + 2 + n, int.from_bytes(data[pos + 2 : pos + 2 + n], "big")
    if start + length > end:
        raise _BadDer
    return tag, start, start + length


def _items(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """The elements between ``start`` and ``end``: (tag, element start, contents start, end)."""
    out = []
    pos = start
    while pos < end:
        tag, cs, ce = _tlv(data, pos, end)
        out.append((tag, pos, cs, ce))
        pos = ce
    return out


def _sole(der: bytes, item: tuple[int, int, int, int], tag: int) -> tuple[int, int, int, int]:
    """The one element inside ``item``, which must have ``tag`` (``_BadDer`` else)."""
    inside = _items(der, item[2], item[3])
    if len(inside) != 1 or inside[0][0] != tag:
        raise _BadDer
    return inside[0]


def _oid(dotted: str) -> bytes:
    return core.ObjectIdentifier(dotted).dump()


_OIDS = {
    _oid("1.2.840.113549.1.9.3"): "content_type",
    _oid("1.2.840.113549.1.9.4"): "message_digest",
    _oid("1.2.840.113549.1.9.5"): "signing_time",
    _oid("1.2.840.113549.1.9.16.2.12"): "signing_certificate",
    _oid("1.2.840.113549.1.9.16.2.47"): "signing_certificate_v2",
    _oid("1.2.840.113549.1.9.16.2.14"): "signature_time_stamp_token",
    _oid("1.2.840.113549.1.9.52"): "cms_algorithm_protection",
    _oid(_provenance.OID): _provenance.OID,
    _oid("1.2.840.113549.1.7.1"): "data",
    _oid("1.2.840.113549.1.7.2"): "signed_data",
    _oid("1.2.840.113549.1.9.16.1.4"): "tst_info",
}
_ALGOS = {
    _oid("2.16.840.1.101.3.4.2.1"): "sha256",
    _oid("2.16.840.1.101.3.4.2.2"): "sha384",
    _oid("2.16.840.1.101.3.4.2.3"): "sha512",
    _oid("1.2.840.113549.1.1.1"): "rsassa_pkcs1v15",
    _oid("1.2.840.113549.1.1.11"): "sha256_rsa",
    _oid("1.2.840.113549.1.1.12"): "sha384_rsa",
    _oid("1.2.840.113549.1.1.13"): "sha512_rsa",
    _oid("1.2.840.10045.4.3.2"): "sha256_ecdsa",
    _oid("1.2.840.10045.4.3.3"): "sha384_ecdsa",
    _oid("1.2.840.10045.4.3.4"): "sha512_ecdsa",
}
_NULL = b"\x05\x00"


def _algorithm(data: bytes, item: tuple[int, int, int, int], tag: int = 0x30) -> str:
    """The name of a SHA-2 / RSA / ECDSA AlgorithmIdentifier with absent or NULL parameters."""
    parts = _items(data, item[2], item[3]) if item[0] == tag else []
    if not parts or len(parts) > 2 or parts[0][0] != 0x06:
        raise _BadDer
    name = _ALGOS.get(data[parts[0][1] : parts[0][3]])
    if name is None or (len(parts) == 2 and data[parts[1][1] : parts[1][3]] != _NULL):
        raise _BadDer
    return name


def _attributes(data: bytes, start: int, end: int, allowed: frozenset[str]) -> dict[str, bytes]:
    """Each attribute's one value (DER) by name; ``_BadDer`` for anything else."""
    out: dict[str, bytes] = {}
    for tag, _, cs, ce in _items(data, start, end):
        parts = _items(data, cs, ce) if tag == 0x30 else []
        if len(parts) != 2 or parts[0][0] != 0x06 or parts[1][0] != 0x31:
            raise _BadDer
        kind = _OIDS.get(data[parts[0][1] : parts[0][3]])
        values = _items(data, parts[1][2], parts[1][3])
        if kind not in allowed or kind in out or len(values) != 1:
            raise _BadDer
        out[kind] = data[values[0][1] : values[0][3]]
    return out


def _octets(der: bytes) -> bytes:
    tag, cs, ce = _tlv(der, 0, len(der))
    if tag != 0x04 or ce != len(der):
        raise _BadDer
    return der[cs:ce]


def _ess_ok(attrs: dict[str, bytes], cert: _Cert) -> bool:
    if "signing_certificate" in attrs and "signing_certificate_v2" in attrs:
        return False
    for kind, spec in (
        ("signing_certificate_v2", tsp.SigningCertificateV2),
        ("signing_certificate", tsp.SigningCertificate),
    ):
        if kind not in attrs:
            continue
        certid = spec.load(attrs[kind])["certs"][0]
        algo = "sha1" if kind == "signing_certificate" else None
        if algo is None:
            algo = certid["hash_algorithm"]["algorithm"].native
        if hashlib.new(algo, cert.der).digest() != certid["cert_hash"].native:
            return False
        iss = certid["issuer_serial"]
        if not isinstance(iss, core.Void):
            names = iss["issuer"]
            if len(names) != 1 or names[0].name != "directory_name":
                return False
            if names[0].chosen.contents != cert.issuer_body:
                return False
            if iss["serial_number"].native != cert.serial:
                return False
    return True


def _protection_ok(der: bytes, sd: _Signed) -> bool:
    """RFC 6211: the protected digest and signature algorithms are the ones used."""
    tag, cs, ce = _tlv(der, 0, len(der))
    parts = _items(der, cs, ce) if tag == 0x30 and ce == len(der) else []
    if len(parts) != 2 or parts[1][0] != 0xA1:
        return False
    digest = _algorithm(der, parts[0])
    return digest == sd.digest_algo and _algorithm(der, parts[1], 0xA1) == sd.sig_algo


@dataclass
class _Signed:
    """What one SignedData says: content type, encapsulated content, certificates, signer."""

    content_type: str | None
    content: bytes | None
    certs: list[bytes]
    issuer: bytes  # the signer's issuer name (DER) and serial number
    serial: int
    digest_algo: str
    signed_attrs: bytes  # DER as stored ([0] IMPLICIT)
    attrs: dict[str, bytes]
    sig_algo: str
    signature: bytes
    unsigned: dict[str, bytes] | None


def _signed_data(der: bytes, allowed: frozenset[str]) -> _Signed:
    """Read a ContentInfo holding a SignedData with exactly one signer (``_BadDer`` else)."""
    tag, cs, ce = _tlv(der, 0, len(der))  # trailing bytes (the /Contents padding) are ignored
    top = _items(der, cs, ce) if tag == 0x30 else []
    if len(top) != 2 or _OIDS.get(der[top[0][1] : top[0][3]]) != "signed_data":
        raise _BadDer
    if top[1][0] != 0xA0:
        raise _BadDer
    inner = _sole(der, top[1], 0x30)
    parts = _items(der, inner[2], inner[3])
    if len(parts) < 4 or parts[0][0] != 0x02 or parts[1][0] != 0x31 or parts[2][0] != 0x30:
        raise _BadDer
    encap = _items(der, parts[2][2], parts[2][3])
    if not encap or len(encap) > 2 or encap[0][0] != 0x06:
        raise _BadDer
    content_type = _OIDS.get(der[encap[0][1] : encap[0][3]])
    content = None
    if len(encap) == 2:
        if encap[1][0] != 0xA0:
            raise _BadDer
        octets = _sole(der, encap[1], 0x04)
        content = der[octets[2] : octets[3]]
    certs: list[bytes] = []
    rest = parts[3:]
    if rest and rest[0][0] == 0xA0:
        certs = [der[c[1] : c[3]] for c in _items(der, rest[0][2], rest[0][3]) if c[0] == 0x30]
        rest = rest[1:]
    if rest and rest[0][0] == 0xA1:
        raise _BadDer  # revocation data inside the CMS is left to pyHanko
    if len(rest) != 1 or rest[0][0] != 0x31:
        raise _BadDer
    info = _sole(der, rest[0], 0x30)
    f = _items(der, info[2], info[3])
    if len(f) < 5 or f[0][0] != 0x02 or f[1][0] != 0x30 or f[3][0] != 0xA0:
        raise _BadDer
    sid = _items(der, f[1][2], f[1][3])
    if len(sid) != 2 or sid[0][0] != 0x30 or sid[1][0] != 0x02:
        raise _BadDer
    signature = f[5] if len(f) > 5 else None
    if signature is None or signature[0] != 0x04 or len(f) > 7:
        raise _BadDer
    unsigned = None
    if len(f) == 7:
        if f[6][0] != 0xA1:
            raise _BadDer
        unsigned = _attributes(der, f[6][2], f[6][3], frozenset({"signature_time_stamp_token"}))
    return _Signed(
        content_type=content_type,
        content=content,
        certs=certs,
        issuer=der[sid[0][1] : sid[0][3]],
        serial=int.from_bytes(der[sid[1][2] : sid[1][3]], "big", signed=True),
        digest_algo=_algorithm(der, f[2]),
        signed_attrs=der[f[3][1] : f[3][3]],
        attrs=_attributes(der, f[3][2], f[3][3], allowed),
        sig_algo=_algorithm(der, f[4]),
        signature=der[signature[2] : signature[3]],
        unsigned=unsigned,
    )


def _check_cms(
    sd: _Signed,
    content_type: str,
    digest: bytes,
    digest_algo: str,
    anchors: Anchors,
    purpose: str,
    at: dt.datetime | None,
) -> _Cert | None:
    """The signer's certificate if everything about the one signer of ``sd`` checks out."""
    pool = [anchors.cert(der) for der in sd.certs]
    found = [c for c in pool if c.serial == sd.serial and c.issuer == sd.issuer]
    if len(found) != 1 or sd.digest_algo != digest_algo:
        return None
    cert = found[0]
    attrs = sd.attrs
    if "message_digest" not in attrs or "content_type" not in attrs:
        return None
    if (
        _OIDS.get(attrs["content_type"]) != content_type
        or _octets(attrs["message_digest"]) != digest
    ):
        return None
    if not _ess_ok(attrs, cert):
        return None
    if "cms_algorithm_protection" in attrs and not _protection_ok(
        attrs["cms_algorithm_protection"], sd
    ):
        return None
    signed = b"\x31" + sd.signed_attrs[1:]  # signed as a SET, stored as [0] IMPLICIT
    if not _verify(anchors.key(cert), sd.sig_algo, digest_algo, signed, sd.signature):
        return None
    if not anchors.chain_ok(cert, pool, purpose, at):
        return None
    return cert


_TST_ATTRS = frozenset(
    {
        "content_type",
        "message_digest",
        "signing_time",
        "signing_certificate",
        "signing_certificate_v2",
        "cms_algorithm_protection",
    }
)


def _timestamp(sd: _Signed, anchors: Anchors) -> tuple[bool, FastTimestamp | None]:
    """(whether the unsigned attributes are understood and hold, the timestamp if any)."""
    if sd.unsigned is None:
        return True, None
    token = _signed_data(sd.unsigned["signature_time_stamp_token"], _TST_ATTRS)
    if token.content_type != "tst_info" or token.content is None or token.unsigned is not None:
        return False, None
    info = tsp.TSTInfo.load(token.content)
    imprint = info["message_imprint"]
    algo = imprint["hash_algorithm"]["algorithm"].native
    if algo not in _HASHES or token.digest_algo not in _HASHES:
        return False, None
    if hashlib.new(algo, sd.signature).digest() != imprint["hashed_message"].native:
        return False, None
    when = info["gen_time"].native
    digest = hashlib.new(token.digest_algo, token.content).digest()
    cert = _check_cms(token, "tst_info", digest, token.digest_algo, anchors, "tsa", when)
    if cert is None:
        return False, None
    return True, FastTimestamp(timestamp=when, signing_cert=cert.x)


def check_signature(embedded: Any, digest: bytes | None, anchors: Anchors) -> FastSignature | None:
    """The checks of an approval signature, or None when pyHanko should judge it."""
    if digest is None or embedded.sig_object_type != "/Sig":
        return None
    if embedded.sig_object.get("/SubFilter") not in (
        "/ETSI.CAdES.detached",
        "/adbe.pkcs7.detached",
    ):
        return None
    try:
        sd = _signed_data(bytes(embedded.pkcs7_content), _SIGNED_ATTRS)
        if sd.content_type != "data" or sd.content is not None:
            return None
        ok, ts = _timestamp(sd, anchors)
        if not ok:
            return None
        at = ts.timestamp if ts is not None else None
        algo = embedded.external_md_algorithm
        cert = _check_cms(sd, "data", digest, algo, anchors, "sign", at)
    except _BadDer:
        return None
    if cert is None:
        return None
    st = sd.attrs.get("signing_time")
    return FastSignature(
        cert=cert.x,
        signer_reported_dt=cms.Time.load(st).native if st is not None else None,
        timestamp_validity=ts,
    )


# --------------------------------------------------------------------------- revisions

_R = re.compile(rb"R(?![A-Za-z0-9_])")
_REF_TAIL = re.compile(rb"(?<![0-9])(\d+)[ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+$")
_FIELD_KEYS = frozenset({"/FT", "/T", "/V", "/Type", "/Subtype", "/P", "/Rect", "/F", "/AP"})
_SIG_KEYS = frozenset(
    {
        "/Type",
        "/Filter",
        "/SubFilter",
        "/M",
        "/Name",
        "/ByteRange",
        "/Contents",
        "/Reason",
        "/Location",
        "/ContactInfo",
        "/Prop_Build",
    }
)
_STAMP_KEYS = frozenset({"/Type", "/Subtype", "/Rect", "/F", "/AP", "/P", "/NM"})


class _NotAnAct(Exception):
    pass


def _first_refs(data: bytes) -> dict[int, int] | None:
    """For each object number, the first file position that refers to it (the position of its
    object stream for references inside one); None when an object stream cannot be read."""
    first: dict[int, int] = {}
    _scan_refs(data, 0, first, None)
    pos = data.find(b"/ObjStm")
    while pos >= 0:
        start = data.rfind(b"obj", 0, pos)
        head_end = data.find(b"stream", pos)
        if start < 0 or head_end < 0:
            return None
        head = data[start:head_end]
        length = re.search(rb"/Length\s+(\d+)(?!\s+\d+\s+R)", head)
        filt = re.search(rb"/Filter\s*/?(\w+)", head)
        if length is None or b"/DecodeParms" in head or (filt and filt.group(1) != b"FlateDecode"):
            return None
        body_at = head_end + 6
        body_at += 2 if data[body_at : body_at + 2] == b"\r\n" else 1
        raw = data[body_at : body_at + int(length.group(1))]
        try:
            body = zlib.decompress(raw) if filt else raw
        except zlib.error:
            return None
        _scan_refs(body, 0, first, start)
        pos = data.find(b"/ObjStm", pos + 7)
    return first


def _scan_refs(data: bytes, base: int, first: dict[int, int], at: int | None) -> None:
    """Record ``n g R`` references in ``data``: a literal search for R, then a look back."""
    for m in _R.finditer(data):
        end = m.start()
        back = _REF_TAIL.search(data, max(0, end - 24), end)
        if back is None:
            continue
        n = int(back.group(1))
        where = at if at is not None else base + back.start()
        if first.get(n, 1 << 62) > where:
            first[n] = where


def _ref(obj: Any) -> generic.Reference:
    if not isinstance(obj, generic.IndirectObject):
        raise _NotAnAct
    return obj.reference


def _refs(arr: Any) -> list[generic.Reference]:
    if not isinstance(arr, generic.ArrayObject):
        raise _NotAnAct
    return [_ref(x) for x in arr]


def _dict(obj: Any) -> generic.DictionaryObject:
    if not isinstance(obj, generic.DictionaryObject):
        raise _NotAnAct
    return obj


def _same_except(old: generic.DictionaryObject, new: generic.DictionaryObject, keys: set) -> None:
    from .increment import serialize

    if set(old.keys()) - keys != set(new.keys()) - keys:
        raise _NotAnAct
    for k in old:
        if k not in keys and serialize(old.raw_get(k)) != serialize(new.raw_get(k)):
            raise _NotAnAct


class _Objects:
    """Objects as of a revision, each parsed once however many revisions see it: plain
    dictionaries by ``fastparse``'s tokenizer, anything else by pyHanko (the current revision's
    reader when the object has not changed since, so what it already read is reused)."""

    def __init__(self, reader: Any, data: bytes) -> None:
        self.reader = reader
        self.data = data
        self.last = reader.xrefs.total_revisions - 1
        self.cache: dict[Any, Any] = {}

    def get(self, ref: generic.Reference, revision: int) -> Any:
        xrefs = self.reader.xrefs
        where = xrefs.get_historical_ref(ref, revision)
        if where is None:
            raise _NotAnAct
        key = (ref.idnum, ref.generation, where)
        if key in self.cache:
            return self.cache[key]
        current = xrefs.get_historical_ref(ref, self.last) == where
        obj = None
        if current:  # e.g. signature fields and values, which the reader has already read
            obj = self.reader.cache_get_indirect_object(ref.generation, ref.idnum)
        if obj is None and isinstance(where, int):
            obj = self._quick(ref, where)
        if obj is None:
            if current:
                obj = self.reader.get_object(ref)
            else:
                obj = self.reader.get_historical_resolver(revision)(ref)
        self.cache[key] = obj
        return obj

    def _quick(self, ref: generic.Reference, at: int) -> Any:
        h = _HEADER.match(self.data, at)
        if h is None or int(h.group(1)) != ref.idnum or int(h.group(2)) != ref.generation:
            return None
        try:
            value, pos = _parse_plain(self.data, h.end(), self.reader)
        except _NotPlain:
            return None
        tail = _TOKEN.match(self.data, pos)
        if tail is None or tail.group("kw") != b"endobj":
            return None  # e.g. a stream follows
        return value


# A tokenizer for the dictionaries a signing act writes: fastparse's, plus literal strings
# (simple escapes, no parentheses or carriage returns inside) and hex strings, which field names,
# seal names and dates need. Anything else is left to pyHanko, so values are pyHanko's values.
_TOKEN = re.compile(
    rb"(?:[ \t\r\n\f\x00]|%[^\r\n]*)*"
    rb"(?:"
    rb"(?P<ref>\d+)[ \t\r\n\f\x00]+(?P<gen>\d+)[ \t\r\n\f\x00]+R(?![^\s()<>\[\]{}/%])"
    rb"|(?P<num>[+-]?(?:\d+\.?\d*|\.\d+))(?![^\s()<>\[\]{}/%])"
    rb"|(?P<name>/[^\s()<>\[\]{}/%#]*)(?![#])"
    rb"|(?P<open><<|\[)"
    rb"|(?P<close>>>|\])"
    rb"|\((?P<str>(?:[^()\\\r]|\\[nrtbf()\\]|\\[0-7]{1,3})*)\)"
    rb"|<(?P<hex>[0-9A-Fa-f \t\r\n\f]*)>"
    rb"|(?P<kw>true|false|null|endobj)(?![^\s()<>\[\]{}/%])"
    rb")"
)
_HEADER = re.compile(rb"[ \t\r\n\f\x00]*(\d+)[ \t\r\n\f\x00]+(\d+)[ \t\r\n\f\x00]+obj")
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


class _NotPlain(Exception):
    pass


def _unescape(m: re.Match[bytes]) -> bytes:
    t = m.group(1)
    if t[:1].isdigit():
        return bytes([int(t, 8) & 0xFF])
    return _ESCAPES.get(t, t)


def _parse_plain(data: bytes, pos: int, handler: Any) -> tuple[Any, int]:
    """One value at ``pos`` (iteratively, to survive deep nesting); ``_NotPlain`` otherwise."""
    stack: list[list[Any]] = []  # each: [container, pending key]
    while True:
        m = _TOKEN.match(data, pos)
        if m is None:
            raise _NotPlain
        pos = m.end()
        kind = m.lastgroup
        value: Any
        if kind in ("ref", "gen"):
            value = generic.IndirectObject(int(m.group("ref")), int(m.group("gen")), handler)
        elif kind == "num":
            tok = m.group("num")
            value = (
                generic.FloatObject(tok.decode()) if b"." in tok else generic.NumberObject(int(tok))
            )
        elif kind == "name":
            value = generic.NameObject(m.group("name").decode("latin-1"))
        elif kind == "str":
            value = generic.pdf_string(_ESCAPE.sub(_unescape, m.group("str")))
        elif kind == "hex":
            digits = re.sub(rb"\s", b"", m.group("hex"))
            if len(digits) % 2:
                digits += b"0"
            value = generic.pdf_string(bytes.fromhex(digits.decode("ascii")))
        elif kind == "open":
            opened = m.group("open") == b"<<"
            stack.append([generic.DictionaryObject() if opened else generic.ArrayObject(), None])
            continue
        elif kind == "close":
            if not stack:
                raise _NotPlain
            container, pending = stack.pop()
            is_dict = isinstance(container, generic.DictionaryObject)
            if (m.group("close") == b">>") != is_dict or pending is not None:
                raise _NotPlain
            value = container
        else:
            kw = m.group("kw")
            if kw == b"endobj":
                raise _NotPlain
            value = generic.NullObject() if kw == b"null" else generic.BooleanObject(kw == b"true")
        if not stack:
            return value, pos
        top = stack[-1]
        if isinstance(top[0], generic.ArrayObject):
            top[0].append(value)
        elif top[1] is None:
            if not isinstance(value, generic.NameObject):
                raise _NotPlain
            top[1] = value
        else:
            top[0][top[1]] = value
            top[1] = None


def _act(reader: Any, k: int, first_refs: dict[int, int], names: dict, objs: _Objects) -> None:
    """Raise ``_NotAnAct`` unless revision ``k`` is exactly a Chop signing act."""
    xrefs = reader.xrefs
    if xrefs.refs_freed_in_revision(k) or xrefs.object_streams_used_in(k):
        raise _NotAnAct
    meta = xrefs.get_xref_container_info(k)
    prev_meta = xrefs.get_xref_container_info(k - 1)
    if xrefs.get_xref_data(k).hybrid is not None:
        raise _NotAnAct
    root = _ref(reader.trailer.raw_get("/Root", revision=k))
    if root != _ref(reader.trailer.raw_get("/Root", revision=k - 1)):
        raise _NotAnAct

    def old(ref: generic.Reference) -> Any:
        return objs.get(ref, k - 1)

    def new(ref: generic.Reference) -> Any:
        return objs.get(ref, k)

    written = xrefs.explicit_refs_in_revision(k)
    fresh, overwritten = set(), set()
    for ref in written:
        if meta.stream_ref is not None and ref == meta.stream_ref:
            continue
        if ref.idnum >= prev_meta.size:
            if ref.generation != 0:
                raise _NotAnAct
            fresh.add(ref)
        elif xrefs.get_historical_ref(ref, k - 1) is not None:
            overwritten.add(ref)
        else:
            raise _NotAnAct  # a free number below /Size reused
    start = prev_meta.end_location
    if any(first_refs.get(r.idnum, 1 << 62) < start for r in fresh):
        raise _NotAnAct  # something in an earlier revision already pointed at a "new" object
    # the catalogue: unchanged, or /AcroForm (indirect) added or replaced
    new_root = _dict(new(root))
    form_ref = _ref(new_root.raw_get("/AcroForm")) if "/AcroForm" in new_root else None
    if form_ref is None:
        raise _NotAnAct
    old_root = _dict(old(root))
    if root in overwritten:
        _same_except(old_root, new_root, {"/AcroForm"})
        overwritten.discard(root)
        if "/AcroForm" in old_root and _ref(old_root.raw_get("/AcroForm")) != form_ref:
            raise _NotAnAct
    elif "/AcroForm" not in old_root:
        raise _NotAnAct
    # the form: the one new field appended
    new_form = _dict(new(form_ref))
    if form_ref in fresh:
        old_fields: list[generic.Reference] = []
        if "/AcroForm" in old_root or not set(new_form.keys()) <= {"/Fields", "/SigFlags"}:
            raise _NotAnAct
    elif form_ref in overwritten:
        old_form = _dict(old(form_ref))
        _same_except(old_form, new_form, {"/Fields", "/SigFlags"})
        old_fields = _refs(old_form.raw_get("/Fields")) if "/Fields" in old_form else []
        overwritten.discard(form_ref)
    else:
        raise _NotAnAct
    if new_form.get("/SigFlags", 3) != 3:
        raise _NotAnAct
    new_fields = _refs(new_form.raw_get("/Fields"))
    if new_fields[:-1] != old_fields or new_fields[-1] not in fresh:
        raise _NotAnAct
    field_ref = new_fields[-1]
    field = _dict(new(field_ref))
    if not set(field.keys()) <= _FIELD_KEYS or field.get("/FT") != "/Sig":
        raise _NotAnAct
    if field.get("/Subtype") != "/Widget" or "/P" not in field:
        raise _NotAnAct
    field_name = field.get("/T")
    if not isinstance(field_name, generic.TextStringObject):
        raise _NotAnAct
    for ref in old_fields:
        if ref not in names:
            names[ref] = str(_dict(old(ref)).get("/T", ""))
        if names[ref] == str(field_name):
            raise _NotAnAct
    names[field_ref] = str(field_name)
    value_ref = _ref(field.raw_get("/V"))
    value = _dict(new(value_ref))
    if value_ref not in fresh or not set(value.keys()) <= _SIG_KEYS:
        raise _NotAnAct
    if value.get("/Type") != "/Sig":
        raise _NotAnAct
    # the pages: only /Annots grown, by the widget and the field's own locked seal stamps
    placed = False
    prefix = f"chop-seal:{field_name}:"
    for page_ref in overwritten:
        new_page, old_page = _dict(new(page_ref)), _dict(old(page_ref))
        if old_page.get("/Type") != "/Page" or new_page.get("/Type") != "/Page":
            raise _NotAnAct
        _same_except(old_page, new_page, {"/Annots"})
        before = set(_refs(old_page.raw_get("/Annots"))) if "/Annots" in old_page else set()
        after = _refs(new_page.raw_get("/Annots"))
        if not before <= set(after) or len(set(after)) != len(after):
            raise _NotAnAct
        for ref in set(after) - before:
            if ref not in fresh:
                raise _NotAnAct
            if ref == field_ref:
                if _ref(field.raw_get("/P")) != page_ref:
                    raise _NotAnAct
                placed = True
                continue
            annot = _dict(new(ref))
            flags = annot.get("/F", 0)
            ap = annot.get("/AP")
            if (
                annot.get("/Subtype") != "/Stamp"
                or not set(annot.keys()) <= _STAMP_KEYS
                or not isinstance(flags, int)
                or flags & (128 | 512) != 128 | 512
                or not str(annot.get("/NM", "")).startswith(prefix)
                or not isinstance(ap, generic.DictionaryObject)
                or set(ap.keys()) != {"/N"}
            ):
                raise _NotAnAct
    if not placed:
        raise _NotAnAct


def chop_acts(reader: Any, data: bytes | None) -> set[int]:
    """The revisions (after the first) that are exactly a Chop signing act."""
    total = reader.xrefs.total_revisions
    if total < 2 or data is None:
        return set()
    first = _first_refs(data)
    if first is None:
        return set()
    out: set[int] = set()
    names: dict = {}
    objs = _Objects(reader, data)
    for k in range(1, total):
        try:
            _act(reader, k, first, names, objs)
        except _NotAnAct:
            continue
        except Exception:
            continue
        out.add(k)
    return out
