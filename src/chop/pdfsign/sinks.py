"""Input and output: the source opened for two passes, and the signed file written safely.

The original bytes are streamed (copied and hashed in one pass) rather than held in memory. A
path destination is written to a temporary file next to it and moved into place only on
success, so a failure never leaves a partial file behind; a stream destination is hashed first
and written only once the signature exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from .errors import PdfSignError

__all__ = ["CHUNK", "open_src", "original_feeder", "write_signed", "file_sha256"]

CHUNK = 1 << 20

Sink = Callable[[bytes], Any]


def open_src(src: Any) -> tuple[BinaryIO, bool, bytes | None]:
    """(seekable binary stream, whether we opened it, the bytes when given in memory)."""
    if isinstance(src, (str, os.PathLike)):
        try:
            return open(src, "rb"), True, None
        except OSError as exc:
            raise PdfSignError(
                f"cannot open {os.fspath(src)}: {exc.strerror}",
                code="cannot_open",
                path=os.fspath(src),
                detail=exc.strerror,
            ) from exc
    if isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
        return io.BytesIO(data), True, data
    if isinstance(src, io.BytesIO):
        src.seek(0)
        return src, False, src.getbuffer().tobytes()
    seekable = getattr(src, "seekable", None)
    if seekable is not None and not seekable():
        # an upload or pipe: spool it (to disk beyond 64 MB) so it can be read twice
        spool = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # noqa: SIM115
        shutil.copyfileobj(src, spool, CHUNK)
        spool.seek(0)
        return spool, True, None  # type: ignore[return-value]  # a binary file in all but name
    src.seek(0)
    return src, False, None


def original_feeder(stream: BinaryIO, data: bytes | None) -> Callable[..., None]:
    """``feed(*sinks)``: copy the original bytes to every sink (hashers, files) in one pass."""

    def feed_original(*sinks: Sink) -> None:
        """Copy the original bytes to every sink (hashers, files) in one streaming pass."""
        if data is not None:
            for sink in sinks:
                sink(data)
            return
        stream.seek(0)
        while chunk := stream.read(CHUNK):
            for sink in sinks:
                sink(chunk)

    return feed_original


def write_signed(
    dst: str | os.PathLike[str] | BinaryIO,
    *,
    feed_original: Callable[..., None],
    finish: Callable[[Any], bytes],
    src_size: int,
    extend: Callable[[str | BinaryIO], None] | None,
) -> tuple[int, str]:
    """Write the original bytes and the signed increment to ``dst``, then ``extend`` (B-LT/LTA)
    if given. ``finish(h)`` signs the hash ``h`` of the original bytes and returns the increment.
    Returns the output's size and SHA-256 (hex)."""
    if isinstance(dst, (str, os.PathLike)):
        dst_path = Path(dst)
        try:
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{dst_path.name}.", suffix=".part", dir=dst_path.parent or "."
            )
        except OSError as exc:
            raise PdfSignError(
                f"cannot write {dst_path}: {exc.strerror}",
                code="cannot_write",
                path=str(dst_path),
                detail=exc.strerror,
            ) from exc
        try:
            with os.fdopen(fd, "wb") as out:
                h, whole = hashlib.sha256(), hashlib.sha256()
                feed_original(h.update, whole.update, out.write)
                final = finish(h)
                out.write(final)
                whole.update(final)
            total = src_size + len(final)
            if extend is not None:
                extend(tmp_name)
                total = os.path.getsize(tmp_name)
                whole = file_sha256(tmp_name)
            os.replace(tmp_name, dst_path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        return total, whole.hexdigest()

    # a binary stream: hash first, write only once the signature exists
    h, whole = hashlib.sha256(), hashlib.sha256()
    feed_original(h.update, whole.update)
    final = finish(h)
    whole.update(final)
    if extend is not None:
        tmp = io.BytesIO()
        feed_original(tmp.write)
        tmp.write(final)
        extend(tmp)
        value = tmp.getvalue()
        dst.write(value)
        return len(value), hashlib.sha256(value).hexdigest()
    feed_original(dst.write)
    dst.write(final)
    return src_size + len(final), whole.hexdigest()


def file_sha256(path: str) -> Any:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h
