"""The fast page-dictionary reader returns exactly what pyHanko's parser returns, or defers."""

from __future__ import annotations

import io
import os
import subprocess
import sys

from pyhanko.pdf_utils.reader import PdfFileReader

from chop.pdfsign.fastparse import read_simple_object
from tests.support.pdfsign_testing import make_pdf


def _ser(obj) -> bytes:
    buf = io.BytesIO()
    obj.write_to_stream(buf, None)
    return buf.getvalue()


def _same_as_pyhanko(data: bytes) -> int:
    fast = PdfFileReader(io.BytesIO(data), strict=False)
    slow = PdfFileReader(io.BytesIO(data), strict=False)
    n = 0
    for kid_fast, kid_slow in zip(
        fast.root["/Pages"]["/Kids"], slow.root["/Pages"]["/Kids"], strict=True
    ):
        a = read_simple_object(fast, kid_fast)
        b = kid_slow.get_object()
        assert _ser(a) == _ser(b)
        assert type(a) is type(b)
        n += 1
    return n


def test_plain_rotated_cropped_pages():
    assert _same_as_pyhanko(make_pdf(3, rotate=90, crop_box=(1, 2.5, 300.25, -4))) == 3


def test_unusual_syntax_falls_back_or_matches():
    body = (
        b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Count 2/Kids[3 0 R 4 0 R]/MediaBox[0 0 612 792]>>endobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R %comment\n /Rotate -90 /Foo (a string (nested)) "
        b"/Bar <414243> /A#20B 1 /Arr [1 .5 -3. [true false null] << /K /V >>] >>\nendobj\n"
        b"4 0 obj<</Type/Page/Parent 2 0 R/UserUnit 1.0/Annots[]>>endobj\n"
    )
    offsets = [body.index(b"%d 0 obj" % i) for i in (1, 2, 3, 4)]
    xref = len(body)
    body += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    body += b"trailer<</Size 5/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref
    assert _same_as_pyhanko(body) == 2


def test_object_streams(tmp_path):
    src = tmp_path / "in.pdf"
    src.write_bytes(make_pdf(3))
    out = tmp_path / "os.pdf"
    subprocess.run(["qpdf", "--object-streams=generate", str(src), str(out)], check=True)
    assert _same_as_pyhanko(out.read_bytes()) == 3


def _hex_reader_after(code: str) -> str:
    """The module of pyHanko's hex-string reader in a fresh process after running ``code``."""
    probe = "from pyhanko.pdf_utils import generic; print(generic.read_hex_string_from_stream.__module__)"
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\n{probe}"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "chop.settings"},
    )
    return out.stdout.strip().splitlines()[-1]


def test_importing_the_engine_leaves_pyhanko_alone():
    """A library must not change another library on import: only the explicit call does."""
    assert _hex_reader_after("import chop.pdfsign, chop.pdfsign.cli") == "pyhanko.pdf_utils.generic"
    assert (
        _hex_reader_after("import chop.pdfsign; chop.pdfsign.install_fast_reader()")
        == "chop.pdfsign.fastparse"
    )


def test_the_app_installs_the_fast_reader_at_start_up():
    """``chop.seals``' AppConfig.ready switches it on for the whole Django process."""
    assert _hex_reader_after("import django; django.setup()") == "chop.pdfsign.fastparse"


def test_fast_hex_strings_match_pyhanko(fast_reader):
    """The installed hex-string reader gives pyHanko's results and errors, byte for byte."""
    import pytest
    from pyhanko.pdf_utils import generic, misc

    from chop.pdfsign import fastparse

    assert generic.read_hex_string_from_stream is fastparse._fast_hex
    original = fastparse._original_read_hex
    cases = [
        b"<48656c6c6f> rest",
        b"<48 65\n6c\r6c\t6f\x00> rest",
        b"<4865 6c6c 6f2> rest",  # odd length: padded with 0
        b"<> rest",
        b"<FEFF00410042> rest",  # UTF-16 text string
        b"<48 % a comment\n 65> rest",  # comment inside: handed to pyHanko
        b"<" + b"0" * 200_000 + b"ab> rest",  # longer than one read
    ]
    for raw in cases:
        a, b = io.BytesIO(raw), io.BytesIO(raw)
        fast, slow = fastparse._fast_hex(a), original(b)
        assert type(fast) is type(slow) and fast == slow and a.tell() == b.tell(), raw[:40]
    for bad in (b"<48zz>", b"<4865"):
        with pytest.raises(misc.PdfError):
            original(io.BytesIO(bad))
        with pytest.raises(misc.PdfError):
            fastparse._fast_hex(io.BytesIO(bad))
