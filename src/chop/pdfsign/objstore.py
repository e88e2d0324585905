"""A lazy reader for the objects a signing act needs: cross-reference tables and streams, object
streams, and nothing else until it is asked for.

pyHanko's ``PdfFileReader`` reads every cross-reference entry into Python objects when it opens a
file and parses an object stream byte by byte each time one of its objects is wanted, which on a
1000-page file written with object streams (what qpdf and most PDF 1.5+ producers write) costs
hundreds of milliseconds. ``FastReader`` instead

* keeps each cross-reference section as the bytes it was read from (a table's fixed 20-byte rows,
  a stream's decoded rows) and decodes one entry when an object is looked up;
* follows ``/Prev`` and a hybrid file's ``/XRefStm``, newest section first;
* decompresses an object stream when one of its objects is first needed and keeps it for the
  rest of the act (the reader lives as long as one ``InputDocument``);
* parses objects with ``fastparse``'s tokeniser.

Anything it does not read exactly like pyHanko is handed to a pyHanko reader made on the same
stream when first needed: a stream object other than an object stream, a string with escapes, an
object whose offset does not point at its header, a missing or free object. Opening raises
``Unusual`` for a file whose cross-reference data is anything but plain (encryption, a predictor
other than PNG Up/None, a startxref that points nowhere, a loop); ``InputDocument`` then uses
pyHanko for the whole file, as before.
"""

from __future__ import annotations

import re
import zlib
from itertools import accumulate
from typing import Any, BinaryIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import PdfHandler

from .fastparse import TOKEN, Fallback, parse_value

__all__ = ["FastReader", "Unusual"]


class Unusual(Exception):
    """The file's cross-reference data needs pyHanko's reader."""


_STARTXREF = re.compile(rb"startxref\s+(\d+)")
_OBJ_HEADER = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj")
_SUBSECTION = re.compile(rb"\s*(\d+)\s+(\d+)[ \t]*(?:\r\n|\r|\n)")
_ROWS = re.compile(rb"(?:\d{10} \d{5} [nf](?: \r| \n|\r\n))*")
_TRAILER = re.compile(rb"\s*trailer")
_EOL = re.compile(rb"\r\n|\n|\r")
# stream dictionary keys that are not part of the trailer (as pyHanko's TrailerDictionary)
_NON_TRAILER = ("/Length", "/Filter", "/DecodeParms", "/W", "/Type", "/Index", "/XRefStm")

# an entry: (1, offset, generation) in use, (2, object stream, index) compressed, (0, _, _) free
Entry = tuple[int, int, int]


class _Table:
    """One classic cross-reference table: runs of 20-byte rows, decoded on lookup."""

    def __init__(self, data: bytes, runs: list[tuple[int, int, int]]) -> None:
        self.data = data
        self.runs = runs  # (first object number, count, position of the first row)

    def get(self, num: int) -> Entry | None:
        for first, count, pos in self.runs:
            if first <= num < first + count:
                p = pos + 20 * (num - first)
                row = self.data[p : p + 18]
                kind = 1 if row[17:18] == b"n" else 0
                return (kind, int(row[0:10]), int(row[11:16]))
        return None


class _Stream:
    """One cross-reference stream: decoded rows of widths ``w``, decoded on lookup."""

    def __init__(self, rows: bytes, w: tuple[int, int, int], runs: list[tuple[int, int]]) -> None:
        self.rows = rows
        self.w = w
        self.width = sum(w)
        self.runs = runs

    def get(self, num: int) -> Entry | None:
        row = 0
        w0, w1, w2 = self.w
        for first, count in self.runs:
            if first <= num < first + count:
                p = (row + num - first) * self.width
                r = self.rows[p : p + self.width]
                kind = int.from_bytes(r[:w0], "big") if w0 else 1
                a = int.from_bytes(r[w0 : w0 + w1], "big")
                b = int.from_bytes(r[w0 + w1 :], "big") if w2 else 0
                return (kind if kind in (0, 1, 2) else 0, a, b)
            row += count
        return None


class _Hybrid:
    """A table with an /XRefStm: in-use table rows first, then the stream, then free rows."""

    def __init__(self, table: _Table, stream: _Stream) -> None:
        self.table = table
        self.stream = stream

    def get(self, num: int) -> Entry | None:
        t = self.table.get(num)
        if t is not None and t[0] == 1:
            return t
        s = self.stream.get(num)
        return s if s is not None else t


def _int(value: Any) -> int:
    if not isinstance(value, generic.NumberObject):
        raise Unusual("not a direct integer")
    return int(value)


def _undo_png_up(data: bytes, columns: int) -> bytes:
    """Undo the PNG predictor when every row uses filter None or Up (what producers write)."""
    stride = columns + 1
    if len(data) % stride:
        raise Unusual("xref stream rows do not fill the predictor's columns")
    tags = set(data[::stride])
    if tags <= {0}:
        return b"".join(data[i + 1 : i + stride] for i in range(0, len(data), stride))
    if tags != {2}:
        raise Unusual("xref stream uses a PNG predictor other than Up")
    cols = [bytes(map((255).__and__, accumulate(data[c + 1 :: stride]))) for c in range(columns)]
    out = bytearray(len(data) // stride * columns)
    for c, col in enumerate(cols):
        out[c::columns] = col
    return bytes(out)


class FastReader(PdfHandler):
    """Reads objects of one PDF on demand; see the module's description."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self._cache: dict[tuple[int, int], generic.PdfObject] = {}
        self._refs: dict[bytes, generic.IndirectObject] = {}  # shared by fastparse
        self._objstms: dict[int, tuple[bytes, int, list[tuple[int, int]]] | None] = {}
        self._slow_reader: PdfFileReader | None = None
        self.sections: list[_Table | _Stream | _Hybrid] = []
        trailers: list[generic.DictionaryObject] = []
        stream.seek(0, 2)
        self.size = stream.tell()
        stream.seek(max(0, self.size - 1024))
        tail = stream.read()
        found = list(_STARTXREF.finditer(tail))
        if not found:
            raise Unusual("no startxref")
        self.last_startxref = int(found[-1].group(1))
        offset: int | None = self.last_startxref
        seen: set[int] = set()
        while offset is not None:
            if offset in seen or not 0 <= offset < self.size:
                raise Unusual("cross-reference chain loops or points outside the file")
            seen.add(offset)
            section, trailer = self._read_section(offset)
            if "/XRefStm" in trailer:
                stm, _ = self._read_section(_int(trailer.raw_get("/XRefStm")))
                if not isinstance(section, _Table) or not isinstance(stm, _Stream):
                    raise Unusual("unexpected /XRefStm")
                self.sections.append(_Hybrid(section, stm))
            else:
                self.sections.append(section)
            trailers.append(trailer)
            prev = trailer.raw_get("/Prev") if "/Prev" in trailer else None
            offset = _int(prev) if prev is not None else None
        merged = generic.DictionaryObject()
        for t in reversed(trailers):
            merged.update(t)
        for key in _NON_TRAILER:
            merged.pop(key, None)
        if "/Encrypt" in merged:
            raise Unusual("encrypted")  # pyHanko's reader refuses it with its own words
        root = merged.raw_get("/Root") if "/Root" in merged else None
        if not isinstance(root, generic.IndirectObject):
            raise Unusual("no indirect /Root")
        self._trailer = merged
        self._root_ref = root.reference
        self.encrypt_dict = None

    # ------------------------------------------------------------------ cross-reference data

    def _chunk(self, offset: int, need: bytes = b"endobj", limit: int = 1 << 22) -> bytes:
        """Bytes from ``offset`` up to and including ``need`` (or ``limit`` bytes, or EOF); an
        object's bytes stop at the start of its stream data, if it has one."""
        stream = self.stream
        stream.seek(offset)
        data = stream.read(2048)
        while (
            need not in data and (need != b"endobj" or b"stream" not in data) and len(data) < limit
        ):
            more = stream.read(max(8192, len(data)))
            if not more:
                break
            data += more
        return data

    def _read_section(self, offset: int) -> tuple[_Table | _Stream, generic.DictionaryObject]:
        self.stream.seek(offset)
        if self.stream.read(64).lstrip().startswith(b"xref"):
            # the table, its trailer and the startxref after it
            return self._read_table(self._chunk(offset, b"startxref", limit=1 << 28))
        return self._read_xref_stream(offset)

    def _read_table(self, data: bytes) -> tuple[_Table, generic.DictionaryObject]:
        pos = data.index(b"xref") + 4
        runs: list[tuple[int, int, int]] = []
        while True:
            t = _TRAILER.match(data, pos)
            if t is not None:
                pos = t.end()
                break
            m = _SUBSECTION.match(data, pos)
            if m is None:
                raise Unusual("unreadable cross-reference table")
            first, count = int(m.group(1)), int(m.group(2))
            start = m.end()
            end = start + 20 * count
            rows = _ROWS.match(data, start, end)
            if rows is None or rows.end() != end:
                raise Unusual("cross-reference rows are not 20 bytes each")
            runs.append((first, count, start))
            pos = end
        try:
            trailer, _ = parse_value(data, pos, self)
        except Fallback as exc:
            raise Unusual("unusual trailer") from exc
        if not isinstance(trailer, generic.DictionaryObject):
            raise Unusual("trailer is not a dictionary")
        return _Table(data, runs), trailer

    def _stream_at(self, offset: int) -> tuple[generic.DictionaryObject, bytes, int, int]:
        """A stream object's dictionary, raw data, and its object number and generation."""
        data = self._chunk(offset, b"stream")
        h = _OBJ_HEADER.match(data)
        if h is None:
            raise Unusual("no object header")
        try:
            d, pos = parse_value(data, h.end(), self)
        except Fallback as exc:
            raise Unusual("unusual stream dictionary") from exc
        kw = TOKEN.match(data, pos)
        if not isinstance(d, generic.DictionaryObject) or kw is None or kw.group("kw") != b"stream":
            raise Unusual("not a stream")
        eol = _EOL.match(data, kw.end())
        if eol is None:
            raise Unusual("no end of line after 'stream'")
        length = d.raw_get("/Length") if "/Length" in d else None
        if isinstance(length, generic.IndirectObject):
            length = self.get_object(length.reference)
        n = _int(length)
        start = offset + eol.end()
        self.stream.seek(start)
        raw = self.stream.read(n)
        after = self.stream.read(32).lstrip()
        if len(raw) != n or not after.startswith(b"endstream"):
            raise Unusual("stream /Length is wrong")
        return d, raw, int(h.group(1)), int(h.group(2))

    @staticmethod
    def _decode(d: generic.DictionaryObject, raw: bytes) -> bytes:
        filt = d.raw_get("/Filter") if "/Filter" in d else None
        if isinstance(filt, generic.ArrayObject) and len(filt) == 1:
            filt = filt[0]
        if filt is None:
            data = raw
        elif filt == "/FlateDecode":
            try:
                data = zlib.decompress(raw)
            except zlib.error as exc:
                raise Unusual("bad Flate data") from exc
        else:
            raise Unusual("unusual filter")
        parms = d.raw_get("/DecodeParms") if "/DecodeParms" in d else None
        if isinstance(parms, generic.ArrayObject) and len(parms) == 1:
            parms = parms[0]
        if parms is None or (isinstance(parms, generic.DictionaryObject) and not parms):
            return data
        if not isinstance(parms, generic.DictionaryObject) or filt is None:
            raise Unusual("unusual decode parameters")
        predictor = _int(parms.get("/Predictor", generic.NumberObject(1)))
        if predictor == 1:
            return data
        if predictor < 10 or set(parms) - {"/Predictor", "/Columns"}:
            raise Unusual("unusual predictor")
        return _undo_png_up(data, _int(parms.get("/Columns", generic.NumberObject(1))))

    def _read_xref_stream(self, offset: int) -> tuple[_Stream, generic.DictionaryObject]:
        d, raw, _, _ = self._stream_at(offset)
        if d.get("/Type") != "/XRef":
            raise Unusual("startxref points at neither a table nor an xref stream")
        w = d.raw_get("/W")
        if not isinstance(w, generic.ArrayObject) or len(w) != 3:
            raise Unusual("bad /W")
        widths = (_int(w[0]), _int(w[1]), _int(w[2]))
        size = _int(d.raw_get("/Size"))
        index = d.raw_get("/Index") if "/Index" in d else None
        if index is None:
            runs = [(0, size)]
        else:
            if not isinstance(index, generic.ArrayObject) or len(index) % 2:
                raise Unusual("bad /Index")
            nums = [_int(v) for v in index]
            runs = list(zip(nums[::2], nums[1::2], strict=True))
        rows = self._decode(d, raw)
        if len(rows) < sum(widths) * sum(c for _, c in runs):
            raise Unusual("xref stream shorter than its /Index")
        return _Stream(rows, widths, runs), d

    def _lookup(self, num: int) -> Entry | None:
        for section in self.sections:
            e = section.get(num)
            if e is not None:
                return e
        return None

    # ------------------------------------------------------------------ objects

    def _slow(self) -> PdfFileReader:
        if self._slow_reader is None:
            self._slow_reader = PdfFileReader(self.stream, strict=False)
        return self._slow_reader

    def _objstm(self, num: int) -> tuple[bytes, int, list[tuple[int, int]]] | None:
        if num in self._objstms:
            return self._objstms[num]
        result = None
        e = self._lookup(num)
        if e is not None and e[0] == 1:
            try:
                d, raw, idnum, _ = self._stream_at(e[1])
                if idnum == num and d.get("/Type") == "/ObjStm":
                    data = self._decode(d, raw)
                    first, n = _int(d.raw_get("/First")), _int(d.raw_get("/N"))
                    nums = [int(v) for v in data[:first].split()]
                    if len(nums) == 2 * n:
                        result = (data, first, list(zip(nums[::2], nums[1::2], strict=True)))
            except (Unusual, KeyError, ValueError):
                result = None
        self._objstms[num] = result
        return result

    def raw(self, ref: generic.Reference) -> bytes | None:
        """The bytes of a plain (non-stream) object's value, without parsing them; ``None`` when
        they cannot be told cheaply (the caller then reads the object)."""
        e = self._lookup(ref.idnum)
        if e is None:
            return None
        if e[0] == 1 and e[2] == ref.generation:
            data = self._chunk(e[1])
            h = _OBJ_HEADER.match(data)
            end = data.find(b"endobj")
            if h is None or int(h.group(1)) != ref.idnum or end < 0:
                return None
            body = data[h.end() : end]
            return None if b"stream" in body else body
        if e[0] == 2 and ref.generation == 0:
            slot = self._in_stream(e, ref)
            return None if slot is None else slot[0][slot[1] : slot[2]]
        return None

    def _in_stream(self, e: Entry, ref: generic.Reference) -> tuple[bytes, int, int] | None:
        """Where object ``ref`` (entry ``e``, type 2) sits in its object stream: the stream's
        decoded bytes, and its start and end there; None when the stream does not hold it."""
        stm = self._objstm(e[1])
        if stm is None or e[2] >= len(stm[2]):
            return None
        data, first, pairs = stm
        num, off = pairs[e[2]]
        if num != ref.idnum:
            return None
        nxt = pairs[e[2] + 1][1] if e[2] + 1 < len(pairs) else len(data) - first
        return data, first + off, first + nxt

    def from_raw(self, ref: generic.Reference, body: bytes) -> Any:
        """The object whose bytes ``raw`` returned, parsed from them (no second read)."""
        key = (ref.idnum, ref.generation)
        if key not in self._cache:
            try:
                value, pos = parse_value(body, 0, self)
                if body[pos:].strip():
                    raise Fallback
            except Fallback:
                return self.get_object(ref)
            self._cache[key] = value
        return self._cache[key]

    def _read(self, ref: generic.Reference) -> generic.PdfObject | None:
        e = self._lookup(ref.idnum)
        if e is None:
            return None
        try:
            if e[0] == 1 and e[2] == ref.generation:
                data = self._chunk(e[1])
                h = _OBJ_HEADER.match(data)
                if h is None or int(h.group(1)) != ref.idnum or int(h.group(2)) != ref.generation:
                    return None  # a broken offset: pyHanko's reader decides
                value, pos = parse_value(data, h.end(), self)
                tail = TOKEN.match(data, pos)
                return value if tail is not None and tail.group("kw") == b"endobj" else None
            if e[0] == 2 and ref.generation == 0:
                slot = self._in_stream(e, ref)
                if slot is None:
                    return None
                value, _ = parse_value(slot[0], slot[1], self)
                return value
        except Fallback:
            return None
        return None

    def get_object(self, ref: generic.Reference, as_metadata_stream: bool = False) -> Any:
        key = (ref.idnum, ref.generation)
        try:
            return self._cache[key]
        except KeyError:
            pass
        value = None if as_metadata_stream else self._read(ref)
        if value is None:
            value = self._slow().get_object(
                generic.Reference(ref.idnum, ref.generation, self._slow()),
                as_metadata_stream=as_metadata_stream,
            )
        if not as_metadata_stream:
            self._cache[key] = value
        return value

    @property
    def trailer_view(self) -> generic.DictionaryObject:
        return self._trailer

    @property
    def root_ref(self) -> generic.Reference:
        return self._root_ref
