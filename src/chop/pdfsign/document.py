"""Reading the document to be signed: pages, their displayed geometry, the form and trailer.

Objects are read on demand from a seekable stream, so a document of hundreds of MB is never
loaded whole: by ``objstore.FastReader`` (cross-reference tables and streams, object streams),
or by pyHanko's ``PdfFileReader`` for a file whose cross-reference data is unusual. Opening walks
the page tree's nodes to know the pages in order; a page's own dictionary is parsed only when a
mark, or the annotation check, needs it (``FastReader.raw`` tells a page from a node without
parsing). Pages carry the inherited /MediaBox, /CropBox and /Rotate of their nodes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, overload

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import PdfFileReader

from .errors import EncryptedPdfError, MalformedPdfError
from .fastparse import read_simple_object
from .objstore import FastReader

__all__ = ["PageInfo", "InputDocument", "FAST_READER"]

# ``False`` reads every file through pyHanko's reader (the tests compare the two paths)
FAST_READER = True

_INHERITABLE = ("/MediaBox", "/CropBox", "/Rotate")
# a page: its reference, the attributes it inherits, its object or, not parsed yet, its bytes
_Leaf = tuple[generic.IndirectObject, dict, "generic.PdfObject | bytes"]


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

    reader: FastReader | PdfFileReader

    def __init__(self, stream: BinaryIO, *, fast: bool | None = None) -> None:
        self.stream = stream
        if FAST_READER if fast is None else fast:
            try:
                self.reader = FastReader(stream)
                self.fast = True
            except Exception:  # anything unusual: pyHanko reads the file (and words the refusal)
                self.fast = False
        else:
            self.fast = False
        if not self.fast:
            self._open_with_pyhanko(stream)
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
            self._leaves = self._walk_tree()
        except (misc.PdfError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise _broken(exc) from exc
        if not self._leaves:
            raise MalformedPdfError("this PDF has no pages", code="no_pages")
        self._page_infos: dict[int, PageInfo] = {}
        self.pages = _Pages(self)

    def _open_with_pyhanko(self, stream: BinaryIO) -> None:
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

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def is_page(self, idnum: int) -> bool:
        """Whether object ``idnum`` is one of the pages (without reading any page)."""
        return any(leaf[0].idnum == idnum for leaf in self._leaves)

    def _walk_tree(self) -> list[_Leaf]:
        """The pages in order: (reference, attributes inherited from the nodes, the page object
        if it had to be read to tell it from a node, else the page dictionary's bytes)."""
        leaves: list[_Leaf] = []
        root_pages = self.root.raw_get("/Pages")
        if not isinstance(root_pages, generic.IndirectObject):
            raise MalformedPdfError(
                "the page tree root is not an indirect object", code="page_tree_root_not_indirect"
            )
        raw = self.reader.raw if isinstance(self.reader, FastReader) else None
        seen: set[tuple[int, int]] = set()
        # iterative DFS keeping kid order; stack items: (ref, inherited attrs)
        stack: list[tuple[generic.IndirectObject, dict]] = [(root_pages, {})]
        while stack:
            node_ref, inherited = stack.pop()
            key = (node_ref.idnum, node_ref.generation)
            if key in seen:
                raise MalformedPdfError("the page tree contains a loop", code="page_tree_loop")
            seen.add(key)
            if raw is not None and node_ref is not root_pages:
                body = raw(node_ref.reference)
                if body is not None and b"/Kids" not in body:
                    leaves.append((node_ref, inherited, body))  # a page: parsed when needed
                    continue
            node = read_simple_object(self.reader, node_ref)
            if not isinstance(node, generic.DictionaryObject):
                raise MalformedPdfError(
                    "a page tree node is not a dictionary", code="page_tree_node_not_dict"
                )
            kids = node.get("/Kids")
            if kids is not None and node.get("/Type") != "/Page":
                attrs = dict(inherited)
                for k in _INHERITABLE:
                    if k in node:
                        attrs[k] = node.raw_get(k)
                for kid in reversed(list(kids)):
                    if not isinstance(kid, generic.IndirectObject):
                        raise MalformedPdfError(
                            "a page tree node has a direct kid", code="page_tree_direct_kid"
                        )
                    stack.append((kid, attrs))
                continue
            leaves.append((node_ref, inherited, node))
        return leaves

    def page(self, index: int) -> PageInfo:
        """Page ``index`` (0-based), its dictionary read now if it was not yet."""
        info = self._page_infos.get(index)
        if info is None:
            try:
                info = self._page_info(index)
            except (misc.PdfError, KeyError, TypeError, AttributeError, IndexError) as exc:
                raise _broken(exc) from exc
            self._page_infos[index] = info
        return info

    def pages_with(self, key: bytes) -> Iterator[PageInfo]:
        """The pages whose dictionary has the entry ``key`` (e.g. ``b"/Annots"``), reading only
        the page dictionaries whose bytes mention it."""
        name = key.decode("latin-1")
        for index, (_, _, obj) in enumerate(self._leaves):
            if isinstance(obj, bytes) and index not in self._page_infos and key not in obj:
                continue
            page = self.page(index)
            if name in page.obj:
                yield page

    def _page_info(self, index: int) -> PageInfo:
        node_ref, inherited, node = self._leaves[index]
        if isinstance(node, bytes) and isinstance(self.reader, FastReader):
            node = self.reader.from_raw(node_ref.reference, node)
        elif not isinstance(node, generic.PdfObject):
            node = read_simple_object(self.reader, node_ref)
        if not isinstance(node, generic.DictionaryObject):
            raise MalformedPdfError(
                "a page tree node is not a dictionary", code="page_tree_node_not_dict"
            )
        attrs = dict(inherited)
        for k in _INHERITABLE:
            if k in node:
                attrs[k] = node.raw_get(k)
        if "/MediaBox" not in attrs:
            raise MalformedPdfError(
                f"page {index + 1} has no /MediaBox",
                code="page_without_mediabox",
                page=index + 1,
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
        return PageInfo(index, node_ref.reference, node, box, rot)


def _broken(exc: Exception) -> MalformedPdfError:
    return MalformedPdfError(
        f"the page tree of this PDF is broken ({exc})",
        code="broken_page_tree",
        detail=str(exc),
    )


class _Pages(Sequence[PageInfo]):
    """``InputDocument.pages``: a sequence that reads a page when it is first asked for."""

    def __init__(self, doc: InputDocument) -> None:
        self._doc = doc

    def __len__(self) -> int:
        return len(self._doc._leaves)

    @overload
    def __getitem__(self, index: int) -> PageInfo: ...

    @overload
    def __getitem__(self, index: slice) -> list[PageInfo]: ...

    def __getitem__(self, index: int | slice) -> PageInfo | list[PageInfo]:
        if isinstance(index, slice):
            return [self._doc.page(i) for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(index)
        return self._doc.page(index)
