"""The lazy reader (``objstore.FastReader``) and pyHanko's reader give the same increments.

Each input is signed twice with the same key, time and /ID: once as ``sign`` reads by default,
once with every object read through pyHanko (``document.FAST_READER = False``). The outputs
must be the same bytes; the tests also check which reader each run used, so a silent fallback
to pyHanko cannot make them pass.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from chop import pdfsign as ps
from chop.pdfsign import document
from chop.pdfsign.increment import serialize
from chop.pdfsign.objstore import FastReader, Unusual
from tests.pdfsign.test_bad_input import _hybrid
from tests.support.pdfsign_testing import make_pdf

WHEN = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)
INLINE_ANNOT = b"/Annots [<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (note) >>]"


@pytest.fixture(autouse=True)
def fixed_id(monkeypatch):
    """The second half of the new /ID is random; fixed here so two runs can be compared."""
    monkeypatch.setattr("chop.pdfsign.increment.secrets.token_bytes", lambda n: b"\x07" * n)


def _qpdf(data: bytes, *args: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "in.pdf"), Path(tmp, "out.pdf")
        src.write_bytes(data)
        subprocess.run(["qpdf", str(src), *args, str(dst)], check=True, capture_output=True)
        return dst.read_bytes()


def _objstm(data: bytes) -> bytes:
    out = _qpdf(data, "--object-streams=generate")
    assert b"/ObjStm" in out
    return out


def _sign(data: bytes, signer, marks, *, fast: bool, monkeypatch) -> bytes:
    monkeypatch.setattr(document, "FAST_READER", fast)
    assert document.InputDocument(io.BytesIO(data)).fast is fast
    out = io.BytesIO()
    ps.sign(data, out, signer=signer, marks=marks, options=ps.SignOptions(level="B-B", when=WHEN))
    return out.getvalue()


def _both(data: bytes, signer, marks, monkeypatch) -> bytes:
    fast = _sign(data, signer, marks, fast=True, monkeypatch=monkeypatch)
    slow = _sign(data, signer, marks, fast=False, monkeypatch=monkeypatch)
    assert fast[: len(data)] == data
    assert fast == slow, "the two readers wrote different increments"
    return fast


def _marks(seal):
    return [ps.SingleMark(seal, 2, 20, 20), ps.RidingMark(seal)]


def _inputs() -> dict[str, bytes]:
    classic = make_pdf(5, rotate=90, page_extra={1: INLINE_ANNOT})
    return {"classic": classic, "object streams": _objstm(classic)}


@pytest.mark.parametrize("kind", ["classic", "object streams"])
def test_same_increment_first_and_second_act(
    kind, signer_a, signer_b, seal, monkeypatch, tmp_path, assert_signed_ok
):
    data = _inputs()[kind]
    once = _both(data, signer_a, _marks(seal), monkeypatch)
    # the first act made the inline annotation indirect, in both readings
    assert b"/Subtype /Text" in once[len(data) :]
    # a second act reads an incrementally updated file (a /Prev chain)
    twice = _both(
        once, signer_b, [ps.MultiPageMark(seal, "all", 240, 150, size_mm=20)], monkeypatch
    )
    if kind == "object streams":
        assert b"/Type /XRef" in twice[len(once) :]
    out = tmp_path / "out.pdf"
    out.write_bytes(twice)
    assert_signed_ok(out, 2)


@pytest.mark.parametrize("listed_free", [False, True])
def test_same_increment_hybrid_reference_file(listed_free, signer_a, seal, monkeypatch):
    base = make_pdf(3)
    data = _hybrid(base)
    if listed_free:
        # as Word writes them: the table also lists the compressed object, as free
        info = int(base[base.rindex(b"/Size") + 6 :].split()[0])
        old = b"xref\n%d 1\n" % (info + 1)
        assert data.count(old) == 1
        data = data.replace(old, b"xref\n%d 2\n0000000000 65535 f \n" % info)
    reader = FastReader(io.BytesIO(data))
    info = reader.trailer_view["/Info"]
    assert info["/Title"] == "Hybrid"  # read from the object stream the /XRefStm points at
    assert reader._slow_reader is None  # by the lazy reader itself
    _both(data, signer_a, _marks(seal), monkeypatch)


def test_broken_object_offset_defers_that_object_to_pyhanko(signer_a, seal, monkeypatch):
    """A table row that points a few bytes off: both readings give the same result."""
    data = make_pdf(3)
    page2 = data.index(b"/Type /Page ", data.index(b"/Type /Page ") + 1)
    num = int(re.findall(rb"(\d+) 0 obj", data[:page2])[-1])
    table = data.rindex(b"\nxref\n") + 1
    row = data.index(b"\n", table + 5) + 1 + 20 * num  # rows start after "xref\n0 N\n"
    off = int(data[row : row + 10])
    broken = data[:row] + b"%010d" % (off + 3) + data[row + 10 :]
    reader = FastReader(io.BytesIO(broken))
    assert reader._read(generic.Reference(num, 0, reader)) is None  # not read at a wrong place
    results = []
    for fast in (True, False):
        monkeypatch.setattr(document, "FAST_READER", fast)
        try:
            results.append(
                _sign(broken, signer_a, _marks(seal), fast=fast, monkeypatch=monkeypatch)
            )
        except ps.PdfSignError as exc:
            results.append(exc.code)
    assert results == ["broken_page_tree", "broken_page_tree"]  # refused alike, nothing written


def test_encrypted_file_is_still_refused(signer_a, seal, monkeypatch):
    enc = _qpdf(make_pdf(2), "--encrypt", "user", "owner", "256", "--")
    for fast in (True, False):
        monkeypatch.setattr(document, "FAST_READER", fast)
        with pytest.raises(ps.EncryptedPdfError, match="encrypted"):
            ps.sign(enc, io.BytesIO(), signer=signer_a, marks=_marks(seal))
    # the lazy reader does not take it: pyHanko opens it and the refusal is its usual one
    with pytest.raises(Unusual, match="encrypted"):
        FastReader(io.BytesIO(enc))


def _ser(obj) -> bytes:
    buf = io.BytesIO()
    obj.write_to_stream(buf, None)
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["classic", "object streams"])
def test_every_object_reads_as_pyhanko_reads_it(kind):
    data = _inputs()[kind]
    fast = FastReader(io.BytesIO(data))
    slow = PdfFileReader(io.BytesIO(data), strict=False)
    size = int(slow.trailer_view["/Size"])
    read_fast = 0
    for num in range(1, size):
        a = fast._read(generic.Reference(num, 0, fast))
        b = slow.get_object(generic.Reference(num, 0, slow))
        if a is None:  # streams are left to pyHanko
            assert isinstance(b, generic.StreamObject), num
            continue
        read_fast += 1
        assert type(a) is type(b), num
        assert _ser(a) == _ser(b), num
        assert serialize(b) == _ser(b), num
    assert read_fast >= 5 + 5  # pages, nodes, fonts, catalog: all read without pyHanko
    assert _ser(fast.trailer_view["/ID"]) == _ser(slow.trailer_view["/ID"])
    assert fast.last_startxref == slow.last_startxref


def test_only_the_needed_object_stream_is_decompressed():
    data = _objstm(make_pdf(400))
    reader = FastReader(io.BytesIO(data))
    doc = document.InputDocument(io.BytesIO(data))
    assert doc.page_count == 400
    streams = {
        e[1] for s in reader.sections for e in [s.get(n) for n in range(1, 900)] if e and e[0] == 2
    }
    assert len(streams) > 2  # qpdf groups at most 100 objects per stream
    reader.root  # noqa: B018 - reads the catalog only
    assert len(reader._objstms) == 1


def test_serialize_writes_what_pyhanko_writes():
    g = generic
    tricky = g.DictionaryObject(
        {
            g.NameObject("/A B"): g.NameObject("/#x"),
            g.NameObject("/Ünï"): g.ArrayObject([g.FloatObject("1.50"), g.FloatObject("-2")]),
            g.NameObject("/N"): g.ArrayObject(
                [g.NumberObject(-7), g.BooleanObject(False), g.NullObject()]
            ),
            g.NameObject("/S"): g.TextStringObject("(x) \\ 印"),
            g.NameObject("/R"): g.IndirectObject(12, 3, None),
            g.NameObject("/D"): g.DictionaryObject({g.NameObject("/E"): g.ArrayObject()}),
        }
    )
    assert serialize(tricky) == _ser(tricky)
    assert b"/A#20B" in serialize(tricky)
    for text in ("", "Signature1 seal-2", "a(b)\\c ~!", "Ünï", "印章", "tab\there"):
        t = g.TextStringObject(text)
        assert serialize(t) == _ser(t), text
    assert serialize(g.TextStringObject("x-1")) == rb"(x\0551)"
