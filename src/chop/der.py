"""DER encoding of one TLV, for the engines that assemble CMS structures from pre-serialised
parts (``pdfsign.cms``, ``pdfsign.provenance``, ``pki.tsa``). No Django imports."""

from __future__ import annotations


def tlv(tag: int, content: bytes) -> bytes:
    """One DER TLV: the tag byte, the definite length, the contents."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(ln))) + ln + content
