"""One signing act: stamp the marks and sign once, as one incremental update.

The increment always has the same small shape, assembled from the modules named here:

* the seal drawings, their appearance forms, the signature field's widget (the act's first,
  main seal) and one locked /Stamp per further mark (``appearance``);
* the signature field added to the document's form (``acroform``);
* the signature dictionary with its /ByteRange and /Contents placeholders (``byterange``);
* the objects, cross-reference section and trailer laid out after the original bytes
  (``increment``), which are streamed — copied and hashed in one pass — to the output
  (``sinks``).

B-LT and B-LTA then add the DSS and a document timestamp in further increments through pyHanko
(``ltv``).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from pyhanko.pdf_utils import misc

from .acroform import add_field, existing_field_names, refuse_if_certified
from .annots import indirect_annotations
from .appearance import add_seal_resources, add_widgets, list_on_pages
from .byterange import fill_contents, patch_byte_range, signature_dictionary, timestamp_size
from .cms import profile_for
from .document import InputDocument
from .errors import MalformedPdfError, PdfSignError
from .increment import Increment, pdf_text, write_increment
from .layout import Placement, layout_marks
from .ltv import extend
from .marks import Mark
from .protocols import Signer, TimeStamper
from .provenance import encode as encode_provenance
from .sinks import open_src, original_feeder, write_signed

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from pyhanko_certvalidator import ValidationContext

__all__ = ["sign", "SignOptions", "SignResult", "LEVELS"]

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


@dataclass(frozen=True)
class SignOptions:
    """How to sign, apart from who signs and which marks go where.

    ``level`` is the PAdES baseline level; by default B-T when a ``timestamper`` is given, B-B
    otherwise. B-LT and B-LTA also need ``validation_context`` (revocation data is fetched or
    taken from it and embedded). ``field_name`` defaults to the first free ``SignatureN``;
    ``reason``, ``location`` and ``contact`` go into the signature dictionary; ``when`` (the
    signing time) defaults to now. ``provenance`` (a JSON-able mapping, at most
    ``provenance.MAX_BYTES`` as canonical JSON) is signed into the CMS as a signed attribute and
    read back by ``verify`` (see the README's "Provenance").
    """

    level: str | None = None
    timestamper: TimeStamper | None = None
    validation_context: ValidationContext | None = None
    field_name: str | None = None
    reason: str | None = None
    location: str | None = None
    contact: str | None = None
    when: dt.datetime | None = None
    provenance: Mapping[str, Any] | None = None


@dataclass
class SignResult:
    """What a signing act did (for the stamping record)."""

    field_name: str
    level: str
    signing_time: dt.datetime
    pages: list[int]  # 1-based pages that carry a mark
    mark_count: int
    certificate_serial: int
    signer_subject: str
    document_digest: str  # SHA-256 (hex) of the signed byte ranges
    output_sha256: str | None = None  # of the whole output file (for the stamping record)
    size: int = 0
    timestamped: bool = False
    timestamp_time: dt.datetime | None = None  # the TSA token's genTime (None without a TSA)
    kinds: list[str] = field(default_factory=list)


def _build_increment(
    doc: InputDocument,
    placements: list[Placement],
    *,
    field_name: str,
    when: dt.datetime,
    reserve: int,
    name: str | None,
    reason: str | None,
    location: str | None,
    contact: str | None,
    base_offset: int,
) -> tuple[bytearray, int, int]:
    """The increment bytes with a zeroed /Contents; returns (bytes, contents_start, contents_end)
    relative to the increment start. /ByteRange is already filled in."""
    size = int(doc.reader.trailer_view.get("/Size", 0))
    inc = Increment(size)
    # 1. appearance resources
    seal_refs, font_ref = add_seal_resources(inc, placements)
    # 2. signature value and field, its widget and the further marks' stamps
    sig_id = inc.alloc()
    field_id = inc.alloc()
    field_widget, widgets_by_page = add_widgets(
        inc,
        doc,
        placements,
        seal_refs=seal_refs,
        font_ref=font_ref,
        field_name=field_name,
        field_id=field_id,
    )
    inc.put(
        field_id,
        b"<< /FT /Sig /T %s /V %d 0 R%s >>" % (pdf_text(field_name), sig_id, field_widget),
    )
    # 3. pages: list the new widgets in /Annots (the first act also makes inline annotation
    #    dictionaries indirect, so later acts keep this signature valid: see annots)
    list_on_pages(inc, doc, widgets_by_page, indirect_annotations(inc, doc))
    # 4. the form
    add_field(inc, doc, field_id)
    # 5. the signature dictionary
    inc.put(
        sig_id,
        signature_dictionary(
            when=when, reserve=reserve, name=name, reason=reason, location=location, contact=contact
        ),
    )
    # 6. lay out the objects and the cross-reference section
    buf, positions = write_increment(doc, inc, base_offset)
    # 7. patch /ByteRange now that the total length is known
    c_start, c_end = patch_byte_range(buf, positions[sig_id], reserve, base_offset)
    return buf, c_start, c_end


def _normalise_level(level: str | None, timestamper: TimeStamper | None) -> str:
    if level is None:
        return "B-T" if timestamper is not None else "B-B"
    lv = level.upper().replace("PADES-", "").replace("_", "-")
    if not lv.startswith("B-"):
        lv = "B-" + lv
    if lv not in LEVELS:
        raise PdfSignError(
            f"unknown PAdES level {level!r} (use one of {', '.join(LEVELS)})",
            code="unknown_level",
            level=level,
            levels=", ".join(LEVELS),
        )
    if lv != "B-B" and timestamper is None:
        raise PdfSignError(
            f"PAdES {lv} needs a timestamp authority (TSA)", code="level_needs_tsa", level=lv
        )
    return lv


def sign(
    src: str | os.PathLike[str] | bytes | BinaryIO,
    dst: str | os.PathLike[str] | BinaryIO,
    *,
    signer: Signer,
    marks: Sequence[Mark] = (),
    options: SignOptions | None = None,
) -> SignResult:
    """Stamp ``marks`` onto ``src`` and sign it once with ``signer`` (a pyHanko ``Signer``).

    ``options`` (:class:`SignOptions`) sets the PAdES level, timestamp authority and the
    signature's field name and details. The output is written to a temporary file next to
    ``dst`` and moved into place only on success, so a failure never leaves a partial file behind.
    Raises ``PdfSignError`` (a ``ValueError``) with a message meant for the user.
    """
    opts = options or SignOptions()
    timestamper = opts.timestamper
    validation_context = opts.validation_context
    field_name = opts.field_name
    lv = _normalise_level(opts.level, timestamper)
    if lv in ("B-LT", "B-LTA") and validation_context is None:
        raise PdfSignError(
            f"PAdES {lv} needs a validation context to collect revocation data",
            code="level_needs_validation_context",
            level=lv,
        )
    when = opts.when or dt.datetime.now(dt.UTC)
    # refused (too large, not JSON) before anything is read or written
    provenance_der = encode_provenance(opts.provenance) if opts.provenance is not None else None
    profile = profile_for(signer)
    stream, opened, data = open_src(src)
    try:
        doc = InputDocument(stream)
        existing = existing_field_names(doc)
        if field_name is None:
            n = len(existing) + 1
            while f"Signature{n}" in existing:
                n += 1
            field_name = f"Signature{n}"
        elif "." in field_name or not field_name.strip():
            raise PdfSignError(
                "a signature field name must be non-empty and contain no '.'",
                code="bad_field_name",
                field_name=field_name,
            )
        elif field_name in existing:
            raise PdfSignError(
                f"the document already has a field named {field_name!r}",
                code="field_name_taken",
                field_name=field_name,
            )
        refuse_if_certified(doc)
        placements = layout_marks(
            doc,
            list(marks),
            when,
            keyword_source=data
            if data is not None
            else (src if not hasattr(src, "read") else stream),
        )
        stream.seek(0, os.SEEK_END)
        src_size = stream.tell()
        stream.seek(src_size - 1)
        prefix = b"" if stream.read(1) in (b"\n", b"\r") else b"\n"
        reserve = profile.base_size + 64
        if provenance_der is not None:
            # its DER, plus the bytes the enclosing lengths may grow by
            reserve += len(provenance_der) + 8
        if timestamper is not None:
            reserve += timestamp_size(timestamper) + 64
        subject = profile.cert.subject.human_friendly
        try:
            buf, c_start, c_end = _build_increment(
                doc,
                placements,
                field_name=field_name,
                when=when,
                reserve=reserve,
                name=_cn(profile.cert),
                reason=opts.reason,
                location=opts.location,
                contact=opts.contact,
                base_offset=src_size + len(prefix),
            )
        except PdfSignError:
            raise
        except (misc.PdfError, KeyError, TypeError, ValueError, AttributeError) as exc:
            # a broken form, page or trailer object that only shows up when we update it
            raise MalformedPdfError(
                f"a part of this PDF that signing must update is broken ({exc})",
                code="broken_object",
                detail=str(exc),
            ) from exc
        increment = bytes(prefix) + bytes(buf)
        c_start += len(prefix)
        c_end += len(prefix)
        digests: list[str] = []
        gen_times: list[dt.datetime | None] = []
        ltv = None
        if lv in ("B-LT", "B-LTA") and timestamper is not None and validation_context is not None:
            # always true for these levels (checked above); spelled out for the type checker
            ltv = functools.partial(
                extend,
                level=lv,
                field_name=field_name,
                timestamper=timestamper,
                validation_context=validation_context,
            )

        def finish(h: Any) -> bytes:
            """Sign the digest in ``h`` (original bytes already fed) and return the increment."""
            h.update(memoryview(increment)[:c_start])
            h.update(memoryview(increment)[c_end:])
            digest = h.digest()
            der, gen_time = profile.sign_digest_timed(
                digest, timestamper if lv != "B-B" else None, provenance_der
            )
            digests.append(digest.hex())
            gen_times.append(gen_time)
            return fill_contents(increment, c_start, der, reserve)

        size, output_sha256 = write_signed(
            dst,
            feed_original=original_feeder(stream, data),
            finish=finish,
            src_size=src_size,
            extend=ltv,
        )
        return SignResult(
            field_name=field_name,
            level=lv,
            signing_time=when,
            pages=sorted({p.page.index + 1 for p in placements}),
            mark_count=len(placements),
            certificate_serial=profile.cert.serial_number,
            signer_subject=subject,
            document_digest=digests[-1],
            timestamped=timestamper is not None,
            timestamp_time=gen_times[-1] if gen_times else None,
            kinds=[p.kind for p in placements],
            size=size,
            output_sha256=output_sha256,
        )
    finally:
        if opened:
            stream.close()


def _cn(cert: asn1_x509.Certificate) -> str | None:
    try:
        return cert.subject.native.get("common_name")
    except Exception:
        return None
