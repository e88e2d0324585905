"""Uploaded files that can never run: checked by content, re-encoded or refused, stored under a
random name, served back only with headers that stop a browser from executing them.

Every app that accepts a file (verification documents today, contracts and seal artwork next)
goes through here, so the rules of PRODUCT.md §7 hold in one place:

- the type comes from the first bytes of the file, never from its name or the browser's
  Content-Type; the stored name is random with the extension of that detected type;
- images are decoded and written again by Pillow, which drops anything appended or embedded
  (an HTML page after the PNG's IEND, EXIF with its GPS position) while keeping what an operator
  needs to read (pixels, turned upright by the EXIF orientation first);
- a PDF is kept byte for byte (it may carry signatures the reader must see) but refused when it
  could act on its own: JavaScript, an OpenAction (other than a plain destination), additional
  actions (/AA), launch actions,
  embedded or attached files, and encryption of any kind, owner-password-only included (pdfium
  opens those without a password, so a password check alone lets them through);
- ``file_response`` serves a stored file with ``nosniff``, a ``sandbox`` CSP with nothing allowed,
  and as an attachment unless it is an image of the type its bytes say.

Django-aware (ValidationError, ContentFile, responses) but no models: callers keep their fields.
"""

from __future__ import annotations

import io
import os
import secrets
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

MB = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    """A type we accept, as detected from content: its MIME type, stored extension, Pillow name."""

    mime: str
    ext: str
    pillow: str = ""

    @property
    def is_image(self) -> bool:
        return bool(self.pillow)


PNG = FileType("image/png", "png", "PNG")
JPEG = FileType("image/jpeg", "jpg", "JPEG")
WEBP = FileType("image/webp", "webp", "WEBP")
PDF = FileType("application/pdf", "pdf")
IMAGE_TYPES = (PNG, JPEG, WEBP)


def detect(head: bytes) -> FileType | None:
    """The type of a file from its first bytes (magic numbers), or ``None`` for anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def random_name(ftype: FileType) -> str:
    """A stored name that says nothing about the uploader and cannot be guessed."""
    return f"{secrets.token_hex(16)}.{ftype.ext}"


def _read(f, max_bytes: int) -> bytes:
    """The upload's bytes, refusing it first by its size (no parsing of an oversized file)."""
    size = getattr(f, "size", None)
    if size is not None and size > max_bytes:
        raise _too_big(size, max_bytes)
    f.seek(0)
    data = f.read(max_bytes + 1)
    f.seek(0)
    if len(data) > max_bytes:
        raise _too_big(len(data), max_bytes)
    return data


def _too_big(size: int, limit: int) -> ValidationError:
    return ValidationError(
        _("The file is %(size).1f MB; the limit is %(limit)d MB.")
        % {"size": size / MB, "limit": limit // MB},
        code="too_big",
    )


# --- images -----------------------------------------------------------------------------------


def clean_image(
    f, *, max_bytes: int = 10 * MB, max_pixels: int = 40_000_000, min_side: int = 0
) -> ContentFile:
    """A JPEG, PNG or WebP photo, decoded and written again; raises ValidationError otherwise.

    Returns a new file under a random name: only pixels survive, so bytes appended to the image
    (an HTML page, a ZIP) or hidden in metadata are gone, and EXIF (GPS, camera serial) with them.
    """
    data = _read(f, max_bytes)
    ftype = detect(data[:16])
    if ftype is None or not ftype.is_image:
        raise ValidationError(_("Upload a JPEG, PNG or WebP photo."), code="type")
    return _reencode(data, ftype, max_pixels=max_pixels, min_side=min_side)


def _reencode(data: bytes, ftype: FileType, *, max_pixels: int, min_side: int) -> ContentFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[ftype.pillow]) as img:
                w, h = img.size
                if w * h > max_pixels:
                    raise ValidationError(
                        _("The image is %(w)d×%(h)d pixels; that is too large.") % {"w": w, "h": h},
                        code="pixels",
                    )
                if min(w, h) < min_side:
                    raise ValidationError(
                        _("The image is too small to read (%(w)d×%(h)d pixels).")
                        % {"w": w, "h": h},
                        code="small",
                    )
                img.load()
                upright = ImageOps.exif_transpose(img)
                # Pillow carries some of ``info`` (JPEG comments, ICC, EXIF, XMP) into the saved
                # file; an empty ``info`` leaves only pixels for ``_save`` to write.
                upright.info = {}
                out = io.BytesIO()
                _save(upright, ftype, out)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("The image is too large to open safely."), code="bomb") from None
    except Exception:
        raise ValidationError(_("This file is not a readable image."), code="unreadable") from None
    return ContentFile(out.getvalue(), name=random_name(ftype))


def _save(img: Image.Image, ftype: FileType, out: io.BytesIO) -> None:
    """Write only the pixels: no EXIF, XMP, ICC or text chunks are passed on."""
    if ftype is JPEG:
        if img.mode not in ("RGB", "L", "CMYK"):
            img = img.convert("RGB")
        img.save(out, "JPEG", quality=92, optimize=True)
    elif ftype is WEBP:
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        img.save(out, "WEBP", quality=92, method=4)
    else:
        if img.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            img = img.convert("RGBA")
        img.save(out, "PNG", optimize=False)


# --- PDFs -------------------------------------------------------------------------------------

# Keys that make a PDF act by itself when opened or clicked, with the message for each.
_ACTIVE_KEYS = {
    "/JS": "javascript",
    "/JavaScript": "javascript",
    "/OpenAction": "open_action",
    "/AA": "open_action",
    "/EmbeddedFiles": "embedded",
    "/EmbeddedFile": "embedded",
    "/EF": "embedded",
    "/RichMedia": "embedded",
    "/XFA": "javascript",
}
# Action types (/S) and annotation subtypes that are refused wherever they appear.
_ACTIVE_TYPES = {
    "/Launch": "launch",
    "/JavaScript": "javascript",
    "/SubmitForm": "launch",
    "/ImportData": "launch",
    "/GoToE": "embedded",
    "/EmbeddedFile": "embedded",
    "/FileAttachment": "embedded",
    "/RichMedia": "embedded",
}
MAX_PDF_OBJECTS = 200_000


def _pdf_refusal(reason: str) -> ValidationError:
    messages = {
        "javascript": _(
            "The PDF contains JavaScript; upload a plain scan or print it to PDF again."
        ),
        "open_action": _(
            "The PDF runs an action when opened; upload a plain scan or print it to PDF again."
        ),
        "launch": _(
            "The PDF can start programs or send data; upload a plain scan or print it to PDF again."
        ),
        "embedded": _(
            "The PDF carries embedded or attached files; upload the letter alone as a plain PDF."
        ),
        "encrypted": _(
            "The PDF is encrypted or password-protected; upload it without any password or "
            "restrictions."
        ),
        "unreadable": _("This PDF cannot be read; it may be damaged."),
        "complex": _("This PDF is too complex to check; upload a plain scan."),
    }
    return ValidationError(messages[reason], code=f"pdf_{reason}")


def check_pdf(data: bytes | BinaryIO) -> None:
    """Refuse a PDF that is encrypted or could run, launch or carry anything; see module doc.

    pyHanko's reader parses the structure (names with ``#xx`` escapes, object streams), then every
    object reachable from the trailer is visited, so a key hidden in a compressed object stream or
    a page's annotation is found as well as one in the catalogue. ``data`` may be a seekable
    binary file: the reader then reads objects from it on demand instead of holding the bytes.
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

    stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    try:
        reader = PdfFileReader(stream, strict=False)
        trailer = reader.trailer_view
    except Exception:
        raise _pdf_refusal("unreadable") from None
    if "/Encrypt" in trailer or reader.encrypted:
        raise _pdf_refusal("encrypted")

    seen: set[tuple[int, int]] = set()
    stack: list = [trailer]
    visited = 0
    try:
        while stack:
            obj = stack.pop()
            if isinstance(obj, generic.IndirectObject):
                key = (obj.idnum, obj.generation)
                if key in seen:
                    continue
                seen.add(key)
                obj = obj.get_object()
            visited += 1
            if visited > MAX_PDF_OBJECTS:
                raise _pdf_refusal("complex")
            if isinstance(obj, generic.DictionaryObject):
                for name, value in obj.items():
                    if name in _ACTIVE_KEYS and not _harmless(name, value):
                        raise _pdf_refusal(_ACTIVE_KEYS[name])
                    if name in ("/S", "/Subtype", "/Type") and value in _ACTIVE_TYPES:
                        raise _pdf_refusal(_ACTIVE_TYPES[value])
                    stack.append(value)
            elif isinstance(obj, generic.ArrayObject):
                stack.extend(obj)
    except ValidationError:
        raise
    except Exception:
        raise _pdf_refusal("unreadable") from None


def _harmless(name: str, value) -> bool:
    """An empty /XFA, or an /OpenAction that is only a destination (an array: "open at page 1,
    fit width", as LibreOffice writes in every PDF it exports). An action dictionary is not."""
    if name == "/XFA":
        return _empty(value)
    if name == "/OpenAction":
        from pyhanko.pdf_utils import generic

        try:
            return isinstance(value.get_object(), generic.ArrayObject)
        except Exception:
            return False
    return False


def _empty(value) -> bool:
    try:
        return len(value.get_object()) == 0
    except Exception:
        return False


def clean_pdf(f, *, max_bytes: int = 10 * MB, max_pages: int = 20) -> ContentFile:
    """A PDF that opens without a password, has 1…``max_pages`` pages and nothing active."""
    data = _read(f, max_bytes)
    if detect(data[:16]) is not PDF:
        raise ValidationError(_("Upload a PDF."), code="type")
    return _checked_pdf(data, max_pages)


def _checked_pdf(data: bytes, max_pages: int) -> ContentFile:
    check_pdf(data)
    _pdf_pages(data, max_pages)
    return ContentFile(data, name=random_name(PDF))


def check_pdf_file(path: str | os.PathLike, *, max_pages: int) -> int:
    """``check_pdf`` and the page limit for a PDF on disk (a large upload's temporary file),
    read from the file as needed rather than loaded whole; returns the page count."""
    with open(path, "rb") as fh:
        if detect(fh.read(16)) is not PDF:
            raise ValidationError(_("Upload a PDF."), code="type")
        fh.seek(0)
        check_pdf(fh)
    return _pdf_pages(os.fspath(path), max_pages)


def _pdf_pages(src: bytes | str, max_pages: int) -> int:
    """Open with pdfium (a path is read lazily); refuse no pages or more than ``max_pages``."""
    import pypdfium2 as pdfium

    from chop.pdfium_lock import PDFIUM

    with PDFIUM:  # pdfium is not thread-safe: see chop.pdfium_lock
        try:
            doc = pdfium.PdfDocument(src)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise _pdf_refusal("encrypted") from None
            raise _pdf_refusal("unreadable") from None
        try:
            pages = len(doc)
        finally:
            doc.close()
    if pages < 1:
        raise ValidationError(_("The PDF has no pages."), code="pdf_empty")
    if pages > max_pages:
        raise ValidationError(
            _("The PDF has %(n)d pages; at most %(max)d are accepted.")
            % {"n": pages, "max": max_pages},
            code="pdf_pages",
        )
    return pages


def clean_image_or_pdf(
    f,
    *,
    max_bytes: int = 10 * MB,
    max_pixels: int = 40_000_000,
    min_side: int = 0,
    max_pages: int = 20,
) -> ContentFile:
    """A photo (re-encoded) or a PDF (checked), by what the bytes are; anything else refused."""
    data = _read(f, max_bytes)
    ftype = detect(data[:16])
    if ftype is PDF:
        return _checked_pdf(data, max_pages)
    if ftype is None:
        raise ValidationError(_("Upload a JPEG, PNG or WebP photo, or a PDF."), code="type")
    return _reencode(data, ftype, max_pixels=max_pixels, min_side=min_side)


# --- serving ----------------------------------------------------------------------------------

SANDBOX_CSP = "default-src 'none'; sandbox"


def file_response(
    field_file, *, download_name: str = "file", inline_images: bool = True
) -> FileResponse:
    """Serve a stored upload so that it can only ever be looked at, never run.

    The type is taken again from the stored bytes (files stored before this module kept the
    client's name). An image of a known type is shown inline with its own Content-Type; anything
    else, PDFs included, is an attachment (``application/octet-stream`` unless it is a PDF), so
    the browser saves it instead of rendering it on our origin. Always ``nosniff`` and a CSP that
    sandboxes the document and allows no script. ``download_name`` is the stem the user sees.
    """
    fh = field_file.open("rb") if hasattr(field_file, "open") else field_file
    head = fh.read(16)
    fh.seek(0)
    ftype = detect(head)
    inline = inline_images and ftype is not None and ftype.is_image
    mime = ftype.mime if ftype is not None else "application/octet-stream"
    ext = ftype.ext if ftype is not None else "bin"
    response = FileResponse(
        fh, content_type=mime, as_attachment=not inline, filename=f"{download_name}.{ext}"
    )
    return harden_file_headers(response)


def harden_file_headers(response):
    """The headers every served upload (or generated private file) carries."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- forms ------------------------------------------------------------------------------------


class UploadField(forms.FileField):
    """A form file field whose cleaned value is the checked, re-encoded file under a random name.

    ``accept`` is "image" (photos) or "image_or_pdf"; keyword options go to ``clean_image`` /
    ``clean_image_or_pdf``. Views and services receive a ``ContentFile`` they can assign to a
    model ``FileField`` as before: the ``upload_to`` folder stays, the name is the random one.
    """

    ACCEPT = {
        "image": "image/png,image/jpeg,image/webp",
        "image_or_pdf": "image/png,image/jpeg,image/webp,application/pdf",
    }

    def __init__(self, *, accept: str = "image", checks: dict | None = None, **kwargs):
        if accept not in self.ACCEPT:
            raise ValueError(f"unknown accept={accept!r}")
        self.accept, self.checks = accept, dict(checks or {})
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": self.ACCEPT[accept]}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if not value or value is initial:
            return value
        if self.accept == "image":
            return clean_image(value, **self.checks)
        return clean_image_or_pdf(value, **self.checks)
