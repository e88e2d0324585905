"""Finding where text such as "甲方（盖章）" sits on the pages, with pdfium's text layer."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO

from chop.pdfium_lock import PDFIUM

from .errors import MalformedPdfError, PdfSignError

__all__ = ["KeywordHit", "find_keyword"]


@dataclass(frozen=True)
class KeywordHit:
    """One occurrence: 1-based page and the bounding box in PDF user space (x0, y0, x1, y1)."""

    page: int
    rect: tuple[float, float, float, float]
    text: str


def _open(src):
    import pypdfium2 as pdfium

    if isinstance(src, (str, os.PathLike)):
        return pdfium.PdfDocument(os.fspath(src))
    if isinstance(src, (bytes, bytearray, memoryview)):
        return pdfium.PdfDocument(bytes(src))
    stream: BinaryIO = src
    stream.seek(0)
    # pdfium reads a file object through callbacks, so a large file is not copied to memory
    return pdfium.PdfDocument(stream, autoclose=False)


def find_keyword(src: str | os.PathLike | bytes | BinaryIO, text: str) -> list[KeywordHit]:
    """Every occurrence of ``text`` in reading order (page by page). Empty list if none.

    Matching is case-insensitive; when the text as given is not found, its half-width and
    full-width bracket/punctuation spellings are tried. A hit that wraps across lines yields the
    union of its boxes.
    """

    if not text or not text.strip():
        raise PdfSignError("the keyword to search for is empty", code="empty_keyword")
    with PDFIUM:  # pdfium is not thread-safe: see chop.pdfium_lock
        return _find(src, text)


def _find(src, text: str) -> list[KeywordHit]:
    import pypdfium2 as pdfium

    try:
        pdf = _open(src)
    except pdfium.PdfiumError as exc:
        raise MalformedPdfError(
            f"cannot search the text of this PDF ({exc})", code="text_unsearchable", detail=str(exc)
        ) from exc
    try:
        # people type 甲方(盖章) with ASCII brackets when the contract has 甲方（盖章）, or the
        # reverse: try the text as given, then its half-width and full-width spellings
        for variant in _variants(text):
            hits = _search(pdf, variant)
            if hits:
                return hits
        return []
    finally:
        pdf.close()


_FULLWIDTH = str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，", ";": "；", " ": ""})


def _variants(text: str) -> list[str]:
    import unicodedata

    out = [text]
    for v in (unicodedata.normalize("NFKC", text), text.translate(_FULLWIDTH)):
        if v and v not in out:
            out.append(v)
    return out


def _search(pdf, text: str) -> list[KeywordHit]:
    hits: list[KeywordHit] = []
    for i in range(len(pdf)):
        page = pdf[i]
        tp = page.get_textpage()
        try:
            searcher = tp.search(text, match_case=False)
            while (found := searcher.get_next()) is not None:
                start, count = found
                n = tp.count_rects(start, count)
                rects = [tp.get_rect(j) for j in range(n)]
                if not rects:
                    continue
                x0 = min(r[0] for r in rects)
                y0 = min(r[1] for r in rects)
                x1 = max(r[2] for r in rects)
                y1 = max(r[3] for r in rects)
                hits.append(KeywordHit(i + 1, (x0, y0, x1, y1), tp.get_text_range(start, count)))
            searcher.close()
        finally:
            tp.close()
            page.close()
    return hits
