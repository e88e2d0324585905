"""A throw-away PKI (root, issuing CA, end entities, TSA) for tests and benchmarks.

It lives under tests/ so it does not ship in the wheel. ``make bench`` (the top-level ``bench/``,
run with the repository on ``PYTHONPATH``) imports it too: the benchmarks must sign with realistic
RSA-2048 keys and a three-level chain without depending on the platform CA (``chop.pki``), and the
tests use the same helper so the two measure the same thing. The signing code never uses it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

__all__ = ["TestPKI", "Identity", "make_pdf", "demo_seal", "demo_seal_png"]


def _name(cn: str, org: str | None = None, serial: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    if serial:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attrs)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Identity:
    """A key with its certificate and the chain above it (issuing CA first, root last)."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)

    @property
    def serial(self) -> int:
        return self.certificate.serial_number

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def pkcs12(self, password: bytes | None = None) -> bytes:
        from cryptography.hazmat.primitives.serialization import pkcs12

        enc = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return pkcs12.serialize_key_and_certificates(
            b"signer", self.key, self.certificate, self.chain, enc
        )

    def signer(self):
        """A pyHanko ``SimpleSigner`` for this identity."""
        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign.signers import SimpleSigner
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        der = lambda c: c.public_bytes(serialization.Encoding.DER)  # noqa: E731
        key_der = self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return SimpleSigner(
            signing_cert=asn1_x509.Certificate.load(der(self.certificate)),
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=SimpleCertificateStore.from_certs(
                [asn1_x509.Certificate.load(der(c)) for c in self.chain]
            ),
        )


class TestPKI:
    """Root CA → issuing CA → company / person / TSA certificates, all RSA-2048, made in memory."""

    __test__ = False  # not a pytest class

    def __init__(self, name: str = "Chop Test") -> None:
        from chop.pki.profiles import ca_key_usage

        now = dt.datetime.now(dt.UTC)
        self._now = now
        self.root_key = _key()
        root_name = _name(f"{name} Root CA", name)
        self.root_certificate = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(self.root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(ca_key_usage(), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.root_key.public_key()),
                critical=False,
            )
            .sign(self.root_key, hashes.SHA256())
        )
        self.ca_key = _key()
        self.ca_certificate = self._issue(
            _name(f"{name} Issuing CA", name),
            self.ca_key,
            self.root_certificate,
            self.root_key,
            ca=True,
        )

    def _issue(
        self,
        subject: x509.Name,
        key: rsa.RSAPrivateKey,
        issuer_cert: x509.Certificate,
        issuer_key: rsa.RSAPrivateKey,
        *,
        ca: bool = False,
        tsa: bool = False,
    ) -> x509.Certificate:
        # The platform CA's profiles (key usages, EKUs, end-entity validity), not copies of them.
        from chop.pki.profiles import END_ENTITY_DAYS, TSA_EKUS, ca_key_usage, signing_key_usage

        now = self._now
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=END_ENTITY_DAYS))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                False,
            )
        )
        if ca:
            b = b.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
            b = b.add_extension(ca_key_usage(), True)
        else:
            b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            b = b.add_extension(signing_key_usage(non_repudiation=not tsa), True)
            if tsa:
                b = b.add_extension(x509.ExtendedKeyUsage(TSA_EKUS), True)
        return b.sign(issuer_key, hashes.SHA256())

    def issue(self, cn: str, org: str | None = None, serial: str | None = None) -> Identity:
        key = _key()
        cert = self._issue(_name(cn, org, serial), key, self.ca_certificate, self.ca_key)
        return Identity(key, cert, [self.ca_certificate, self.root_certificate])

    def issue_company(self, name: str, uscc: str) -> Identity:
        return self.issue(name, name, uscc)

    def issue_person(self, name: str, id_number: str) -> Identity:
        return self.issue(name, None, id_number)

    @cached_property
    def tsa(self) -> Identity:
        key = _key()
        cert = self._issue(
            _name("Chop Test TSA", "Chop"), key, self.ca_certificate, self.ca_key, tsa=True
        )
        return Identity(key, cert, [self.ca_certificate, self.root_certificate])

    def timestamper(self):
        """An in-process RFC 3161 TSA (pyHanko's ``DummyTimeStamper``) with the TSA certificate."""
        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        der = lambda c: c.public_bytes(serialization.Encoding.DER)  # noqa: E731
        t = self.tsa
        return DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(der(t.certificate)),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                t.key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            certs_to_embed=[asn1_x509.Certificate.load(der(c)) for c in t.chain],
        )

    def root_pem(self) -> bytes:
        return self.root_certificate.public_bytes(serialization.Encoding.PEM)


def make_pdf(
    n_pages: int = 1,
    *,
    texts: dict[int, list[tuple[float, float, str]]] | None = None,
    rotate: int = 0,
    media_box: tuple[float, float, float, float] = (0, 0, 595.28, 841.89),
    crop_box: tuple[float, float, float, float] | None = None,
    default_text: bool = True,
    padding: int = 0,
    catalog_extra: bytes = b"",
    page_extra: dict[int, bytes] | None = None,
) -> bytes:
    """A small hand-written PDF (classic xref table) for tests.

    ``texts`` maps 0-based page index to ``(x_pt, y_pt, text)`` triples in PDF user space; text
    with non-Latin-1 characters is drawn with the non-embedded ``STSong-Light`` CID font
    (``UniGB-UCS2-H``), which pdfium both renders and extracts. Every page gets
    "Page N" unless ``default_text`` is false. ``page_extra`` maps a 0-based page index to bytes
    written into that page's dictionary (e.g. an inline ``/Annots`` array).
    """
    objs: list[bytes] = []

    def add(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    catalog = add(b"")  # placeholder, filled later
    pages = add(b"")
    helv = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    cid = add(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
        b"/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >> /DW 1000 >>"
    )
    song = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [%d 0 R] >>" % cid
    )
    texts = texts or {}
    kids = []
    for i in range(n_pages):
        ops = []
        items = list(texts.get(i, []))
        if default_text:
            items.append((72, media_box[3] - 72, f"Page {i + 1}"))
        for x, y, s in items:
            try:
                enc = s.encode("latin-1")
                esc = enc.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
                ops.append(b"BT /F1 14 Tf %.2f %.2f Td (%s) Tj ET" % (x, y, esc))
            except UnicodeEncodeError:
                ops.append(
                    b"BT /F2 14 Tf %.2f %.2f Td <%s> Tj ET"
                    % (x, y, s.encode("utf-16-be").hex().encode())
                )
        content = b"\n".join(ops)
        cref = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        extra = b""
        if rotate:
            extra += b" /Rotate %d" % rotate
        if crop_box:
            extra += b" /CropBox [%s]" % b" ".join(b"%g" % v for v in crop_box)
        if page_extra and i in page_extra:
            extra += b" " + page_extra[i]
        pref = add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [%s] /Resources << /Font << /F1 %d 0 R "
            b"/F2 %d 0 R >> >> /Contents %d 0 R%s >>"
            % (pages, b" ".join(b"%g" % v for v in media_box), helv, song, cref, extra)
        )
        kids.append(pref)
    objs[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R%s >>" % (pages, catalog_extra)
    objs[pages - 1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (
        n_pages,
        b" ".join(b"%d 0 R" % k for k in kids),
    )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    if padding:  # comment lines, to make big files cheaply
        line = b"%" + b"x" * 98 + b"\n"
        out += line * (padding // len(line))
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1,
        catalog,
        b"00112233445566778899aabbccddeeff",
        b"00112233445566778899aabbccddeeff",
        xref,
    )
    return bytes(out)


def demo_seal(diameter_mm: float = 40.0, rgb: tuple[float, float, float] = (0.85, 0.05, 0.05)):
    """A vector stand-in for a sealart drawing: red ring, inner ring and a five-pointed star."""
    import math

    from chop.pdfsign.marks import MM, SealAppearance

    d = diameter_mm * MM
    r = d / 2
    k = 0.5523

    def circle(rad: float) -> bytes:
        c = rad * k
        return (
            f"{r + rad:.2f} {r:.2f} m "
            f"{r + rad:.2f} {r + c:.2f} {r + c:.2f} {r + rad:.2f} {r:.2f} {r + rad:.2f} c "
            f"{r - c:.2f} {r + rad:.2f} {r - rad:.2f} {r + c:.2f} {r - rad:.2f} {r:.2f} c "
            f"{r - rad:.2f} {r - c:.2f} {r - c:.2f} {r - rad:.2f} {r:.2f} {r - rad:.2f} c "
            f"{r + c:.2f} {r - rad:.2f} {r + rad:.2f} {r - c:.2f} {r + rad:.2f} {r:.2f} c h"
        ).encode()

    star = []
    outer, inner = r * 0.35, r * 0.35 * 0.382
    for i in range(10):
        rad = outer if i % 2 == 0 else inner
        a = math.pi / 2 + i * math.pi / 5
        star.append(f"{r + rad * math.cos(a):.2f} {r + rad * math.sin(a):.2f}")
    star_ops = (star[0] + " m " + " l ".join(star[1:]) + " l h f").encode()
    col = " ".join(f"{c:.3f}" for c in rgb).encode()
    bw = 1.2 * MM
    content = b"q /GS0 gs %s RG %s rg %.2f w %s S %.2f w %s S %s Q" % (
        col,
        col,
        bw,
        circle(r - bw / 2),
        0.4 * MM,
        circle(r - bw * 2.2),
        star_ops,
    )
    return SealAppearance(width_mm=diameter_mm, height_mm=diameter_mm, content=content, opacity=0.9)


def demo_seal_png(size_px: int = 400) -> bytes:
    """A raster red ring (RGBA, transparent background) for PNG-appearance tests."""
    from PIL import Image, ImageDraw

    im = Image.new("RGBA", (size_px, size_px), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.ellipse((6, 6, size_px - 6, size_px - 6), outline=(220, 20, 20, 255), width=size_px // 28)
    c = size_px // 2
    d.regular_polygon((c, c, size_px // 7), 5, fill=(220, 20, 20, 255))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


# the fields of ``make_form_pdf``: name -> (rect in user space, kind, value)
FORM_FIELDS = {
    "name": ((72, 740, 372, 770), "text", "Zhang San Trading Co., Ltd."),
    "company_cn": ((72, 680, 372, 710), "text", "北京测试科技有限公司"),
    "notes": ((72, 560, 372, 650), "multiline", "Delivery within 30 days.\nPayment by transfer."),
    "agree": ((72, 500, 92, 520), "check", "/Yes"),
    "urgent": ((120, 500, 140, 520), "check", "/Yes"),
}


def make_form_pdf(
    *,
    need_appearances: bool = True,
    form_is_info: bool = False,
    fields: dict[str, tuple[tuple[int, int, int, int], str, str]] | None = None,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A one-page form filled in the way LibreOffice and viewers leave it: values in /V,
    ``/NeedAppearances true``, and appearances that are empty ("name"), missing ("company_cn",
    "notes", "urgent") or in the wrong state ("agree": /AS /Off while /V is /Yes).

    With ``form_is_info`` the /AcroForm dictionary is the document information dictionary
    (trailer /Info), as in one real-world file. ``fields`` replaces ``FORM_FIELDS`` (kinds "text",
    "multiline", "check", "combo", "password"); ``extra`` adds raw entries to a field's dictionary.
    """
    fields_spec = FORM_FIELDS if fields is None else fields
    extra = extra or {}
    objs: list[bytes] = []

    def add(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    def text(s: str) -> bytes:
        try:
            raw = s.encode("latin-1")
            return (
                b"("
                + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
                + b")"
            )
        except UnicodeEncodeError:
            return b"<feff" + s.encode("utf-16-be").hex().encode() + b">"

    catalog = add(b"")
    pages = add(b"")
    form = add(b"")
    helv = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    zadb = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /ZapfDingbats >>")
    page = add(b"")
    label = b"BT /F1 12 Tf 72 790 Td (Order form) Tj ET"
    content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(label), label))
    empty = add(
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 30] /Length 0 >>\nstream\n\nendstream"
    )
    tick = b"q 0 g BT /ZaDb 14 Tf 3 4 Td (4) Tj ET Q"
    on = add(
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 20 20] /Resources << /Font << /ZaDb %d 0 R "
        b">> >> /Length %d >>\nstream\n%s\nendstream" % (zadb, len(tick), tick)
    )
    off = add(
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 20 20] /Length 0 >>\nstream\n\nendstream"
    )
    fields = []
    for name, (rect, kind, value) in fields_spec.items():
        r = b"/Rect [%d %d %d %d]" % rect
        common = b"/Type /Annot /Subtype /Widget /F 4 /P %d 0 R /T %s %s" % (page, text(name), r)
        if kind == "text":
            body = b"/FT /Tx /V %s /DA (/Helv 0 Tf 0 0 0.5 rg)" % text(value)
            if name == "name":
                body += b" /AP << /N %d 0 R >>" % empty
        elif kind == "multiline":
            body = b"/FT /Tx /Ff 4096 /V %s /DA (/Helv 11 Tf 0 g)" % text(value)
        elif kind == "combo":
            body = b"/FT /Ch /Ff 131072 /Opt [(Option A) %s] /V %s /DA (/Helv 12 Tf 0 g)" % (
                text(value),
                text(value),
            )
        elif kind == "password":
            body = b"/FT /Tx /Ff 8192 /V %s /DA (/Helv 12 Tf 0 g)" % text(value)
        else:
            body = b"/FT /Btn /V %s /DA (/ZaDb 0 Tf 0 g) /MK << /CA (4) >>" % value.encode()
            if name == "agree":
                body += b" /AS /Off /AP << /N << /Yes %d 0 R /Off %d 0 R >> >>" % (on, off)
        more = extra.get(name, b"")
        if b"/DA" in more:  # the caller's /DA replaces the kind's
            body = re.sub(rb"/DA \([^)]*\)", b"", body)
        fields.append(add(b"<< %s %s %s >>" % (common, body, more)))
    refs = b" ".join(b"%d 0 R" % f for f in fields)
    form_body = (
        b"/Fields [%s] /DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv %d 0 R /ZaDb %d 0 R >> >>"
        % (
            refs,
            helv,
            zadb,
        )
    )
    if need_appearances:
        form_body += b" /NeedAppearances true"
    info_body = b"/Producer (LibreOffice 7.4) /Title (Order form)"
    if form_is_info:
        objs[form - 1] = b"<< %s %s >>" % (info_body, form_body)
        info = form
    else:
        objs[form - 1] = b"<< %s >>" % form_body
        info = add(b"<< %s >>" % info_body)
    objs[page - 1] = (
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R "
        b">> >> /Contents %d 0 R /Annots [%s] >>" % (pages, helv, content, refs)
    )
    objs[pages - 1] = b"<< /Type /Pages /Count 1 /Kids [%d 0 R] >>" % page
    objs[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R /AcroForm %d 0 R >>" % (pages, form)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off_ in offsets:
        out += b"%010d 00000 n \n" % off_
    out += (
        b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
        % (
            len(objs) + 1,
            catalog,
            info,
            b"00112233445566778899aabbccddeeff",
            b"00112233445566778899aabbccddeeff",
            xref,
        )
    )
    return bytes(out)
