"""Benchmarks for ``chop.pdfsign`` (``make bench`` / ``PYTHONPATH=. python -m bench pdfsign``).

Every signing input is made twice: with a classic cross-reference table (``make_pdf``) and
rewritten by ``qpdf --object-streams=generate`` (cross-reference stream, page dictionaries in
object streams: what qpdf and most PDF 1.5+ producers write). Both are reported.

Two references run in this process on the same PDF and key, both with a visible image seal:

* **pyHanko default**: its documented path, ``SimpleSigner.load`` from PEM files, ``PdfSigner``
  with a ``StaticStampStyle`` image stamp, ``sign_pdf`` into memory;
* **pyHanko best**: the same with the key loaded once into a ``Signer`` subclass that holds it
  (``cryptography`` signs), ``bytes_reserved`` given, the stamp style and its image made once.

The signing rows are timed with the garbage collector on, as the application runs; Chop's own
median with it off is in the note. All keys are RSA-2048 with a three-certificate chain.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from pathlib import Path

_CHILD = """
import sys
def hwm():
    # VmHWM is per address space, so unlike ru_maxrss it does not inherit the parent's peak
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
from chop import pdfsign as ps
from tests.support.pdfsign_testing import TestPKI, demo_seal
ps.install_fast_reader()
pki = TestPKI("Child"); signer = pki.issue_company("C", "9144030071526726XG").signer()
seal = demo_seal(30)
base = hwm()
ps.sign(sys.argv[1], sys.argv[2], signer=signer, options=ps.SignOptions(level="B-B"),
        marks=[ps.MultiPageMark(seal, sys.argv[3], 160, 250)])
print(hwm(), base)
"""


def _load() -> str:
    """The 1-minute load average: on a shared 2-core machine it explains most of the spread."""
    return f"load {os.getloadavg()[0]:.1f}"


def _child_peak(src: Path, dst: Path, pages: str) -> tuple[float, float]:
    """Peak RSS (MB) of a fresh process signing ``src``, and its RSS before signing."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(src), str(dst), pages],
        capture_output=True,
        text=True,
        check=True,
    )
    peak, base = (float(v) for v in out.stdout.split())
    return peak, base


def _bench_tsa_token(bench, ca):
    """One RFC 3161 token from the built-in TSA, as B-T signing asks for it in-process, against
    the same authority building it through pyHanko's generic CMS signer (the former path)."""
    import asyncio
    import hashlib

    from chop.pki.tsa import LocalTimeStamper, TimeStampAuthority

    fast = ca.timestamper()
    slow_tsa = TimeStampAuthority(ca.tsa().signer, ca.config["tsa_policy"])
    slow_tsa._builder = None  # what the authority does for a key it cannot hold (PKCS#11)
    slow = LocalTimeStamper(slow_tsa)
    digest = hashlib.sha256(b"signature value").digest()

    def token(ts):
        return lambda: asyncio.run(ts.async_timestamp(digest, "sha256"))

    bench.add(
        "pki: built-in TSA token, in-process (RSA-2048)",
        bench.median_ms(token(fast), repeat=200),
        target="≤3 ms",
        reference="pyHanko CMS",
        reference_ms=bench.median_ms(token(slow), repeat=30),
        note=f"DER parts encoded once per authority; TimeStamper request+check included; {_load()}",
    )
    return slow


def _throughput(act, *, processes: int, seconds: float) -> tuple[float, list[int]]:
    """Acts per second of ``processes`` forked processes each calling ``act`` for ``seconds``
    (after one warm-up call each), summed."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    start = ctx.Barrier(processes)

    def worker() -> None:
        act()
        start.wait()
        n, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            act()
            n += 1
        results.put(n)

    procs = [ctx.Process(target=worker) for _ in range(processes)]
    for p in procs:
        p.start()
    counts = [results.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    return sum(counts) / seconds, counts


def _object_streams(data: bytes, tmp: Path) -> bytes:
    """``data`` rewritten by qpdf with object streams and a cross-reference stream."""
    import subprocess

    src, dst = tmp / "qpdf-in.pdf", tmp / "qpdf-out.pdf"
    src.write_bytes(data)
    subprocess.run(
        ["qpdf", "--object-streams=generate", str(src), str(dst)], check=True, capture_output=True
    )
    out = dst.read_bytes()
    assert b"/ObjStm" in out and b"/XRef" in out
    return out


def _key_holder_class():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from pyhanko.sign import signers

    class KeyHolder(signers.Signer):
        """pyHanko at its best: a ``Signer`` subclass holding an already loaded key."""

        def __init__(self, ident) -> None:
            from asn1crypto import algos
            from asn1crypto import x509 as asn1_x509
            from cryptography.hazmat.primitives.serialization import Encoding
            from pyhanko_certvalidator.registry import SimpleCertificateStore

            def der(c):
                return asn1_x509.Certificate.load(c.public_bytes(Encoding.DER))

            super().__init__(
                signing_cert=der(ident.certificate),
                cert_registry=SimpleCertificateStore.from_certs([der(c) for c in ident.chain]),
                signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
            )
            self._key = ident.key

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
            if dry_run:
                return bytes(256)
            return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    return KeyHolder


def _key_holder(ident):
    return _key_holder_class()(ident)


def run(bench) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle
    from tests.support.pdfsign_testing import TestPKI, demo_seal, demo_seal_png, make_pdf

    from chop import pdfsign as ps

    tmp = Path(tempfile.mkdtemp(prefix="chop-bench-pdfsign-"))
    pki = TestPKI("Chop Bench")
    ident = pki.issue_company("甲方科技有限公司", "9144030071526726XG")
    (tmp / "key.pem").write_bytes(ident.key_pem())
    (tmp / "cert.pem").write_bytes(ident.cert_pem())
    (tmp / "chain.pem").write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in ident.chain))
    (tmp / "seal.png").write_bytes(demo_seal_png(472))  # 40 mm at 300 dpi
    signer = ident.signer()
    seal = demo_seal(40)
    one = make_pdf(1)

    # --- the references -------------------------------------------------------------
    best_signer = _key_holder(ident)
    best_stamp = StaticStampStyle(background=PdfImage(str(tmp / "seal.png")))

    def pyhanko_default(data: bytes) -> bytes:
        s = signers.SimpleSigner.load(
            str(tmp / "key.pem"), str(tmp / "cert.pem"), ca_chain_files=(str(tmp / "chain.pem"),)
        )
        w = IncrementalPdfFileWriter(io.BytesIO(data))
        pdf_signer = signers.PdfSigner(
            signers.PdfSignatureMetadata(field_name="Sig1"),
            signer=s,
            stamp_style=StaticStampStyle(background=PdfImage(str(tmp / "seal.png"))),
            new_field_spec=fields.SigFieldSpec("Sig1", box=(57, 672, 170, 785)),
        )
        return pdf_signer.sign_pdf(w).getvalue()

    def pyhanko_best(data: bytes) -> bytes:
        w = IncrementalPdfFileWriter(io.BytesIO(data))
        pdf_signer = signers.PdfSigner(
            signers.PdfSignatureMetadata(field_name="Sig1"),
            signer=best_signer,
            stamp_style=best_stamp,
            new_field_spec=fields.SigFieldSpec("Sig1", box=(57, 672, 170, 785)),
        )
        return pdf_signer.sign_pdf(w, bytes_reserved=16384).getvalue()

    def ours(data: bytes, marks) -> bytes:
        out = io.BytesIO()
        ps.sign(data, out, signer=signer, marks=marks, options=ps.SignOptions(level="B-B"))
        return out.getvalue()

    def row(name: str, fn, *, target: str = "", refs: bool = True, repeat: int = 30, **ref_kw):
        """Chop's median (GC on; GC off in the note) against both references on one input."""
        our = bench.median_ms(fn, repeat=repeat, gc_on=True)
        our_off = bench.median_ms(fn, repeat=repeat)
        cpu = bench.median_ms(fn, repeat=repeat, gc_on=True, clock=time.process_time)
        note = f"GC off {our_off:.2f} ms; CPU {cpu:.2f} ms"
        best_ms = None
        if refs:
            data = ref_kw["data"]
            best_ms = bench.median_ms(lambda: pyhanko_best(data), repeat=7, gc_on=True)
            best_cpu = bench.median_ms(
                lambda: pyhanko_best(data), repeat=7, gc_on=True, clock=time.process_time
            )
            default_ms = bench.median_ms(lambda: pyhanko_default(data), repeat=5, gc_on=True)
            note += (
                f" (pyHanko best CPU {best_cpu:.1f} ms, {best_cpu / cpu:.1f}×)"
                f"; pyHanko default {default_ms:.1f} ms ({default_ms / our:.0f}×)"
            )
        bench.add(
            name,
            our,
            target=target,
            reference="pyHanko best" if refs else "",
            reference_ms=best_ms,
            note=f"{note}; {_load()}",
        )

    hundred, thousand = make_pdf(100), make_pdf(1000)
    inputs = {
        "classic xref": (one, hundred, thousand),
        "object streams": tuple(_object_streams(d, tmp) for d in (one, hundred, thousand)),
    }
    page1 = [ps.SingleMark(seal, 1, 20, 20)]
    riding = [ps.SingleMark(seal, 1, 20, 20), ps.RidingMark(seal, "right", pages="all")]
    every = [ps.MultiPageMark(seal, "all", 160, 250, size_mm=30)]
    for kind, (d1, d100, d1000) in inputs.items():
        row(
            f"pdfsign: 1 page, 1 visible seal, B-B ({kind})",
            lambda d=d1: ours(d, page1),
            repeat=100,
            data=d1,
        )
        row(
            f"pdfsign: 1000 pages, 1 seal on page 1, B-B ({kind})",
            lambda d=d1000: ours(d, page1),
            target="≤15 ms" if kind == "classic xref" else "≤20 ms",
            data=d1000,
        )
        row(
            f"pdfsign: 100 pages, riding seal + 1 seal, B-B ({kind})",
            lambda d=d100: ours(d, riding),
            target="≤15 ms",
            refs=False,
        )
        row(
            f"pdfsign: 1000 pages, seal on every page, B-B ({kind})",
            lambda d=d1000: ours(d, every),
            target="≤150 ms",
            refs=False,
            repeat=7,
        )

    # the same with a typical provenance signed in (what every stamp in the app carries)
    provenance = {
        "v": 1,
        "platform": "Chop",
        "seal": {"code": "4279614383800", "kind": "official", "image_sha256": "ab" * 32},
        "authorisation": {
            "kind": "approval",
            "id": 1234,
            "by": [{"id": 7, "name": "甲方老板"}, {"id": 9, "name": "甲方印章管理员"}],
            "at": "2026-12-06T08:00:00Z",
        },
        "intent": {"method": "password", "at": "2026-12-06T08:05:00Z"},
    }

    def ours_provenance() -> None:
        ps.sign(
            one,
            io.BytesIO(),
            signer=signer,
            marks=[ps.SingleMark(seal, 1, 20, 20)],
            options=ps.SignOptions(level="B-B", provenance=provenance),
        )

    bench.add(
        "pdfsign: 1 page, 1 visible seal, B-B, with provenance",
        bench.median_ms(ours_provenance, repeat=100),
        note=f"signed CMS attribute of canonical JSON; {_load()}",
    )

    # B-T with the platform CA's own signer and in-process TSA when chop.pki is there
    try:
        from chop.pki import PlatformCA

        ca = PlatformCA.init(tmp / "ca", "bench kek", site_url="https://chop.test/")
        bt_signer = ca.signer(ca.issue_company("甲方科技有限公司", "9144030071526726XG").serial)
        tsa, tsa_name = ca.timestamper(), "chop.pki TSA"
    except ImportError:
        bt_signer, tsa, tsa_name = signer, pki.timestamper(), "pyHanko's dummy TSA"
        ca = None

    pyhanko_tsa = _bench_tsa_token(bench, ca) if ca is not None else None

    def ours_bt(ts=tsa) -> None:
        ps.sign(
            one,
            io.BytesIO(),
            signer=bt_signer,
            marks=[ps.SingleMark(seal, 1, 20, 20)],
            options=ps.SignOptions(timestamper=ts),
        )

    bench.add(
        "pdfsign: 1 page, 1 visible seal, B-T (in-process TSA)",
        bench.median_ms(ours_bt, repeat=30),
        reference="TSA via pyHanko" if pyhanko_tsa else "",
        reference_ms=(
            bench.median_ms(lambda: ours_bt(pyhanko_tsa), repeat=15) if pyhanko_tsa else None
        ),
        note=f"{tsa_name}; {_load()}",
    )

    # B-T throughput: two processes (the machine's two cores) signing 1-page B-T acts for a
    # fixed time, each with the CA and TSA loaded once, as two app workers hold them
    per_s, counts = _throughput(ours_bt, processes=2, seconds=3.0)
    bench.add(
        "pdfsign: B-T throughput, 1 page, 2 processes (signatures/s; higher is better)",
        1000.0 / per_s,
        target="≥ 600/s",
        note=f"{per_s:.0f} signatures/s ({' + '.join(map(str, counts))} in 3 s); {_load()}",
    )

    # --- 1000 pages, a seal on every page, from disk to disk: the memory peak ------------
    thousand_path = tmp / "1000.pdf"
    thousand_path.write_bytes(thousand)
    size_mb = thousand_path.stat().st_size / 1e6
    peak, base = _child_peak(thousand_path, tmp / "child-1000.pdf", "all")
    bench.add(
        "pdfsign: 1000 pages, seal on every page, peak memory",
        0.0,
        target="≤3×size+100MB",
        note=f"input {size_mb:.1f} MB; peak RSS {peak:.0f} MB over a {base:.0f} MB baseline",
    )

    # --- big file streamed: 300 MB of padding, 2 pages ------------------------------------
    big = tmp / "big.pdf"
    big.write_bytes(make_pdf(2, padding=300_000_000))  # builds in memory here, not in the child
    t0 = time.perf_counter()
    ps.sign(
        big,
        tmp / "big-signed.pdf",
        signer=signer,
        marks=[ps.SingleMark(seal, 1, 20, 20)],
        options=ps.SignOptions(level="B-B"),
    )
    big_ms = (time.perf_counter() - t0) * 1000
    peak, base = _child_peak(big, tmp / "child-big.pdf", "1")
    bench.add(
        "pdfsign: 300 MB PDF, 1 seal (copy+hash streamed)",
        big_ms,
        note=f"peak RSS {peak:.0f} MB over a {base:.0f} MB baseline (file not loaded whole)",
    )
    os.unlink(big)
    os.unlink(tmp / "big-signed.pdf")

    # verification is measured in bench/verify.py (3 and 10 signatures, both kinds of file)
