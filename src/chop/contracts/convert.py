"""Word, ODT and RTF contracts turned into PDF by LibreOffice, when the server has it.

Decision: the conversion runs during the upload request, bounded by
``CHOP_CONVERT_TIMEOUT_SECONDS`` (60 s by default), not in a background task. A typical contract
converts in one to three seconds, and converting inline means a file LibreOffice cannot read is
refused on the upload form itself, with nothing kept, instead of leaving a draft without a
document for a task to fill or fail later. Each run gets its own temporary directory and its own
LibreOffice profile, so parallel uploads do not share (or lock) a profile, and everything is
deleted afterwards. LibreOffice does not run document macros on a headless conversion (macro
security stays at its default), and the PDF it writes then goes through every check an uploaded
PDF gets.

The format is told from the file's bytes, never its name: a ZIP holding ``word/document.xml``
(.docx) or an OpenDocument text ``mimetype`` (.odt), the OLE2 signature (.doc), ``{\\rtf`` (.rtf).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODT_MIME = b"application/vnd.oasis.opendocument.text"
FORMATS = ("docx", "doc", "odt", "rtf")


class ConversionError(Exception):
    """LibreOffice is missing, timed out, or could not produce a PDF (``code`` says which)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def soffice() -> str | None:
    """The LibreOffice binary: ``CHOP_SOFFICE`` if set, else ``soffice`` on PATH, else None."""
    configured = settings.CHOP_SOFFICE
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("soffice") or shutil.which("libreoffice")


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

    The input is copied under a neutral name first: LibreOffice picks its import filter partly by
    extension, and the user's file name must never reach a command line.
    """
    binary = soffice()
    if binary is None:
        raise ConversionError("unavailable")
    if fmt not in FORMATS:
        raise ConversionError("unsupported")
    with tempfile.TemporaryDirectory(prefix="chop-soffice-") as work:
        src = Path(work) / f"document.{fmt}"
        shutil.copyfile(path, src)
        profile = Path(work) / "profile"
        cmd = [
            binary,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(Path(work) / "out"),
            str(src),
        ]
        env = {**os.environ, "HOME": work}
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd=work,
                start_new_session=True,  # its own process group, so a timeout kills all of it
            )
        except OSError:
            raise ConversionError("unavailable") from None
        try:
            proc.wait(timeout=settings.CHOP_CONVERT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise ConversionError("timeout") from None
        produced = Path(work) / "out" / "document.pdf"
        if not produced.is_file() or produced.stat().st_size == 0:
            raise ConversionError("failed")
        target = Path(out_dir) / "converted.pdf"
        shutil.move(produced, target)
        return target
