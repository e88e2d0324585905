"""One signing act: stamp the marks and sign once, as one incremental update.

The increment is written by hand rather than through pyHanko's generic writer because it is
small and always has the same shape, and because doing so lets us stream the original bytes
(copy and hash in one pass) instead of holding them in memory:

* one form XObject per seal drawing, shared by every mark of the act;
* one appearance form per distinct placement (riding strips clip the shared drawing);
* one signature field that is also the widget showing the act's first (main) seal — poppler
  only recognises signature fields whose dictionary is the widget;
* one locked /Stamp annotation (print, locked, locked contents) per further mark, named
  ``chop-seal:<field>:<n>`` so that ``policy.CHOP_DIFF_POLICY`` can tell it from anything else;
  page content streams are never touched, so earlier signatures stay intact;
* rewritten page dictionaries (or /Annots arrays) listing the new annotations, and the form;
* the signature dictionary, a cross-reference section (table or stream, like the file's own).

B-LT and B-LTA then add the DSS and a document timestamp in further increments through pyHanko.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import secrets
import shutil
import tempfile
import weakref
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pyhanko.pdf_utils import generic, misc

from chop.asyncrun import run_sync

from .cms import profile_for
from .document import InputDocument, PageInfo
from .errors import MalformedPdfError, PdfSignError
from .layout import Placement, _fmt, layout_marks
from .marks import Mark, SealAppearance
from .policy import LOCKED, LOCKED_CONTENTS, seal_annotation_name

__all__ = ["sign", "SignResult", "LEVELS"]

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
_CHUNK = 1 << 20
_BYTERANGE_WIDTH = 64


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
    kinds: list[str] = field(default_factory=list)


def _ser(obj: generic.PdfObject) -> bytes:
    buf = io.BytesIO()
    obj.write_to_stream(buf, None)
    return buf.getvalue()


def _pdf_date(when: dt.datetime) -> bytes:
    when = when.astimezone(dt.UTC)
    return when.strftime("D:%Y%m%d%H%M%S+00'00'").encode()


def _text(s: str) -> bytes:
    return _ser(generic.TextStringObject(s))


def _rect(r: Sequence[float]) -> bytes:
    return b"[" + b" ".join(_fmt(v) for v in r) + b"]"


class _Increment:
    """Accumulates object bodies for the update and lays them out with their offsets."""

    def __init__(self, first_free: int) -> None:
        self.next_id = first_free
        self.objects: list[tuple[int, int, bytes]] = []

    def alloc(self) -> int:
        n = self.next_id
        self.next_id += 1
        return n

    def put(self, idnum: int, body: bytes, gen: int = 0) -> None:
        self.objects.append((idnum, gen, body))

    def add(self, body: bytes) -> int:
        n = self.alloc()
        self.put(n, body)
        return n


def _stream(dict_body: bytes, data: bytes, compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data, 6)
        dict_body += b" /Filter /FlateDecode"
    return b"<<%s /Length %d>>\nstream\n%s\nendstream" % (dict_body, len(data), data)


def _seal_xobject(inc: _Increment, seal: SealAppearance) -> int:
    """The seal drawing as one form XObject with BBox = its native size in points."""
    w, h = seal.width_pt, seal.height_pt
    res = []
    if seal.png is not None:
        pw, ph, rgb, alpha = seal.image_data()
        smask = b""
        if alpha is not None:
            sm = inc.add(
                _stream(
                    b" /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
                    b" /BitsPerComponent 8 /Filter /FlateDecode" % (pw, ph),
                    alpha,
                )
            )
            smask = b" /SMask %d 0 R" % sm
        im = inc.add(
            _stream(
                b" /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB"
                b" /BitsPerComponent 8 /Filter /FlateDecode%s" % (pw, ph, smask),
                rgb,
            )
        )
        res.append(b"/XObject << /Im0 %d 0 R >>" % im)
        data = b"q %s 0 0 %s 0 0 cm /Im0 Do Q" % (_fmt(w), _fmt(h))
        compressed = False
    else:
        if seal._content_cache is None:
            seal._content_cache = zlib.compress(seal.content or b"", 6)
        data = seal._content_cache
        compressed = True
    if seal.opacity < 1.0 or (seal.content is not None and b"/GS0" in seal.content):
        op = _fmt(max(0.0, min(1.0, seal.opacity)))
        res.append(b"/ExtGState << /GS0 << /Type /ExtGState /ca %s /CA %s >> >>" % (op, op))
    body = b" /Type /XObject /Subtype /Form /BBox [0 0 %s %s] /Resources << %s >>" % (
        _fmt(w),
        _fmt(h),
        b" ".join(res),
    )
    if compressed:
        body += b" /Filter /FlateDecode"
        return inc.add(b"<<%s /Length %d>>\nstream\n%s\nendstream" % (body, len(data), data))
    return inc.add(_stream(body, data))


def _existing_field_names(doc: InputDocument) -> set[str]:
    names: set[str] = set()
    try:
        fields = doc.root["/AcroForm"]["/Fields"]
    except (KeyError, TypeError):
        return names
    for f in fields:
        try:
            t = f.get_object().get("/T")
            if t is not None:
                names.add(str(t))
        except Exception:
            continue
    return names


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
    reader = doc.reader
    trailer = reader.trailer_view
    size = int(trailer.get("/Size", 0))
    inc = _Increment(size)

    # 1. appearance resources
    seal_refs: dict[int, int] = {}
    font_ref: int | None = None
    for p in placements:
        if id(p.seal) not in seal_refs:
            seal_refs[id(p.seal)] = _seal_xobject(inc, p.seal)
        if p.uses_font and font_ref is None:
            font_ref = inc.add(
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            )

    # 2. signature value and field
    sig_id = inc.alloc()
    field_id = inc.alloc()

    ap_refs: dict[tuple, int] = {}
    widgets_by_page: dict[int, list[int]] = {}
    field_widget = b""
    for i, p in enumerate(placements):
        matrix = p.matrix
        key = (id(p.seal), p.ops, round(p.width, 4), round(p.height, 4), tuple(matrix or ()))
        ap = ap_refs.get(key)
        if ap is None:
            res = b"/XObject << /S0 %d 0 R >>" % seal_refs[id(p.seal)]
            if p.uses_font:
                res += b" /Font << /F0 %d 0 R >>" % font_ref
            mtx = b" /Matrix " + _rect(matrix) if matrix else b""
            ap = inc.add(
                _stream(
                    b" /Type /XObject /Subtype /Form /BBox [0 0 %s %s]%s /Resources << %s >>"
                    % (_fmt(p.width), _fmt(p.height), mtx, res),
                    p.ops,
                )
            )
            ap_refs[key] = ap
        page_ref = b"/P %d %d R" % (p.page.ref.idnum, p.page.ref.generation)
        if i == 0:
            # the signature field's own widget carries the first (main) seal: poppler and
            # other readers only show signature fields whose dictionary is also the widget
            field_widget = (
                b" /Type /Annot /Subtype /Widget %s /Rect %s /F 132 /AP << /N %d 0 R >>"
                % (
                    page_ref,
                    _rect(p.rect),
                    ap,
                )
            )
            wid = field_id
        else:
            # further marks are locked stamps named after the field (see policy.py)
            wid = inc.add(
                b"<< /Type /Annot /Subtype /Stamp %s /Rect %s /F %d /NM %s /AP << /N %d 0 R >> >>"
                % (
                    page_ref,
                    _rect(p.rect),
                    4 | LOCKED | LOCKED_CONTENTS,
                    _text(seal_annotation_name(field_name, i)),
                    ap,
                )
            )
        widgets_by_page.setdefault(p.page.index, []).append(wid)

    if not placements:
        # invisible signature: a zero-size widget on the first page
        first = doc.pages[0].ref
        field_widget = b" /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P %d %d R" % (
            first.idnum,
            first.generation,
        )
        widgets_by_page.setdefault(0, []).append(field_id)
    inc.put(
        field_id,
        b"<< /FT /Sig /T %s /V %d 0 R%s >>" % (_text(field_name), sig_id, field_widget),
    )

    # 3. pages: list the new widgets in /Annots
    annots_updates: dict[tuple[int, int], list[int]] = {}
    for page_index, wids in widgets_by_page.items():
        page: PageInfo = doc.pages[page_index]
        new_refs = [generic.IndirectObject(w, 0, None) for w in wids]
        raw = page.obj.raw_get("/Annots") if "/Annots" in page.obj else None
        if isinstance(raw, generic.IndirectObject):
            key = (raw.idnum, raw.generation)
            annots_updates.setdefault(key, []).extend(wids)
            continue
        new_page = generic.DictionaryObject(page.obj)
        old = list(raw) if isinstance(raw, generic.ArrayObject) else []
        new_page[generic.NameObject("/Annots")] = generic.ArrayObject(old + new_refs)
        inc.put(page.ref.idnum, _ser(new_page), page.ref.generation)
    for (idnum, gen), wids in annots_updates.items():
        arr = generic.IndirectObject(idnum, gen, reader).get_object()
        items = list(arr) if isinstance(arr, generic.ArrayObject) else []
        items += [generic.IndirectObject(w, 0, None) for w in wids]
        inc.put(idnum, _ser(generic.ArrayObject(items)), gen)

    # 4. the form
    field_ref = generic.IndirectObject(field_id, 0, None)
    root = doc.root
    root_ref = doc.root_ref
    acro_raw = root.raw_get("/AcroForm") if "/AcroForm" in root else None
    sigflags = generic.NumberObject(3)

    def updated_form(form: generic.DictionaryObject) -> generic.DictionaryObject | None:
        """The form dict with the new field, or None if only an indirect /Fields array changed."""
        form = generic.DictionaryObject(form)
        changed = False
        fields_raw = form.raw_get("/Fields") if "/Fields" in form else None
        if isinstance(fields_raw, generic.IndirectObject):
            arr = fields_raw.get_object()
            items = list(arr) if isinstance(arr, generic.ArrayObject) else []
            inc.put(
                fields_raw.idnum,
                _ser(generic.ArrayObject([*items, field_ref])),
                fields_raw.generation,
            )
        else:
            items = list(fields_raw) if isinstance(fields_raw, generic.ArrayObject) else []
            form[generic.NameObject("/Fields")] = generic.ArrayObject([*items, field_ref])
            changed = True
        if form.get("/SigFlags") != 3:
            form[generic.NameObject("/SigFlags")] = sigflags
            changed = True
        if "/NeedAppearances" in form:
            del form["/NeedAppearances"]
            changed = True
        return form if changed else None

    if isinstance(acro_raw, generic.IndirectObject) and not isinstance(
        acro_raw.get_object(), generic.DictionaryObject
    ):
        acro_raw = None  # dangling or broken reference: the catalog gets a fresh form
    if isinstance(acro_raw, generic.IndirectObject):
        form = acro_raw.get_object()
        new_form = updated_form(form)
        if new_form is not None:
            inc.put(acro_raw.idnum, _ser(new_form), acro_raw.generation)
    else:
        if isinstance(acro_raw, generic.DictionaryObject):
            new_form = updated_form(acro_raw) or generic.DictionaryObject(acro_raw)
        else:
            new_form = generic.DictionaryObject(
                {
                    generic.NameObject("/Fields"): generic.ArrayObject([field_ref]),
                    generic.NameObject("/SigFlags"): sigflags,
                }
            )
        form_id = inc.add(_ser(new_form))
        new_root = generic.DictionaryObject(root)
        new_root[generic.NameObject("/AcroForm")] = generic.IndirectObject(form_id, 0, None)
        inc.put(root_ref.idnum, _ser(new_root), root_ref.generation)

    # 5. the signature dictionary, /Contents last so its position is easy to find
    parts = [
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached",
        b" /M " + _ser(generic.TextStringObject(_pdf_date(when).decode())),
    ]
    for key, val in (
        (b"/Name", name),
        (b"/Reason", reason),
        (b"/Location", location),
        (b"/ContactInfo", contact),
    ):
        if val:
            parts.append(b" " + key + b" " + _text(val))
    parts.append(b" /ByteRange " + b" " * _BYTERANGE_WIDTH)
    parts.append(b" /Contents <" + b"0" * (2 * reserve) + b"> >>")
    inc.put(sig_id, b"".join(parts))

    # 6. lay out the objects and the cross-reference section
    buf = bytearray()
    offsets: dict[int, tuple[int, int]] = {}
    sig_pos = -1
    for idnum, gen, body in inc.objects:
        offsets[idnum] = (base_offset + len(buf), gen)
        if idnum == sig_id:
            sig_pos = len(buf)
        buf += b"%d %d obj\n" % (idnum, gen)
        buf += body
        buf += b"\nendobj\n"

    prev = reader.last_startxref
    trailer_items = [b"/Root %d %d R" % (root_ref.idnum, root_ref.generation)]
    if "/Info" in trailer:
        info = trailer.raw_get("/Info")
        if isinstance(info, generic.IndirectObject):
            trailer_items.append(b"/Info %d %d R" % (info.idnum, info.generation))
    old_id = trailer.get("/ID")
    first_id = None
    try:
        first_id = bytes(old_id[0].original_bytes) if old_id else None
    except Exception:
        first_id = None
    new_id = secrets.token_bytes(16)
    first_id = first_id or new_id
    trailer_items.append(b"/ID [<%s> <%s>]" % (first_id.hex().encode(), new_id.hex().encode()))
    trailer_items.append(b"/Prev %d" % prev)

    uses_stream = _last_section_is_stream(doc)
    xref_pos = base_offset + len(buf)
    if uses_stream:
        xref_id = inc.alloc()
        offsets[xref_id] = (xref_pos, 0)
        new_size = max(size, inc.next_id)
        ids = sorted(offsets)
        width = max(4, (xref_pos.bit_length() + 7) // 8)
        rows = bytearray()
        for i in ids:
            off, gen = offsets[i]
            rows += b"\x01" + off.to_bytes(width, "big") + gen.to_bytes(2, "big")
        index = b" ".join(b"%d %d" % run for run in _runs(ids))
        body = _stream(
            b" /Type /XRef /Size %d /W [1 %d 2] /Index [%s] %s"
            % (new_size, width, index, b" ".join(trailer_items)),
            bytes(rows),
            compress=True,
        )
        buf += b"%d 0 obj\n%s\nendobj\n" % (xref_id, body)
    else:
        new_size = max(size, inc.next_id)
        ids = sorted(offsets)
        buf += b"xref\n"
        for start, count in _runs(ids):
            buf += b"%d %d\n" % (start, count)
            for i in range(start, start + count):
                off, gen = offsets[i]
                buf += b"%010d %05d n\r\n" % (off, gen)
        buf += b"trailer\n<< /Size %d %s >>\n" % (new_size, b" ".join(trailer_items))
    buf += b"startxref\n%d\n%%%%EOF\n" % xref_pos

    # 7. patch /ByteRange now that the total length is known
    br_marker = b"/ByteRange "
    br_pos = buf.index(br_marker, sig_pos) + len(br_marker)
    c_start = buf.index(b"/Contents <", br_pos) + len(b"/Contents ")
    c_end = c_start + 2 * reserve + 2
    total = base_offset + len(buf)
    a = base_offset + c_start
    b = base_offset + c_end
    br = b"[0 %d %d %d]" % (a, b, total - b)
    buf[br_pos : br_pos + _BYTERANGE_WIDTH] = br.ljust(_BYTERANGE_WIDTH)
    return buf, c_start, c_end


def _runs(ids: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i in ids:
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((i, 1))
    return runs


def _last_section_is_stream(doc: InputDocument) -> bool:
    stream = doc.stream
    pos = stream.tell()
    try:
        stream.seek(doc.reader.last_startxref)
        head = stream.read(16).lstrip()
    finally:
        stream.seek(pos)
    return not head.startswith(b"xref")


def _open_src(src) -> tuple[BinaryIO, bool, bytes | None]:
    """(seekable binary stream, whether we opened it, the bytes when given in memory)."""
    if isinstance(src, (str, os.PathLike)):
        try:
            return open(src, "rb"), True, None
        except OSError as exc:
            raise PdfSignError(f"cannot open {os.fspath(src)}: {exc.strerror}") from exc
    if isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
        return io.BytesIO(data), True, data
    if isinstance(src, io.BytesIO):
        src.seek(0)
        return src, False, src.getbuffer().tobytes()
    seekable = getattr(src, "seekable", None)
    if seekable is not None and not seekable():
        # an upload or pipe: spool it (to disk beyond 64 MB) so it can be read twice
        spool = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # noqa: SIM115
        shutil.copyfileobj(src, spool, _CHUNK)
        spool.seek(0)
        return spool, True, None
    src.seek(0)
    return src, False, None


def _normalise_level(level: str | None, timestamper) -> str:
    if level is None:
        return "B-T" if timestamper is not None else "B-B"
    lv = level.upper().replace("PADES-", "").replace("_", "-")
    if not lv.startswith("B-"):
        lv = "B-" + lv
    if lv not in LEVELS:
        raise PdfSignError(f"unknown PAdES level {level!r} (use one of {', '.join(LEVELS)})")
    if lv != "B-B" and timestamper is None:
        raise PdfSignError(f"PAdES {lv} needs a timestamp authority (TSA)")
    return lv


def sign(
    src: str | os.PathLike | bytes | BinaryIO,
    dst: str | os.PathLike | BinaryIO,
    *,
    signer: Any,
    marks: Sequence[Mark] = (),
    level: str | None = None,
    timestamper: Any = None,
    validation_context: Any = None,
    field_name: str | None = None,
    reason: str | None = None,
    location: str | None = None,
    contact: str | None = None,
    when: dt.datetime | None = None,
) -> SignResult:
    """Stamp ``marks`` onto ``src`` and sign it once with ``signer`` (a pyHanko ``Signer``).

    ``level`` is the PAdES baseline level; by default B-T when a ``timestamper`` is given, B-B
    otherwise. B-LT and B-LTA also need ``validation_context`` (revocation data is fetched or
    taken from it and embedded). The output is written to a temporary file next to ``dst`` and
    moved into place only on success, so a failure never leaves a partial file behind.
    Raises ``PdfSignError`` (a ``ValueError``) with a message meant for the user.
    """
    lv = _normalise_level(level, timestamper)
    if lv in ("B-LT", "B-LTA") and validation_context is None:
        raise PdfSignError(f"PAdES {lv} needs a validation context to collect revocation data")
    when = when or dt.datetime.now(dt.UTC)
    profile = profile_for(signer)
    stream, opened, data = _open_src(src)
    try:
        doc = InputDocument(stream)
        existing = _existing_field_names(doc)
        if field_name is None:
            n = len(existing) + 1
            while f"Signature{n}" in existing:
                n += 1
            field_name = f"Signature{n}"
        elif "." in field_name or not field_name.strip():
            raise PdfSignError("a signature field name must be non-empty and contain no '.'")
        elif field_name in existing:
            raise PdfSignError(f"the document already has a field named {field_name!r}")
        mdp = _docmdp_permission(doc)
        if mdp == 1:
            raise PdfSignError(
                "this document is certified with no changes allowed; it cannot be signed again"
            )
        if mdp is not None:
            # a certification signature only permits signing fields that already exist; Chop
            # adds its own field, which every validator would report as a forbidden change
            raise PdfSignError(
                "this document is certified by its author (DocMDP) and only allows signing "
                "the signature fields it already has; Chop cannot add a seal to it"
            )
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
        if timestamper is not None:
            reserve += _timestamp_size(timestamper) + 64
        subject = profile.cert.subject.human_friendly
        try:
            buf, c_start, c_end = _build_increment(
                doc,
                placements,
                field_name=field_name,
                when=when,
                reserve=reserve,
                name=_cn(profile.cert),
                reason=reason,
                location=location,
                contact=contact,
                base_offset=src_size + len(prefix),
            )
        except PdfSignError:
            raise
        except (misc.PdfError, KeyError, TypeError, ValueError, AttributeError) as exc:
            # a broken form, page or trailer object that only shows up when we update it
            raise MalformedPdfError(
                f"a part of this PDF that signing must update is broken ({exc})"
            ) from exc
        increment = bytes(prefix) + bytes(buf)
        c_start += len(prefix)
        c_end += len(prefix)

        result_kwargs = dict(
            field_name=field_name,
            level=lv,
            signing_time=when,
            pages=sorted({p.page.index + 1 for p in placements}),
            mark_count=len(placements),
            certificate_serial=profile.cert.serial_number,
            signer_subject=subject,
            timestamped=timestamper is not None,
            kinds=[p.kind for p in placements],
        )

        def finish(h: Any) -> bytes:
            """Sign the digest in ``h`` (original bytes already fed) and return the increment."""
            h.update(memoryview(increment)[:c_start])
            h.update(memoryview(increment)[c_end:])
            digest = h.digest()
            der = profile.sign_digest(digest, timestamper if lv != "B-B" else None)
            if len(der) > reserve:
                raise PdfSignError("the signature is larger than the space reserved for it")
            hexed = der.hex().encode()
            out = bytearray(increment)
            out[c_start + 1 : c_start + 1 + len(hexed)] = hexed
            result_kwargs["document_digest"] = digest.hex()
            return bytes(out)

        def feed_original(*sinks: Any) -> None:
            """Copy the original bytes to every sink (hashers, files) in one streaming pass."""
            if data is not None:
                for sink in sinks:
                    sink(data)
                return
            stream.seek(0)
            while chunk := stream.read(_CHUNK):
                for sink in sinks:
                    sink(chunk)

        if isinstance(dst, (str, os.PathLike)):
            dst_path = Path(dst)
            try:
                fd, tmp_name = tempfile.mkstemp(
                    prefix=f".{dst_path.name}.", suffix=".part", dir=dst_path.parent or "."
                )
            except OSError as exc:
                raise PdfSignError(f"cannot write {dst_path}: {exc.strerror}") from exc
            try:
                with os.fdopen(fd, "wb") as out:
                    h, whole = hashlib.sha256(), hashlib.sha256()
                    feed_original(h.update, whole.update, out.write)
                    final = finish(h)
                    out.write(final)
                    whole.update(final)
                total = src_size + len(final)
                if lv in ("B-LT", "B-LTA"):
                    _extend(tmp_name, lv, field_name, timestamper, validation_context)
                    total = os.path.getsize(tmp_name)
                    whole = _file_sha256(tmp_name)
                os.replace(tmp_name, dst_path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp_name)
                raise
            return SignResult(**result_kwargs, size=total, output_sha256=whole.hexdigest())

        # a binary stream: hash first, write only once the signature exists
        h, whole = hashlib.sha256(), hashlib.sha256()
        feed_original(h.update, whole.update)
        final = finish(h)
        whole.update(final)
        if lv in ("B-LT", "B-LTA"):
            tmp = io.BytesIO()
            feed_original(tmp.write)
            tmp.write(final)
            _extend(tmp, lv, field_name, timestamper, validation_context)
            value = tmp.getvalue()
            dst.write(value)
            return SignResult(
                **result_kwargs, size=len(value), output_sha256=hashlib.sha256(value).hexdigest()
            )
        feed_original(dst.write)
        dst.write(final)
        return SignResult(
            **result_kwargs, size=src_size + len(final), output_sha256=whole.hexdigest()
        )
    finally:
        if opened:
            stream.close()


def _docmdp_permission(doc: InputDocument) -> int | None:
    """The /P of a certification signature's DocMDP transform, if the document has one."""
    try:
        sig = doc.root["/Perms"]["/DocMDP"]
        for ref in sig.get("/Reference", []):
            ref = ref.get_object()
            if ref.get("/TransformMethod") == "/DocMDP":
                return int(ref.get("/TransformParams", {}).get("/P", 2))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return None


def _cn(cert) -> str | None:
    try:
        return cert.subject.native.get("common_name")
    except Exception:
        return None


_TS_SIZES: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def _file_sha256(path: str) -> Any:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h


def _timestamp_size(timestamper) -> int:
    """Size of one token from this TSA (measured once with a dummy request, then cached)."""
    try:
        cached = _TS_SIZES.get(timestamper)
    except TypeError:
        cached = None
    if cached is None:
        try:
            token = run_sync(timestamper.async_dummy_response("sha256"))
        except Exception as exc:
            raise PdfSignError(f"the timestamp authority did not answer ({exc})") from exc
        cached = len(token.dump()) + 512
        with contextlib.suppress(TypeError):
            _TS_SIZES[timestamper] = cached
    return cached


def _extend(target, level: str, field_name: str, timestamper, validation_context) -> None:
    """B-LT: add the DSS for the new signature; B-LTA: then a document timestamp."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
    from pyhanko.sign.validation import add_validation_info

    fh = open(target, "r+b") if isinstance(target, str) else target  # noqa: SIM115
    try:
        fh.seek(0)
        reader = PdfFileReader(fh, strict=False)
        sig = next(s for s in reader.embedded_signatures if s.field_name == field_name)
        try:
            add_validation_info(sig, validation_context, in_place=True)
        except Exception as exc:
            raise PdfSignError(f"could not collect validation data for B-LT ({exc})") from exc
        if level == "B-LTA":
            fh.seek(0)
            w = IncrementalPdfFileWriter(fh, strict=False)
            try:
                PdfTimeStamper(timestamper).timestamp_pdf(
                    w, "sha256", validation_context, in_place=True
                )
            except Exception as exc:
                raise PdfSignError(f"could not add the archive timestamp ({exc})") from exc
    finally:
        if isinstance(target, str):
            fh.close()
