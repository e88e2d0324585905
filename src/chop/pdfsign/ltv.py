"""B-LT and B-LTA: the DSS and a document timestamp, added in further increments by pyHanko."""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO, cast

from .errors import PdfSignError
from .protocols import TimeStamper

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper as PyHankoTimeStamper
    from pyhanko_certvalidator import ValidationContext

__all__ = ["extend"]


def extend(
    target: str | BinaryIO,
    level: str,
    field_name: str,
    timestamper: TimeStamper,
    validation_context: ValidationContext,
) -> None:
    """B-LT: add the DSS for the new signature; B-LTA: then a document timestamp.

    The archive timestamp is pyHanko's ``PdfTimeStamper``, which needs pyHanko's own
    ``TimeStamper`` (every timestamper Chop uses is one), not just the protocol.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
    from pyhanko.sign.validation import add_validation_info

    fh = open(target, "r+b") if isinstance(target, str) else target  # noqa: SIM115
    try:
        fh.seek(0)
        reader = PdfFileReader(fh, strict=False)
        sig = next(s for s in reader.embedded_signatures if s.field_name == field_name)
        try:
            add_validation_info(sig, validation_context, in_place=True)
        except Exception as exc:
            raise PdfSignError(
                f"could not collect validation data for B-LT ({exc})",
                code="ltv_validation_data_failed",
                detail=str(exc),
            ) from exc
        if level == "B-LTA":
            fh.seek(0)
            w = IncrementalPdfFileWriter(fh, strict=False)
            try:
                PdfTimeStamper(cast("PyHankoTimeStamper", timestamper)).timestamp_pdf(
                    w, "sha256", validation_context, in_place=True
                )
            except Exception as exc:
                raise PdfSignError(
                    f"could not add the archive timestamp ({exc})",
                    code="archive_timestamp_failed",
                    detail=str(exc),
                ) from exc
    finally:
        if isinstance(target, str):
            fh.close()
