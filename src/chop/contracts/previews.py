"""Page previews: each page of a version as PNG at a thumbnail and a page width, rendered by pdfium.

Where they live is a pure function of (version, width, page):
``contracts/previews/<version id>/<width>/<page>.png``. A version's file never changes, so its
previews never go stale; rendering again skips the pages already stored (a task that ran twice,
or one resumed after a crash, costs nothing for those). The version row counts the pages done so
the contract page can show progress while a long document renders.

PNGs are written by ``encode_png`` (grey when the page has no colour, zlib level 1, no row
filters): Pillow's encoder spent most of the time on a 100-page document. pdfium draws
annotations, so seals stamped by later versions show in their previews.
"""

from __future__ import annotations

import logging
import struct
import tempfile
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from chop.pdfium_lock import PDFIUM

from .models import DocumentVersion

log = logging.getLogger(__name__)

THUMB = 200
PAGE = 1000
WIDTHS = {"thumb": THUMB, "page": PAGE}
PROGRESS_EVERY = 5  # pages between progress writes: a row update per page is wasted work
ENCODERS = 2  # threads encoding and storing PNGs while pdfium draws the next pages
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def preview_name(version_id: int, width: int, page: int) -> str:
    return f"contracts/previews/{version_id}/{width}/{page}.png"


def image_size(version: DocumentVersion, page: int, width: int) -> tuple[int, int]:
    """Pixel size of a preview before it exists: ``<img width height>`` so nothing jumps."""
    w, h = version.page_size(page)
    return width, _height(width, w, h)


def _height(width: int, w_pt: float, h_pt: float) -> int:
    return max(1, round(width * h_pt / w_pt)) if w_pt > 0 else round(width * 1.414)


def render_version(version: DocumentVersion) -> int:
    """Render every missing preview of ``version``; returns the number of images written.

    pdfium draws in this thread (it is not thread-safe); PNG encoding and storage writes run in a
    small pool beside it (zlib releases the GIL), a few pages behind, so memory stays bounded.
    Marks the version ``ready`` when done, ``failed`` (and re-raises) if pdfium cannot render.
    """
    written = 0
    try:
        with (
            tempfile.TemporaryDirectory(prefix="chop-previews-") as work,
            ThreadPoolExecutor(max_workers=ENCODERS, thread_name_prefix="preview") as pool,
        ):
            written = _render_all(_local_path(version, Path(work)), version, pool)
    except Exception:
        log.exception("previews of version %s failed", version.pk)
        DocumentVersion.objects.filter(pk=version.pk).update(
            preview_state=DocumentVersion.Previews.FAILED
        )
        raise
    DocumentVersion.objects.filter(pk=version.pk).update(
        preview_state=DocumentVersion.Previews.READY, preview_done=version.page_count
    )
    return written


def _render_all(pdf_path: Path, version: DocumentVersion, pool: ThreadPoolExecutor) -> int:
    """Open, draw every page and close the PDF, keeping at most a few pages' images queued for
    encoding; record progress every ``PROGRESS_EVERY`` pages.

    Every pdfium call holds the process-wide pdfium lock, one page at a time, and never while
    this thread writes to the database: a signing act that holds SQLite's write lock may be
    waiting for the pdfium lock (a keyword search) at the same moment."""
    import pypdfium2 as pdfium

    written = 0
    with PDFIUM:
        pdf = pdfium.PdfDocument(str(pdf_path))
        # Seals and signatures are signature-field widgets: pdfium draws widgets only with
        # its form environment, which must exist before the first page is loaded. Without it
        # a signed version's pages show the riding strips but not the seals themselves.
        pdf.init_forms()
        total = len(pdf)
    pending: deque[tuple[int, list[Future]]] = deque()
    try:
        for index in range(total):
            with PDFIUM:
                pending.append((index + 1, _render_page(pdf, version.pk, index, pool)))
            while len(pending) > 2 * ENCODERS or (index + 1 == total and pending):
                done, futures = pending.popleft()
                written += sum(f.result() for f in futures)
                if done % PROGRESS_EVERY == 0 or done == total:
                    DocumentVersion.objects.filter(pk=version.pk).update(preview_done=done)
    finally:
        for _, futures in pending:
            for f in futures:
                f.cancel()
        with PDFIUM:
            pdf.close()
    return written


def _local_path(version: DocumentVersion, work: Path) -> Path:
    """pdfium reads a file on disk lazily; remote storage is copied down first."""
    try:
        return Path(version.file.path)
    except NotImplementedError:
        from .documents import copy_to

        return copy_to(version, work / "document.pdf")


def _render_page(pdf, version_id: int, index: int, pool: ThreadPoolExecutor) -> list[Future]:
    """Draw one page at every width still missing; queue each image's encoding and storing."""
    page = pdf[index]
    futures: list[Future] = []
    try:
        points_wide, points_high = page.get_size()
        points_wide = points_wide or 595.0
        for width in WIDTHS.values():
            name = preview_name(version_id, width, index + 1)
            if default_storage.exists(name):
                continue
            bitmap = page.render(scale=width / points_wide, draw_annots=True, rev_byteorder=True)
            try:
                pixels = np.array(bitmap.to_numpy()[:, :, :3])  # own copy: the bitmap is freed
            finally:
                bitmap.close()
            size = (width, _height(width, points_wide, points_high))
            futures.append(pool.submit(_store, name, pixels, size))
    finally:
        page.close()
    return futures


def _store(name: str, pixels: np.ndarray, size: tuple[int, int]) -> int:
    default_storage.save(name, ContentFile(encode_png(_fit(pixels, size))))
    return 1


def _fit(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """pdfium rounds the bitmap up by a pixel; crop (or pad white) to the size ``<img>`` promised."""
    width, height = size
    h, w = pixels.shape[:2]
    if (w, h) == (width, height):
        return pixels
    out = np.full((height, width, 3), 255, dtype=np.uint8)
    out[: min(h, height), : min(w, width)] = pixels[:height, :width]
    return out


def encode_png(pixels: np.ndarray) -> bytes:
    """An RGB array as PNG: 8-bit grey when the page has no colour (most contract pages), else
    RGB; no row filters and zlib level 1. Several times faster than Pillow's adaptive filtering
    for rendered pages (mostly flat white), at a similar size; every decoder reads it."""
    height, width = pixels.shape[:2]
    red, green, blue = pixels[:, :, 0], pixels[:, :, 1], pixels[:, :, 2]
    if np.array_equal(red, green) and np.array_equal(green, blue):
        rows, colour_type = red, 0
    else:
        rows, colour_type = pixels.reshape(height, width * 3), 2
    raw = np.zeros((height, rows.shape[1] + 1), dtype=np.uint8)  # filter byte 0 on every row
    raw[:, 1:] = rows
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
