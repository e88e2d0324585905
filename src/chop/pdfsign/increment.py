"""The increment writer: object bodies, their layout with offsets, the cross-reference section.

The increment is written by hand rather than through pyHanko's generic writer because it is
small and always has the same shape. Its cross-reference section is a table or a stream, like the
file's own last section, so that readers which only understand one kind keep working; the trailer
keeps /Root, /Info and the first half of /ID and points /Prev at the previous section.
"""

from __future__ import annotations

import io
import re
import secrets
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from pyhanko.pdf_utils import generic

from .document import InputDocument
from .errors import MalformedPdfError
from .layout import _fmt

__all__ = ["Increment", "serialize", "pdf_text", "pdf_rect", "stream_object", "write_increment"]


def _pyhanko_bytes(obj: generic.PdfObject) -> bytes:
    buf = io.BytesIO()
    obj.write_to_stream(buf, None)
    return buf.getvalue()


# a name pyHanko writes as it is: printable ASCII without '#' and delimiters
_PLAIN_NAME = re.compile(r"/(?:(?![#()<>\[\]{}/%])[\x21-\x7e])*")


def serialize(obj: generic.PdfObject) -> bytes:
    """``obj`` as pyHanko's ``write_to_stream`` writes it, byte for byte.

    Dictionaries, arrays, names, numbers, references and plain ASCII text — all a page
    dictionary usually holds, and a seal on every page rewrites every page — are written here
    without pyHanko's per-byte Python loops; anything else (byte strings, streams, other text)
    by pyHanko itself.
    """
    write = _WRITERS.get(type(obj))
    return _pyhanko_bytes(obj) if write is None else write(obj)


def _dict(obj: generic.DictionaryObject) -> bytes:
    return (
        b"<<\n"
        + b"".join([serialize(k) + b" " + serialize(v) + b"\n" for k, v in obj.items()])
        + b">>"
    )


def _array(obj: generic.ArrayObject) -> bytes:
    return b"[" + b"".join([b" " + serialize(v) for v in obj]) + b" ]"


_name_bytes: dict[str, bytes] = {}


def _name(obj: generic.NameObject) -> bytes:
    out = _name_bytes.get(obj)
    if out is None:
        out = obj.encode("ascii") if _PLAIN_NAME.fullmatch(obj) else _pyhanko_bytes(obj)
        if len(_name_bytes) < 4096:
            _name_bytes[obj] = out
    return out


def _ref(obj: generic.IndirectObject) -> bytes:
    ref = obj.reference
    return b"%d %d R" % (ref.idnum, ref.generation)


def _number(obj: generic.NumberObject) -> bytes:
    return b"%d" % obj


# pyHanko writes a text string's PDFDocEncoding bytes as a literal, letters, digits and spaces
# as they are and every other byte as an octal escape; for printable ASCII (where
# PDFDocEncoding is ASCII) that is this table
_PRINTABLE = re.compile(r"[\x20-\x7e]*")
_TEXT_BYTE = [
    bytes([c]) if bytes([c]).isalnum() or c == 0x20 else b"\\%03o" % c for c in range(128)
]


def _text(obj: generic.TextStringObject) -> bytes:
    if obj.force_output_encoding is None and _PRINTABLE.fullmatch(obj):
        return b"(" + b"".join([_TEXT_BYTE[c] for c in obj.encode("ascii")]) + b")"
    return _pyhanko_bytes(obj)


_WRITERS: dict[type, Callable[[Any], bytes]] = {
    generic.DictionaryObject: _dict,
    generic.ArrayObject: _array,
    generic.NameObject: _name,
    generic.IndirectObject: _ref,
    generic.NumberObject: _number,
    generic.TextStringObject: _text,
}


def pdf_text(s: str) -> bytes:
    return serialize(generic.TextStringObject(s))


def pdf_rect(r: Sequence[float]) -> bytes:
    return b"[" + b" ".join(_fmt(v) for v in r) + b"]"


class Increment:
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


def stream_object(dict_body: bytes, data: bytes, compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data, 6)
        dict_body += b" /Filter /FlateDecode"
    return b"<<%s /Length %d>>\nstream\n%s\nendstream" % (dict_body, len(data), data)


def write_increment(
    doc: InputDocument, inc: Increment, base_offset: int
) -> tuple[bytearray, dict[int, int]]:
    """The objects of ``inc`` laid out after ``base_offset`` bytes, then the cross-reference
    section, trailer and ``startxref``; also each object's position in the returned bytes."""
    reader = doc.reader
    trailer = reader.trailer_view
    size = int(trailer.get("/Size", 0))
    root_ref = doc.root_ref
    buf = bytearray()
    offsets: dict[int, tuple[int, int]] = {}
    positions: dict[int, int] = {}
    for idnum, gen, body in inc.objects:
        offsets[idnum] = (base_offset + len(buf), gen)
        positions[idnum] = len(buf)
        buf += b"%d %d obj\n" % (idnum, gen)
        buf += body
        buf += b"\nendobj\n"

    prev = reader.last_startxref
    if prev is None:
        raise MalformedPdfError("this PDF has no cross-reference section", code="no_xref")
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

    uses_stream = last_section_is_stream(doc, prev)
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
        index = b" ".join(b"%d %d" % run for run in xref_runs(ids))
        body = stream_object(
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
        for start, count in xref_runs(ids):
            buf += b"%d %d\n" % (start, count)
            for i in range(start, start + count):
                off, gen = offsets[i]
                buf += b"%010d %05d n\r\n" % (off, gen)
        buf += b"trailer\n<< /Size %d %s >>\n" % (new_size, b" ".join(trailer_items))
    buf += b"startxref\n%d\n%%%%EOF\n" % xref_pos
    return buf, positions


def xref_runs(ids: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i in ids:
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((i, 1))
    return runs


def last_section_is_stream(doc: InputDocument, startxref: int) -> bool:
    stream = doc.stream
    pos = stream.tell()
    try:
        stream.seek(startxref)
        head = stream.read(16).lstrip()
    finally:
        stream.seek(pos)
    return not head.startswith(b"xref")
