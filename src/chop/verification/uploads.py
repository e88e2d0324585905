"""The verification documents' upload rules, on top of ``chop.uploads``.

ID photos and the business licence are photos; the signed authorisation letter is a photo or a
scanned PDF. Every one is checked by content, re-encoded (photos) or refused when active (PDFs),
and stored under a random name: see ``chop.uploads`` for why.
"""

from __future__ import annotations

from chop.uploads import MB, UploadField

MAX_BYTES = 10 * MB
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is plenty for an ID card or a licence
MIN_SIDE = 200  # smaller than this, nobody can read the card
MAX_LETTER_PAGES = 20

PHOTO_CHECKS = {"max_bytes": MAX_BYTES, "max_pixels": MAX_PIXELS, "min_side": MIN_SIDE}


def photo_field(**kwargs) -> UploadField:
    """An ID card side or the licence: a readable photo."""
    return UploadField(accept="image", checks=PHOTO_CHECKS, **kwargs)


def letter_field(**kwargs) -> UploadField:
    """The signed and stamped authorisation letter: a photo or a plain PDF of at most 20 pages."""
    return UploadField(
        accept="image_or_pdf",
        checks={**PHOTO_CHECKS, "max_pages": MAX_LETTER_PAGES},
        **kwargs,
    )
