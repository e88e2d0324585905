"""CSV and XLSX exports of a filtered set of stamping records, with flat memory.

Rows come from the database in chunks (``.iterator(chunk_size=...)``, a server-side cursor on
PostgreSQL) and leave as soon as they are formatted: CSV is streamed line by line; XLSX is written
by XlsxWriter in ``constant_memory`` mode (each row flushed to a temporary file as it is written)
into a temporary file that is then streamed. Nothing holds the whole set.

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) get a leading apostrophe in both formats (OWASP's advice for CSV
injection): a party or device name is user-controlled text.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chop.contracts.models import AuthorisationKind, IntentMethod, PositionForm, StampRecord

CHUNK = 2000
FIELDS = (
    "pk",
    "stamped_at",
    "signer_name",
    "party_name",
    "seal_code",
    "seal_kind",
    "seal_name",
    "forms",
    "pages",
    "contract_number",
    "contract_title",
    "base_sha256",
    "signed_sha256",
    "authorisation_kind",
    "authorisation_id",
    "intent_method",
    "certificate_serial",
    "tsa_time",
    "ip",
    "device",
)
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def headers() -> list[str]:
    return [
        _("Record"),
        _("Time"),
        _("Person"),
        _("Party"),
        _("Seal code"),
        _("Seal kind"),
        _("Seal"),
        _("Form"),
        _("Pages"),
        _("Contract number"),
        _("Contract"),
        _("SHA-256 before"),
        _("SHA-256 after"),
        _("Authorisation"),
        _("Authorisation id"),
        _("Intent"),
        _("Certificate serial"),
        _("TSA time"),
        _("IP address"),
        _("Device"),
    ]


def neutralise(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs: a leading apostrophe when needed."""
    return "'" + value if value.startswith(DANGEROUS) else value


def rows(qs: QuerySet[StampRecord]) -> Iterator[list[str]]:
    """Each record as text cells, in FIELDS order, read from the database in chunks."""
    forms = dict(PositionForm.choices)
    kinds = dict(AuthorisationKind.choices)
    intents = dict(IntentMethod.choices)
    tz = timezone.get_current_timezone()
    auto = _("Auto-sign (no person)")
    for r in qs.order_by("-stamped_at", "-pk").values_list(*FIELDS).iterator(chunk_size=CHUNK):
        (pk, at, who, party, code, kind, seal, fms, pages, number, title) = r[:11]
        (base, signed, akind, aid, intent, serial, tsa, ip, device) = r[11:]
        cells = [
            str(pk),
            at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            who or auto,
            party,
            code,
            kind,
            seal,
            " / ".join(str(forms.get(f, f)) for f in fms or []),
            ",".join(str(p) for p in pages or []),
            number,
            title,
            base,
            signed,
            str(kinds.get(akind, akind)),
            "" if aid is None else str(aid),
            str(intents.get(intent, intent)),
            serial,
            tsa.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if tsa else "",
            ip or "",
            device,
        ]
        yield [neutralise(c) for c in cells]


class _Line:
    """A file-like sink for csv.writer that hands back each line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(qs: QuerySet[StampRecord]) -> Iterator[bytes]:
    """The CSV, UTF-8 with a BOM (Excel then reads Chinese correctly), in chunks of lines."""
    writer = csv.writer(_Line())
    buf: list[str] = ["\ufeff", writer.writerow(headers())]
    for cells in rows(qs):
        buf.append(writer.writerow(cells))
        if len(buf) >= 500:
            yield "".join(buf).encode("utf-8")
            buf = []
    if buf:
        yield "".join(buf).encode("utf-8")


def write_xlsx(qs: QuerySet[StampRecord], out: IO[bytes]) -> int:
    """Write the XLSX into ``out`` (a seekable binary file) and return the number of rows."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        out,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    sheet = book.add_worksheet(_("Stamping records")[:31])
    bold = book.add_format({"bold": True})
    for col, title in enumerate(headers()):
        sheet.write_string(0, col, title, bold)
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 19)
    sheet.set_column(2, 10, 16)
    sheet.set_column(11, 12, 24)
    n = 0
    for n, cells in enumerate(rows(qs), start=1):
        for col, value in enumerate(cells):
            sheet.write_string(n, col, value)
    book.close()
    return n


def xlsx_file(qs: QuerySet[StampRecord]) -> tuple[IO[bytes], int]:
    """The XLSX in an anonymous temporary file (in memory up to 1 MB, then on disk), rewound,
    and its size."""
    tmp = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115 - the response closes it
    write_xlsx(qs, tmp)
    size = tmp.tell()
    tmp.seek(0)
    return tmp, size


def file_chunks(fh: IO[bytes], size: int = 64 * 1024) -> Iterable[bytes]:
    try:
        while chunk := fh.read(size):
            yield chunk
    finally:
        fh.close()
