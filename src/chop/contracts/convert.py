"""Word, ODT and RTF contracts turned into PDF by LibreOffice, when the server has it.

Decision: the conversion runs during the upload request, bounded by
``CHOP_CONVERT_TIMEOUT_SECONDS`` (60 s by default), not in a background task. A typical contract
converts in one to three seconds, and converting inline means a file LibreOffice cannot read is
refused on the upload form itself, with nothing kept, instead of leaving a draft without a
document for a task to fill or fail later. LibreOffice is run by ``chop.office`` (its own
temporary directory and profile per run, a neutral file name, the timeout, no macros), and the
PDF it writes then goes through every check an uploaded PDF gets.

The format is told from the file's bytes, never its name: a ZIP holding ``word/document.xml``
(.docx) or an OpenDocument text ``mimetype`` (.odt), the OLE2 signature (.doc), ``{\\rtf`` (.rtf).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from chop import office

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODT_MIME = b"application/vnd.oasis.opendocument.text"
FORMATS = ("docx", "doc", "odt", "rtf")


class ConversionError(Exception):
    """LibreOffice is missing, timed out, or could not produce a PDF (``code`` says which)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def soffice() -> str | None:
    """The LibreOffice binary (``chop.office.soffice``), or None."""
    return office.soffice()


def available() -> bool:
    return soffice() is not None


def sniff_office(path: str | os.PathLike) -> str | None:
    """``docx``, ``doc``, ``odt`` or ``rtf`` by content, or None for anything else."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(OLE2):
        return "doc"
    if head.lstrip()[:5] == b"{\\rtf":
        return "rtf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                if "word/document.xml" in names:
                    return "docx"
                if "mimetype" in names and z.read("mimetype").strip() == ODT_MIME:
                    return "odt"
        except (zipfile.BadZipFile, OSError, KeyError):
            return None
    return None


def to_pdf(path: str | os.PathLike, fmt: str, out_dir: str | os.PathLike) -> Path:
    """Convert ``path`` (of format ``fmt``) into ``out_dir``; return the PDF's path.

    The run itself (own profile, neutral file name, timeout, process-group kill) is
    ``chop.office.to_pdf``'s.
    """
    binary = soffice()
    if binary is None:
        raise ConversionError("unavailable")
    if fmt not in FORMATS:
        raise ConversionError("unsupported")
    try:
        return office.to_pdf(path, fmt, Path(out_dir) / "converted.pdf", binary=binary)
    except office.OfficeError as exc:
        raise ConversionError(exc.code) from None
