"""A fast reader for the simple dictionaries that make up a page tree.

pyHanko's object parser reads byte by byte in Python (~0.3 ms per page dictionary); walking a
1000-page tree that way dominates a signing act. Page and page-tree dictionaries almost always
consist only of names, numbers, references, arrays, dictionaries and plain strings, which one
compiled regular expression tokenises in a few microseconds. Anything else (strings with escapes,
escaped names, streams) is handed back to pyHanko, so the result is always the same objects
pyHanko would have produced. ``objstore`` uses the same tokeniser for whole documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.xref import ObjStreamRef

__all__ = ["read_simple_object", "install_fast_reader", "parse_value", "Fallback", "TOKEN"]

_TOKEN = re.compile(
    rb"(?:\s|%[^\r\n]*)*"  # skip whitespace and comments
    rb"(?:"
    rb"(?P<ref>\d+)\s+(?P<gen>\d+)\s+R(?![^\s()<>\[\]{}/%])"
    rb"|(?P<num>[+-]?(?:\d+\.?\d*|\.\d+))"
    rb"|(?P<name>/[^\s()<>\[\]{}/%#\x80-\xff]*)(?![#\x80-\xff])"  # ASCII names only
    rb"|(?P<open><<|\[)"
    rb"|(?P<close>>>|\])"
    rb"|(?P<kw>true|false|null|endobj|stream)"
    rb"|<(?P<hex>[0-9A-Fa-f\s]*)>"
    rb"|\((?P<str>[^()\\\r\n]*)\)"  # a literal string without escapes, parentheses or EOLs
    rb")"
)
_HEADER = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj")


TOKEN = _TOKEN


class Fallback(Exception):
    """What the fast parser does not read: the caller asks pyHanko instead."""


_Fallback = Fallback


def parse_value(data: bytes, pos: int, handler) -> tuple[generic.PdfObject, int]:
    """One value starting at ``pos`` in ``data`` and the position after it; raises ``Fallback``
    for anything it does not read exactly as pyHanko would."""
    return _parse(data, pos, handler)


_Dict = generic.DictionaryObject
_Array = generic.ArrayObject
_Name = generic.NameObject
_Number = generic.NumberObject
_Indirect = generic.IndirectObject
_Reference = generic.Reference
_set_item = dict.__setitem__  # keys are NameObjects and values PdfObjects already


# Names and numbers repeat across page dictionaries (/Type /Page /MediaBox [0 0 595.28 841.89]);
# each pyHanko instance is a tracked object the garbage collector walks, so equal tokens share
# one immutable instance (bounded, process-wide). References are shared per reader (``_refs``).
_SHARED_MAX = 4096
_names: dict[bytes, generic.NameObject] = {}
_numbers: dict[bytes, generic.PdfObject] = {}


def _indirect(idnum: int, gen: int, handler) -> generic.IndirectObject:
    """``IndirectObject(idnum, gen, handler)`` without the constructor's call overhead."""
    obj = _Indirect.__new__(_Indirect)
    obj.reference = _Reference(idnum, gen, handler)
    return obj


def _parse(data: bytes, pos: int, handler) -> tuple[generic.PdfObject, int]:
    """Parse one value starting at ``pos`` (iteratively, to survive deep nesting).

    Tokens come from one ``finditer``; a token that does not start where the previous one ended
    means bytes the pattern does not know, which ``Fallback`` hands to pyHanko."""
    stack: list[list] = []  # each: [container, is_dict, pending_key]
    top: list | None = None
    value: generic.PdfObject
    refs: dict[bytes, generic.IndirectObject] | None = getattr(handler, "_refs", None)
    for m in _TOKEN.finditer(data, pos):
        if m.start() != pos:
            raise _Fallback
        pos = m.end()
        kind = m.lastgroup
        if kind == "name":
            tok = m.group("name")
            value = _names.get(tok)  # type: ignore[assignment]
            if value is None:
                value = _Name(tok.decode("ascii"))
                if len(_names) < _SHARED_MAX:
                    _names[tok] = value
        elif kind == "num":
            tok = m.group("num")
            value = _numbers.get(tok)  # type: ignore[assignment]
            if value is None:
                value = generic.FloatObject(tok.decode()) if b"." in tok else _Number(int(tok))
                if len(_numbers) < _SHARED_MAX:
                    _numbers[tok] = value
        elif kind == "gen":
            if refs is None:
                value = _indirect(int(m.group("ref")), int(m.group("gen")), handler)
            else:
                key = m.group(0).lstrip()
                value = refs.get(key)  # type: ignore[assignment]
                if value is None:
                    value = refs[key] = _indirect(int(m.group("ref")), int(m.group("gen")), handler)
        elif kind == "open":
            is_dict = m.group("open") == b"<<"
            top = [_Dict() if is_dict else _Array(), is_dict, None]
            stack.append(top)
            continue
        elif kind == "close":
            if top is None:
                raise _Fallback
            container, is_dict, pending = stack.pop()
            if (m.group("close") == b">>") != is_dict or pending is not None:
                raise _Fallback
            value = container
            top = stack[-1] if stack else None
        elif kind == "hex":
            digits = m.group("hex").translate(None, _PDF_WS)
            if len(digits) % 2:
                digits += b"0"
            value = generic.pdf_string(bytes.fromhex(digits.decode("ascii")))
        elif kind == "str":
            value = generic.pdf_string(m.group("str"))
        elif kind == "kw":
            kw = m.group("kw")
            if kw in (b"endobj", b"stream"):
                raise _Fallback
            value = generic.NullObject() if kw == b"null" else generic.BooleanObject(kw == b"true")
        else:  # pragma: no cover - the pattern has no other groups
            raise _Fallback
        if top is None:
            return value, pos
        if not top[1]:
            top[0].append(value)
        elif top[2] is None:
            if type(value) is not _Name:
                raise _Fallback
            top[2] = value
        else:
            _set_item(top[0], top[2], value)
            top[2] = None
    raise _Fallback


def read_simple_object(reader, ref: generic.IndirectObject) -> generic.PdfObject:
    """The object ``ref`` points to, parsed quickly when it is a plain uncompressed dictionary."""
    if not hasattr(reader, "xrefs"):  # objstore's reader parses everything quickly itself
        return ref.get_object()
    try:
        marker = reader.xrefs[ref.reference]
    except Exception:
        marker = None
    if marker is None or isinstance(marker, ObjStreamRef):
        return ref.get_object()
    stream = reader.stream
    stream.seek(marker)
    data = stream.read(2048)
    while b"endobj" not in data and len(data) < 1 << 16:
        more = stream.read(8192)
        if not more:
            break
        data += more
    h = _HEADER.match(data)
    if h is None or int(h.group(1)) != ref.idnum or int(h.group(2)) != ref.generation:
        return ref.get_object()
    try:
        value, pos = _parse(data, h.end(), reader)
        tail = _TOKEN.match(data, pos)
        if tail is None or tail.group("kw") != b"endobj":
            raise _Fallback  # e.g. a stream follows
    except _Fallback:
        return ref.get_object()
    return value


# --------------------------------------------------------------------------- hex strings
#
# pyHanko reads a hex string one byte at a time through a Python generator; a signature's
# /Contents is 10–20 thousand hex digits, read again for every revision the difference analysis
# looks at, which made it the largest single cost of verifying a document with a few
# signatures. ``_fast_hex`` does the same job with one read and ``bytes.translate``, and hands
# anything unusual (a comment inside the string, a non-hex character, end of stream) back to
# pyHanko's own function so results and errors are exactly pyHanko's.

_HEX_OK = re.compile(rb"[0-9A-Fa-f]*")
_PDF_WS = b" \n\r\t\f\x00"
_original_read_hex: Callable[..., generic.PdfObject] = generic.read_hex_string_from_stream


def _fast_hex(stream):
    start = stream.tell()
    data = stream.read(4096)
    end = data.find(b">", 1)
    while end < 0:
        more = stream.read(65536)
        if not more:
            stream.seek(start)
            return _original_read_hex(stream)
        data += more
        end = data.find(b">", 1)
    digits = data[1:end].translate(None, _PDF_WS)
    if b"%" in digits or _HEX_OK.fullmatch(digits) is None:
        stream.seek(start)
        return _original_read_hex(stream)
    if len(digits) % 2:
        digits += b"0"
    stream.seek(start + end + 1)
    return generic.pdf_string(bytes.fromhex(digits.decode("ascii")))


def install_fast_reader() -> None:
    """Make pyHanko's object reader use ``_fast_hex`` (idempotent, same results).

    This replaces a pyHanko function for the whole process, so importing the engine does not do
    it: the application (``chop.seals``' ``AppConfig.ready``), the command line and the
    benchmarks call it once at start-up.
    """
    global _original_read_hex
    if generic.read_hex_string_from_stream is not _fast_hex:
        _original_read_hex = generic.read_hex_string_from_stream
        generic.read_hex_string_from_stream = _fast_hex
