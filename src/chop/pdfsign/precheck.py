"""Will this PDF take a seal? Asked when a document is uploaded, long before anyone signs it.

``check_signable`` opens the document the way ``sign`` will (same reader, same page walk) and
applies the same refusals that depend only on the document: malformed, encrypted, certified with
DocMDP. An upload refused here never becomes a contract that fails at its first signature. The
errors are the ones ``sign`` raises, with the same codes, so ``chop.explain`` words them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .acroform import refuse_if_certified
from .document import InputDocument
from .sinks import open_src

__all__ = ["Signable", "check_signable"]


@dataclass(frozen=True)
class Signable:
    """What a later signing act will see: the page count and each page's displayed size in
    points (CropBox within MediaBox, width and height swapped by /Rotate 90/270)."""

    page_count: int
    page_sizes: list[tuple[float, float]]


def check_signable(src: Any) -> Signable:
    """Raise the ``PdfSignError`` that ``sign`` would raise for this document, else describe it.

    ``src`` is a path, bytes or a seekable binary stream; a stream is left open (and read from
    wherever), a path is opened and closed here.
    """
    stream, opened, _data = open_src(src)
    try:
        stream.seek(0)
        doc = InputDocument(stream)
        refuse_if_certified(doc)
        return Signable(doc.page_count, [page.display_size for page in doc.pages])
    finally:
        if opened:
            stream.close()
