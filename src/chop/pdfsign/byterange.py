"""The byte-range placeholder and its patch.

The signature dictionary is written with a blank /ByteRange and a zeroed /Contents of a size
known in advance (the signer's CMS plus, for B-T and above, one timestamp token). Once the whole
increment is laid out, /ByteRange is filled in; once the bytes around /Contents are hashed and
signed, the CMS is written into the placeholder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import weakref
from typing import Any

from pyhanko.pdf_utils import generic

from chop.asyncrun import run_sync

from .errors import PdfSignError
from .increment import pdf_text, serialize
from .protocols import TimeStamper

__all__ = ["signature_dictionary", "patch_byte_range", "fill_contents", "timestamp_size"]

BYTERANGE_WIDTH = 64


def pdf_date(when: dt.datetime) -> bytes:
    when = when.astimezone(dt.UTC)
    return when.strftime("D:%Y%m%d%H%M%S+00'00'").encode()


def signature_dictionary(
    *,
    when: dt.datetime,
    reserve: int,
    name: str | None,
    reason: str | None,
    location: str | None,
    contact: str | None,
) -> bytes:
    """The signature dictionary, /Contents last so its position is easy to find."""
    parts = [
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached",
        b" /M " + serialize(generic.TextStringObject(pdf_date(when).decode())),
    ]
    for key, val in (
        (b"/Name", name),
        (b"/Reason", reason),
        (b"/Location", location),
        (b"/ContactInfo", contact),
    ):
        if val:
            parts.append(b" " + key + b" " + pdf_text(val))
    parts.append(b" /ByteRange " + b" " * BYTERANGE_WIDTH)
    parts.append(b" /Contents <" + b"0" * (2 * reserve) + b"> >>")
    return b"".join(parts)


def patch_byte_range(
    buf: bytearray, sig_pos: int, reserve: int, base_offset: int
) -> tuple[int, int]:
    """Fill in /ByteRange now that the total length is known; returns where /Contents' hex
    string starts and ends (at its ``<`` and after its ``>``), relative to ``buf``."""
    br_marker = b"/ByteRange "
    br_pos = buf.index(br_marker, sig_pos) + len(br_marker)
    c_start = buf.index(b"/Contents <", br_pos) + len(b"/Contents ")
    c_end = c_start + 2 * reserve + 2
    total = base_offset + len(buf)
    a = base_offset + c_start
    b = base_offset + c_end
    br = b"[0 %d %d %d]" % (a, b, total - b)
    buf[br_pos : br_pos + BYTERANGE_WIDTH] = br.ljust(BYTERANGE_WIDTH)
    return c_start, c_end


def fill_contents(increment: bytes, c_start: int, der: bytes, reserve: int) -> bytes:
    """The increment with the CMS ``der`` written, in hex, into the /Contents placeholder."""
    if len(der) > reserve:
        raise PdfSignError(
            "the signature is larger than the space reserved for it",
            code="signature_too_large",
            size=len(der),
            reserved=reserve,
        )
    hexed = der.hex().encode()
    out = bytearray(increment)
    out[c_start + 1 : c_start + 1 + len(hexed)] = hexed
    return bytes(out)


_TS_SIZES: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def timestamp_size(timestamper: TimeStamper) -> int:
    """Size of one token from this TSA (measured once with a dummy request, then cached)."""
    try:
        cached = _TS_SIZES.get(timestamper)
    except TypeError:
        cached = None
    if cached is None:
        try:
            token = run_sync(timestamper.async_dummy_response("sha256"))
        except Exception as exc:
            raise PdfSignError(
                f"the timestamp authority did not answer ({exc})",
                code="tsa_unreachable",
                detail=str(exc),
            ) from exc
        cached = len(token.dump()) + 512
        with contextlib.suppress(TypeError):
            _TS_SIZES[timestamper] = cached
    return cached
