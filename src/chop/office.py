"""LibreOffice, run headless, for the apps that turn documents into PDF.

Contracts convert uploaded Word/ODT/RTF files (``chop.contracts.convert``); grants render the
auto-sign authorisation letter from HTML. Both need the same careful runner, so it lives here,
outside the app layers (like ``chop.uploads``):

* the binary is ``CHOP_SOFFICE`` if set, else ``soffice``/``libreoffice`` on PATH;
* every run gets its own temporary directory, LibreOffice profile and ``HOME``, so parallel runs
  never share (or lock) a profile, and everything is deleted afterwards;
* the input is copied under a neutral name (``document.<ext>``): LibreOffice picks its import
  filter partly by extension, and a user's file name must never reach a command line;
* the run is bounded by ``CHOP_CONVERT_TIMEOUT_SECONDS``; LibreOffice starts in its own process
  group, so a timeout kills all of it, helpers included.

LibreOffice does not run document macros on a headless conversion (macro security stays at its
default).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings


class OfficeError(Exception):
    """LibreOffice is missing (``unavailable``), timed out (``timeout``), or wrote nothing
    (``failed``)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def soffice() -> str | None:
    """The LibreOffice binary: ``CHOP_SOFFICE`` if set, else ``soffice`` on PATH, else None."""
    configured = settings.CHOP_SOFFICE
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(
    path: str | os.PathLike,
    ext: str,
    out: str | os.PathLike,
    *,
    binary: str | None = None,
    export_filter: str = "pdf:writer_pdf_Export",
    import_filter: str | None = None,
    timeout: float | None = None,
) -> Path:
    """Convert the file at ``path`` (read as a ``.ext`` file) to a PDF written at ``out``.

    ``binary`` defaults to :func:`soffice`; ``export_filter`` is LibreOffice's ``--convert-to``
    argument; ``import_filter`` its ``--infilter`` (``HTML (StarWriter)`` opens HTML as a Writer
    document, so it gets A4 pages: the web export of an HTML file comes out blank);
    ``timeout`` defaults to ``CHOP_CONVERT_TIMEOUT_SECONDS``. Raises :class:`OfficeError`.
    """
    binary = binary or soffice()
    if binary is None:
        raise OfficeError("unavailable")
    if timeout is None:
        timeout = settings.CHOP_CONVERT_TIMEOUT_SECONDS
    with tempfile.TemporaryDirectory(prefix="chop-soffice-") as work:
        src = Path(work) / f"document.{ext}"
        shutil.copyfile(path, src)
        profile = Path(work) / "profile"
        cmd = [
            binary,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            *([f"--infilter={import_filter}"] if import_filter else []),
            "--convert-to",
            export_filter,
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
            raise OfficeError("unavailable") from None
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise OfficeError("timeout") from None
        produced = Path(work) / "out" / "document.pdf"
        if not produced.is_file() or produced.stat().st_size == 0:
            raise OfficeError("failed")
        target = Path(out)
        shutil.move(produced, target)
        return target


def html_to_pdf(html: str, out: str | os.PathLike) -> Path:
    """An HTML document the platform rendered (a letter, a report) as an A4 PDF at ``out``: it is
    opened as a Writer document (``HTML (StarWriter)``), which gives it pages. Raises
    :class:`OfficeError`."""
    target = Path(out)
    source = target.with_suffix(".html")
    source.write_text(html, encoding="utf-8")
    return to_pdf(source, "html", target, import_filter="HTML (StarWriter)")
