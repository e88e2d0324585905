"""Optional straightening of an extracted impression (``extract_ink(..., straighten=True)``).

Measured against the *flat* rendered seal (what the stamp really looks like), after aligning only
scale and position (no rotation: the result must come out upright by itself). Without
straightening a perspective-warped seal stays warped, so this IoU is low; straightening must raise
it a lot on every perspective case of ``test_extract.py``, keep an upright flat photo ≥ 0.90,
turn a rotated stamp upright, make the outline round again, and leave oval seals oval.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageFilter

from chop.sealart import SealKind, SealSpec, extract_ink, render
from chop.sealart.extract import _filled

from .test_extract import CASES, _spec, make_photo

FLAT_IOUS: dict[str, tuple[float, float]] = {}


def _alpha(png: bytes) -> np.ndarray:
    img = Image.open(io.BytesIO(png))
    assert img.mode == "RGBA"
    return np.asarray(img.getchannel("A"), np.float32) / 255


def _flat(spec: SealSpec, px: int = 700) -> np.ndarray:
    return _alpha(render(spec).to_png(px=px))


def aligned_iou(out: np.ndarray, truth: np.ndarray) -> float:
    """IoU of the ink (alpha > 0.5) after scaling ``out`` to ``truth``'s size (±3 % searched)
    and shifting it to the best position (FFT cross-correlation); never rotated."""
    tm = truth > 0.5
    ty, tx = np.nonzero(tm)
    oy, ox = np.nonzero(out > 0.5)
    base = np.ptp(ty) / np.ptp(oy)
    n = 1 << int(np.ceil(np.log2(max(*truth.shape, *out.shape) * 1.2 + 64)))
    t = np.zeros((n, n), np.float32)
    t[: tm.shape[0], : tm.shape[1]] = tm
    ft = np.fft.rfft2(t)
    img = Image.fromarray(np.round(out * 255).astype(np.uint8))
    best = 0.0
    for s in np.arange(0.97, 1.031, 0.01):
        k = base * s
        a = np.asarray(
            img.resize((round(img.width * k), round(img.height * k)), Image.Resampling.BICUBIC)
        )
        m = np.zeros((n, n), np.float32)
        m[: a.shape[0], : a.shape[1]] = a > 127
        cc = np.fft.irfft2(ft * np.conj(np.fft.rfft2(m)), s=(n, n))
        dy, dx = np.unravel_index(int(cc.argmax()), cc.shape)
        moved = np.roll(m, (dy, dx), axis=(0, 1)) > 0.5
        best = max(best, float((moved & (t > 0.5)).sum() / (moved | (t > 0.5)).sum()))
    return best


def roundness(alpha: np.ndarray) -> float:
    """Minor/major axis ratio of the filled outline (1 for a circle)."""
    ys, xs = np.nonzero(_filled(alpha > 0.5))
    vals = np.linalg.eigvalsh(np.cov(np.stack([xs, ys]).astype(float)))
    return float(np.sqrt(vals.min() / vals.max()))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_straightening_undoes_the_perspective(case):
    name, kind, color, jitter, light, tint, seed = case
    photo, _ = make_photo(kind, color, jitter, light, tint, seed)
    flat = _flat(_spec(kind, color))
    plain = extract_ink(photo, color=color)
    straight = extract_ink(photo, color=color, straighten=True)
    a_plain, a_straight = _alpha(plain.png), _alpha(straight.png)
    before, after = aligned_iou(a_plain, flat), aligned_iou(a_straight, flat)
    FLAT_IOUS[name] = (before, after)
    print(f"IoU with the flat seal, {name}: {before:.3f} → {after:.3f} straightened")
    assert after >= before + 0.25, f"{name}: {before:.3f} → {after:.3f}"
    assert after >= 0.78, f"{name}: {after:.3f}"
    assert roundness(a_straight) >= max(0.97, roundness(a_plain))
    # still a clean cut-out: anti-aliased edge, transparent border; the box stays the photo's
    assert ((a_straight > 0) & (a_straight < 1)).sum() > 0.05 * (a_straight == 1).sum()
    assert a_straight[0].max() == 0 and a_straight[:, 0].max() == 0
    assert straight.box == plain.box and straight.straightened
    assert straight.size == Image.open(io.BytesIO(straight.png)).size


def _photo_of(
    alpha: np.ndarray, *, angle: float, color=(224, 32, 27), seed: int = 1, jitter: float = 0.0
) -> bytes:
    """A plain photo of ``alpha`` stamped at ``angle`` degrees (counter-clockwise), seen in
    perspective when ``jitter`` > 0 (corners moved by up to that share of the seal's size):
    paper tint, a lighting gradient, blur, noise, JPEG."""
    from .test_extract import _perspective_coeffs

    rng = np.random.default_rng(seed)
    seal = Image.fromarray(np.round(alpha * 255).astype(np.uint8))
    seal = seal.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    if jitter:
        sw, sh = seal.size
        src = [(0, 0), (sw, 0), (sw, sh), (0, sh)]
        j = jitter * sw
        dst = [(100 + x + rng.uniform(-j, j), 100 + y + rng.uniform(-j, j)) for x, y in src]
        seal = seal.transform(
            (sw + 200, sh + 200),
            Image.Transform.PERSPECTIVE,
            _perspective_coeffs(src, dst),
            Image.Resampling.BICUBIC,
        )
    w, h = 1400, 1100
    a = np.zeros((h, w), np.float32)
    y0, x0 = (h - seal.height) // 2, (w - seal.width) // 2
    a[y0 : y0 + seal.height, x0 : x0 + seal.width] = np.asarray(seal, np.float32) / 255
    grad = np.linspace(1.0, 0.8, w, dtype=np.float32)[None, :, None]
    paper = np.array((246, 236, 210), np.float32) * grad
    ink = np.array(color, np.float32) / 255
    photo = paper * (1 - a[..., None] * (1 - ink))
    img = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(1)
    )
    arr = np.asarray(img, np.float32) + rng.normal(0, 3, (h, w, 3))
    buf = io.BytesIO()
    Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def test_a_stamp_pressed_crooked_comes_out_upright():
    flat = _flat(_spec("official", "red"))
    photo = _photo_of(flat, angle=12)
    before = aligned_iou(_alpha(extract_ink(photo).png), flat)
    after = aligned_iou(_alpha(extract_ink(photo, straighten=True).png), flat)
    print(f"IoU with the flat seal, stamped 12° crooked: {before:.3f} → {after:.3f}")
    assert before < 0.6 and after >= 0.90


def test_an_upright_flat_photo_stays_as_good():
    flat = _flat(_spec("contract", "red"))
    photo = _photo_of(flat, angle=0, seed=4)
    before = aligned_iou(_alpha(extract_ink(photo).png), flat)
    after = aligned_iou(_alpha(extract_ink(photo, straighten=True).png), flat)
    print(f"IoU with the flat seal, upright photo: {before:.3f} → {after:.3f}")
    assert before >= 0.90 and after >= 0.90


def test_an_oval_seal_stays_oval_and_is_turned_upright():
    spec = SealSpec(
        kind=SealKind.INVOICE, name="上海示例科技有限公司", taxpayer_id="91310115MA1K4DLC7K"
    )
    flat = _flat(spec, px=800)
    photo = _photo_of(flat, angle=-9, seed=5)
    out = _alpha(extract_ink(photo, straighten=True).png)
    ys, xs = np.nonzero(out > 0.5)
    ratio = np.ptp(xs) / np.ptp(ys)
    fy, fx = np.nonzero(flat > 0.5)
    assert ratio == pytest.approx(np.ptp(fx) / np.ptp(fy), rel=0.04)
    assert aligned_iou(out, flat) >= 0.85


def test_cli_straighten_writes_the_same_png(tmp_path):
    from chop.sealart.cli import main

    photo, _ = make_photo("official", "red", 0.08, (1.0, 0.8), (248, 242, 225), 21)
    src = tmp_path / "photo.jpg"
    src.write_bytes(photo)
    out = tmp_path / "seal.png"
    assert main(["extract", str(src), "-o", str(out), "--straighten"]) == 0
    assert out.read_bytes() == extract_ink(photo, straighten=True).png
    assert out.read_bytes() != extract_ink(photo).png


def test_a_seal_without_a_star_gets_the_affine_correction():
    """No star, no centre mark: the outline is still made round and the seal upright."""
    spec = SealSpec(kind=SealKind.CONTRACT, name="北京示例贸易有限公司", size_mm=42, star=False)
    flat = _flat(spec)
    photo = _photo_of(flat, angle=0, seed=8, jitter=0.06)
    plain = _alpha(extract_ink(photo).png)
    straight = _alpha(extract_ink(photo, straighten=True).png)
    before, after = aligned_iou(plain, flat), aligned_iou(straight, flat)
    print(f"IoU with the flat seal, no star, warped: {before:.3f} → {after:.3f}")
    assert roundness(straight) >= max(0.97, roundness(plain))
    assert after > before + 0.1
