"""Verifying signed contracts (``PYTHONPATH=. python -m bench verify``).

Inputs: a 4-page contract signed by Chop 3 and 10 times in a row (act 1 an official seal on a
keyword plus a riding seal over every page, then one seal per act, signers taking turns), B-B and
B-T (the test PKI's in-process TSA), on the classic file and on the same file rewritten by qpdf
with object streams. The trust anchor is the test root; nothing is fetched.

Reference: pyHanko's validator on the same bytes in this process — one ``ValidationContext`` for
the document, ``validate_pdf_signature`` for every signature with ``CHOP_DIFF_POLICY`` (what gives
the same verdicts), the engine's fast hex reader installed for both as ``make bench`` does. Timed
with the garbage collector on, as in the app; the note gives the median CPU time of this process
too, which the other processes on the machine disturb less than the wall clock.
"""

from __future__ import annotations

import gc
import io
import logging
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from . import Bench


def _timed(fn: Callable[[], object], repeat: int, warmup: int = 2) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``fn`` with the garbage collector left on."""
    assert gc.isenabled()
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def _contracts(tmp: Path) -> tuple[dict[str, bytes], object]:
    from tests.support.pdfsign_testing import TestPKI, demo_seal, make_pdf

    from chop import pdfsign as ps

    pki = TestPKI("Chop Bench Verify")
    signers = [
        pki.issue_company("甲方科技有限公司", "9144030071526726XG").signer(),
        pki.issue_company("乙方贸易有限公司", "91110000600037341L").signer(),
        pki.issue_person("张三", "11010519491231002X").signer(),
    ]
    classic = tmp / "classic.pdf"
    classic.write_bytes(make_pdf(4, texts={3: [(90, 200, "Party A (Seal)")]}))
    objstm = tmp / "objstm.pdf"
    qpdf = shutil.which("qpdf")
    sources = {"classic": classic.read_bytes()}
    if qpdf:
        subprocess.run([qpdf, "--object-streams=generate", str(classic), str(objstm)], check=True)
        sources["objstm"] = objstm.read_bytes()
    docs: dict[str, bytes] = {}
    for layout, src in sources.items():
        for level, ts in (("B-B", None), ("B-T", pki.timestamper())):
            doc = src
            for i in range(10):
                if i == 0:
                    marks = [
                        ps.KeywordMark(demo_seal(40), "Party A (Seal)"),
                        ps.RidingMark(demo_seal(40)),
                    ]
                else:
                    marks = [
                        ps.SingleMark(
                            demo_seal(30), 1 + i % 4, 30 + 30 * (i % 5), 60 + 60 * (i // 5)
                        )
                    ]
                out = io.BytesIO()
                opts = ps.SignOptions(timestamper=ts)
                ps.sign(doc, out, signer=signers[i % 3], marks=marks, options=opts)
                doc = out.getvalue()
                if i + 1 in (3, 10):
                    docs[f"{i + 1} {level} {layout}"] = doc
    return docs, pki.root_certificate


def _pyhanko(doc: bytes, roots) -> list:
    """pyHanko's validator over every signature of ``doc`` (the reference)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from chop.pdfsign.policy import CHOP_DIFF_POLICY

    reader = PdfFileReader(io.BytesIO(doc), strict=False)
    vc = ValidationContext(trust_roots=roots, revocation_mode="soft-fail")
    return [
        validate_pdf_signature(s, signer_validation_context=vc, diff_policy=CHOP_DIFF_POLICY)
        for s in reader.embedded_signatures
    ]


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def run(bench: Bench) -> None:
    from chop import pdfsign as ps
    from chop.pdfsign.verify import _load_roots

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    targets = {3: "≤10 ms", 10: "≤30 ms"}
    with tempfile.TemporaryDirectory() as tmp:
        docs, root = _contracts(Path(tmp))
    roots = _load_roots([root])
    for name, doc in docs.items():
        n = int(name.split()[0])
        report = ps.verify(doc, [root])
        assert report.verdict == "valid", report.summary
        assert report.to_dict() == ps.verify(doc, [root], fast=False).to_dict()
        statuses = _pyhanko(doc, roots)
        assert all(s.bottom_line for s in statuses), [s.summary() for s in statuses]
        wall, cpu = _timed(lambda doc=doc: ps.verify(doc, [root]), repeat=30)
        ref_wall, ref_cpu = _timed(lambda doc=doc: _pyhanko(doc, roots), repeat=7 if n > 3 else 15)
        bench.add(
            f"pdfsign: verify {name} signatures",
            wall,
            target=targets[n],
            reference="pyHanko validator",
            reference_ms=ref_wall,
            note=f"CPU {cpu:.1f} ms vs {ref_cpu:.1f} ms ({ref_cpu / cpu:.1f}×); gc on; {_load()}",
        )
