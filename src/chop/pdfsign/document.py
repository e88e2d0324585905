"""Reading the document to be signed: pages, their displayed geometry, the form and trailer.

pyHanko's ``PdfFileReader`` parses only the cross-reference data up front and then objects on
demand from a seekable stream, so a document of hundreds of MB is never loaded whole; we walk
the page tree once (pages carry inherited /MediaBox, /CropBox, /Rotate) and touch nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import PdfFileReader

from .errors import EncryptedPdfError, MalformedPdfError
from .fastparse import read_simple_object

__all__ = ["PageInfo", "InputDocument"]

_INHERITABLE = ("/MediaBox", "/CropBox", "/Rotate")


def _box(value, what: str) -> tuple[float, float, float, float]:
    try:
        arr = value.get_object()
        x0, y0, x1, y1 = (float(v.get_object()) for v in arr)
    except Exception as exc:
        raise MalformedPdfError(
            f"a page has an unreadable {what}", code="unreadable_box", box=what
        ) from exc
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


@dataclass
class PageInfo:
    """One page: its reference, dictionary, and the visible box and rotation a reader displays."""

    index: int  # 0-based
    ref: generic.Reference
    obj: generic.DictionaryObject
    box: tuple[float, float, float, float]  # effective CropBox ∩ MediaBox, user space
    rotate: int  # 0, 90, 180 or 270 (clockwise when displayed)

    @property
    def display_size(self) -> tuple[float, float]:
        """(width, height) in points as displayed."""
        w = self.box[2] - self.box[0]
        h = self.box[3] - self.box[1]
        return (h, w) if self.rotate in (90, 270) else (w, h)

    def to_user(self, u: float, v: float) -> tuple[float, float]:
        """A displayed point (pt from the top-left, y down) in PDF user space."""
        x0, y0, x1, y1 = self.box
        r = self.rotate
        if r == 0:
            return x0 + u, y1 - v
        if r == 90:
            return x0 + v, y0 + u
        if r == 180:
            return x1 - u, y0 + v
        return x1 - v, y1 - u

    def to_display(self, x: float, y: float) -> tuple[float, float]:
        """Inverse of :meth:`to_user`."""
        x0, y0, x1, y1 = self.box
        r = self.rotate
        if r == 0:
            return x - x0, y1 - y
        if r == 90:
            return y - y0, x - x0
        if r == 180:
            return x1 - x, y - y0
        return y1 - y, x1 - x

    def rect_to_user(self, u0: float, v0: float, u1: float, v1: float) -> list[float]:
        ax, ay = self.to_user(u0, v0)
        bx, by = self.to_user(u1, v1)
        return [min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)]


class InputDocument:
    """The parsed input. Raises ``MalformedPdfError`` / ``EncryptedPdfError`` with plain words."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        try:
            self.reader = PdfFileReader(stream, strict=False)
        except (misc.PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise MalformedPdfError(
                f"this file cannot be read as a PDF ({exc}); open it in a PDF tool and save it again",
                code="unreadable_pdf",
                detail=str(exc),
            ) from exc
        except EOFError as exc:
            raise MalformedPdfError(
                "this file is truncated or not a PDF", code="truncated_pdf"
            ) from exc
        try:
            encrypted = self.reader.encrypt_dict is not None
        except Exception:
            encrypted = True
        if encrypted:
            raise EncryptedPdfError(
                "this PDF is encrypted (password protected); remove the protection before signing",
                code="encrypted_pdf",
            )
        try:
            self.root = self.reader.root
            self.root_ref = self.reader.trailer_view.raw_get("/Root")
            if not isinstance(self.root_ref, generic.IndirectObject):
                raise MalformedPdfError(
                    "the document catalog is not an indirect object", code="catalog_not_indirect"
                )
            self.pages = self._walk_pages()
        except (misc.PdfError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise MalformedPdfError(
                f"the page tree of this PDF is broken ({exc})",
                code="broken_page_tree",
                detail=str(exc),
            ) from exc
        if not self.pages:
            raise MalformedPdfError("this PDF has no pages", code="no_pages")

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def _walk_pages(self) -> list[PageInfo]:
        pages: list[PageInfo] = []
        root_pages = self.root.raw_get("/Pages")
        if not isinstance(root_pages, generic.IndirectObject):
            raise MalformedPdfError(
                "the page tree root is not an indirect object", code="page_tree_root_not_indirect"
            )
        seen: set[tuple[int, int]] = set()
        # iterative DFS keeping kid order; stack items: (ref, inherited attrs)
        stack: list[tuple[generic.IndirectObject, dict]] = [(root_pages, {})]
        while stack:
            node_ref, inherited = stack.pop()
            key = (node_ref.idnum, node_ref.generation)
            if key in seen:
                raise MalformedPdfError("the page tree contains a loop", code="page_tree_loop")
            seen.add(key)
            node = read_simple_object(self.reader, node_ref)
            if not isinstance(node, generic.DictionaryObject):
                raise MalformedPdfError(
                    "a page tree node is not a dictionary", code="page_tree_node_not_dict"
                )
            attrs = dict(inherited)
            for k in _INHERITABLE:
                if k in node:
                    attrs[k] = node.raw_get(k)
            kids = node.get("/Kids")
            node_type = node.get("/Type")
            if kids is not None and node_type != "/Page":
                for kid in reversed(list(kids)):
                    if not isinstance(kid, generic.IndirectObject):
                        raise MalformedPdfError(
                            "a page tree node has a direct kid", code="page_tree_direct_kid"
                        )
                    stack.append((kid, attrs))
                continue
            if "/MediaBox" not in attrs:
                raise MalformedPdfError(
                    f"page {len(pages) + 1} has no /MediaBox",
                    code="page_without_mediabox",
                    page=len(pages) + 1,
                )
            media = _box(attrs["/MediaBox"], "/MediaBox")
            box = media
            if "/CropBox" in attrs:
                c = _box(attrs["/CropBox"], "/CropBox")
                box = (
                    max(c[0], media[0]),
                    max(c[1], media[1]),
                    min(c[2], media[2]),
                    min(c[3], media[3]),
                )
                if box[0] >= box[2] or box[1] >= box[3]:
                    box = media
            try:
                rot = int(attrs.get("/Rotate", generic.NumberObject(0)).get_object()) % 360
            except (TypeError, ValueError):
                rot = 0
            if rot % 90:
                rot = 0
            pages.append(PageInfo(len(pages), node_ref.reference, node, box, rot))
        return pages
