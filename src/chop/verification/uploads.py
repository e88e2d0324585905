"""Checks on uploaded identity documents: size, real image or PDF, no decompression bombs.

A bad upload gets a clear message and nothing is stored; a good one is stored as uploaded (the
operator must see the original), after Pillow or pdfium has proven it parses.
"""

from __future__ import annotations

import warnings

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is plenty for an ID card or a licence
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}


def _too_big(f) -> None:
    if f.size > MAX_BYTES:
        raise ValidationError(
            _("The file is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": f.size / 1048576, "limit": MAX_BYTES // 1048576}
        )


def validate_image(f) -> None:
    """Raise ValidationError unless ``f`` is a JPEG/PNG/WebP photo of sensible size."""
    _too_big(f)
    f.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(f) as img:
                if img.format not in IMAGE_FORMATS:
                    raise ValidationError(_("Upload a JPEG, PNG or WebP photo."))
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise ValidationError(
                        _("The image is %(w)d×%(h)d pixels; that is too large.") % {"w": w, "h": h}
                    )
                if min(w, h) < 200:
                    raise ValidationError(
                        _("The image is too small to read (%(w)d×%(h)d pixels).") % {"w": w, "h": h}
                    )
                img.verify()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("The image is too large to open safely.")) from None
    except Exception:
        raise ValidationError(_("This file is not a readable image.")) from None
    finally:
        f.seek(0)


def validate_image_or_pdf(f) -> None:
    """For the signed authorisation letter: a photo or a scanned PDF (not encrypted)."""
    _too_big(f)
    f.seek(0)
    head = f.read(5)
    f.seek(0)
    if head != b"%PDF-":
        validate_image(f)
        return
    import pypdfium2 as pdfium

    data = f.read()
    f.seek(0)
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg:
            raise ValidationError(
                _("The PDF is password-protected; upload it without a password.")
            ) from None
        raise ValidationError(_("This PDF cannot be read; it may be damaged.")) from None
    try:
        if len(doc) < 1:
            raise ValidationError(_("The PDF has no pages."))
        if len(doc) > 20:
            raise ValidationError(
                _("The letter has %(n)d pages; at most 20 are accepted.") % {"n": len(doc)}
            )
    finally:
        doc.close()
