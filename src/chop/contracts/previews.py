"""Page previews: each page of a version as PNG at a thumbnail and a page width, rendered by pdfium.

Where they live is a pure function of (version, width, page):
``contracts/previews/<version id>/<width>/<page>.png``. A version's file never changes, so its
previews never go stale; rendering again skips the pages already stored (a task that ran twice,
or one resumed after a crash, costs nothing for those). The version row counts the pages done so
the contract page can show progress while a long document renders.

PNG at zlib level 1: about four times faster to write than the default for a page of text, a
little larger, and decoded by every browser; pdfium draws annotations, so seals stamped by later
versions show in their previews.
"""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from .models import DocumentVersion

log = logging.getLogger(__name__)

THUMB = 200
PAGE = 1000
WIDTHS = {"thumb": THUMB, "page": PAGE}
PROGRESS_EVERY = 5  # pages between progress writes: a row update per page is wasted work


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

    Marks the version ``ready`` when done, ``failed`` (and re-raises) if pdfium cannot render.
    """
    import pypdfium2 as pdfium

    written = 0
    try:
        with tempfile.TemporaryDirectory(prefix="chop-previews-") as work:
            path = _local_path(version, Path(work))
            pdf = pdfium.PdfDocument(str(path))
            try:
                total = len(pdf)
                for index in range(total):
                    written += _render_page(pdf, version.pk, index)
                    done = index + 1
                    if done % PROGRESS_EVERY == 0 or done == total:
                        DocumentVersion.objects.filter(pk=version.pk).update(preview_done=done)
            finally:
                pdf.close()
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


def _local_path(version: DocumentVersion, work: Path) -> Path:
    """pdfium reads a file on disk lazily; remote storage is copied down first."""
    try:
        return Path(version.file.path)
    except NotImplementedError:
        from .documents import copy_to

        return copy_to(version, work / "document.pdf")


def _render_page(pdf, version_id: int, index: int) -> int:
    page = pdf[index]
    written = 0
    try:
        points_wide, points_high = page.get_size()
        points_wide = points_wide or 595.0
        for width in WIDTHS.values():
            name = preview_name(version_id, width, index + 1)
            if default_storage.exists(name):
                continue
            bitmap = page.render(scale=width / points_wide, draw_annots=True)
            try:
                image = bitmap.to_pil()
                # pdfium rounds the bitmap up; the page promised <img> this exact size
                size = (width, _height(width, points_wide, points_high))
                if image.size != size:
                    image = image.resize(size, Image.Resampling.LANCZOS)
                buf = io.BytesIO()
                image.convert("RGB").save(buf, "PNG", compress_level=1)
            finally:
                bitmap.close()
            default_storage.save(name, ContentFile(buf.getvalue()))
            written += 1
    finally:
        page.close()
    return written
