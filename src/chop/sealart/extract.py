"""Ink extraction: a phone photo or scan of a stamped impression becomes a cropped, transparent seal.

Why this colour model: a photo of a stamp has uneven light (a gradient from the window), yellowed
or grey paper, black or grey printed text crossing the seal, JPEG noise and blur. Fixed RGB
thresholds fail on all of these. So we

1. estimate the paper itself: the photo shrunk to ~64 px, a max filter (ink is darker than paper
   in at least one channel, so the maximum over a neighbourhood wider than a stroke is paper),
   then blurred. Dividing the photo by this estimate removes the lighting gradient and the paper
   tint per channel ("local background normalisation"): paper becomes ~(1, 1, 1) everywhere;
2. measure ink strength as the chroma towards the ink hue, relative to brightness:
   red ``(R - max(G, B)) / R`` and blue ``(B - max(R, G)) / B``. Grey text and paper texture are
   achromatic, so they score ~0; where grey text crosses the ink both sides darken together and
   the ratio keeps the ink (a plain difference would punch holes in the seal there);
3. make alpha a soft ramp of that strength, scaled by the photo's own ink level (a robust high
   percentile), so anti-aliased edges stay anti-aliased and faded ink still counts;
4. find the impression as the largest cluster of ink (ink pixels joined after a dilation, so the
   ring and the characters form one cluster), crop to it with a margin, and remove specks: ink
   components far smaller than the impression, with the soft fringe around them.

Detection runs on a ~1000 px copy; only the crop is processed at full resolution, which is why a
12 MP photo costs well under a second and a few hundred MB at most.

Output colour: the ink is re-coloured to the engine's own seal red or blue (``spec.NAMED_COLORS``)
so an uploaded seal looks like a generated one when stamped; the impression's texture (faded
patches, uneven pressure) survives in the alpha channel.

Straightening (``straighten=True``, off by default) rectifies a round seal photographed at an
angle and turns any seal upright: see :func:`_straightened`. ``box`` stays the crop in the photo.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from chop.errors import ChopError

from .spec import NAMED_COLORS

MAX_PIXELS = 40_000_000
MAX_BYTES = 20 * 1024 * 1024
FORMATS = ("PNG", "JPEG", "WEBP")
DETECT_SIDE = 1000  # longer side of the copy used to find the impression
PAPER_SIDE = 64  # longer side of the paper (background) estimate


class InkExtractError(ChopError):
    """A photo cannot be turned into a seal image.

    Codes: ``photo_file_too_large`` (over 20 MB), ``photo_too_large`` (over 40 MP, or a
    decompression bomb), ``photo_format`` (not PNG, JPEG or WebP), ``photo_unreadable``,
    ``ink_color`` (not red or blue) and ``no_ink`` (no impression of that colour found).
    """

    namespace = "sealart"
    code = "no_ink"


@dataclass(frozen=True)
class ExtractedSeal:
    """The extracted impression: ``png`` is RGBA; ``box`` is (left, top, right, bottom) of the crop
    in the (EXIF-rotated) photo, so callers and tests can place it back on the photo."""

    png: bytes
    box: tuple[int, int, int, int]
    color: str
    straightened: bool = False

    @property
    def size(self) -> tuple[int, int]:
        """Width and height of the PNG (straightening changes them from the box's)."""
        if not self.straightened:
            return (self.box[2] - self.box[0], self.box[3] - self.box[1])
        with Image.open(io.BytesIO(self.png)) as img:
            return img.size


def _open(photo: bytes | str | os.PathLike[str]) -> Image.Image:
    if isinstance(photo, bytes | bytearray):
        data = bytes(photo)
    else:
        with open(photo, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InkExtractError(
            "照片文件过大 / photo file too large: at most 20 MB",
            code="photo_file_too_large",
            limit_mb=20,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = img.format
            w, h = img.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise InkExtractError(
            "照片像素过多 / photo too large: at most 40 megapixels",
            code="photo_too_large",
            limit_mp=40,
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise InkExtractError(
            "无法读取照片 / cannot read the photo: use PNG, JPEG or WebP",
            code="photo_unreadable",
        ) from exc
    if fmt not in FORMATS:
        raise InkExtractError(
            f"照片格式不支持 / unsupported photo format {fmt}: use PNG, JPEG or WebP",
            code="photo_format",
            format=str(fmt),
        )
    # Checked before decoding: the header's size is all a decompression bomb has to show.
    if w * h > MAX_PIXELS:
        raise InkExtractError(
            f"照片像素过多 / photo too large: {w}×{h} px, at most 40 megapixels",
            code="photo_too_large",
            limit_mp=40,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img.load()  # decode here, so a truncated file is refused as unreadable
            out: Image.Image = img
            if img.getexif().get(0x0112, 1) != 1:  # EXIF orientation: phones rotate this way
                out = ImageOps.exif_transpose(img)
            return out if out.mode == "RGB" else out.convert("RGB")
    except (OSError, ValueError, SyntaxError) as exc:
        raise InkExtractError(
            "无法读取照片 / cannot read the photo: use PNG, JPEG or WebP",
            code="photo_unreadable",
        ) from exc


def _strength(
    rgb: np.ndarray, paper: np.ndarray, color: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ink strength per pixel: chroma towards the ink hue relative to brightness,
    ``(main - other) / main``, after dividing by the paper estimate (both float32 HxWx3).
    Also returns ``main`` (the ink-hue channel, paper = 1), which :func:`_coverage` needs, and the
    normalised luma, which places the edges (JPEG stores colour at half resolution)."""
    n = rgb / np.maximum(paper, 8.0)
    r, g, b = n[..., 0], n[..., 1], n[..., 2]
    if color == "red":
        main, other = r, np.maximum(g, b)
    else:
        main, other = b, np.maximum(r, g)
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    return (main - other) / np.clip(main, 0.3, 1.0), main, luma


def _coverage(q: np.ndarray, q_full: float, k_main: float) -> np.ndarray:
    """Ink coverage 0..1 from the strength ``q``. For ink of normalised colour k on paper under
    light L, a pixel with coverage c is ``L * (1 - c (1 - k))`` per channel, so
    ``q = c (km - ko) / (1 - c (1 - km))``; solved for c with the photo's own full-ink strength
    ``q_full = (km - ko) / km`` and main channel ``km``. This keeps edges linear for dark inks
    (the seal blue loses 40 % in its own channel, so q alone would thin its strokes)."""
    q = np.maximum(q, 0.0)
    return q / (q_full * k_main + q * (1.0 - k_main))


def _paper(img: Image.Image) -> Image.Image:
    """The paper under the ink at ~64 px: the brightest nearby value per channel, smoothed."""
    w, h = img.size
    f = max(1, round(max(w, h) / PAPER_SIDE))
    small = img.reduce(f) if f > 1 else img
    return small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(2))


def _components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected component labels of a boolean mask (0 = background), without scipy: row runs
    joined by a union-find, so the Python loop runs per run, not per pixel."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    rows_s, cols_s = np.nonzero(d == 1)
    _, cols_e = np.nonzero(d == -1)  # same row order as the starts
    n = len(rows_s)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # runs are ordered by row then column; compare each row's runs with the previous row's
    bounds = np.searchsorted(rows_s, np.arange(h + 1))
    rs = rows_s.tolist()
    cs = cols_s.tolist()
    ce = cols_e.tolist()
    for y in range(1, h):
        a0, a1 = int(bounds[y - 1]), int(bounds[y])
        b0, b1 = a1, int(bounds[y + 1])
        if a0 == a1 or b0 == b1:
            continue
        i, j = a0, b0
        while i < a1 and j < b1:
            # runs [cs, ce) overlap with 8-connectivity when they touch diagonally too
            if cs[i] <= ce[j] and cs[j] <= ce[i]:
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[rj] = ri
            if ce[i] < ce[j]:
                i += 1
            else:
                j += 1
    del rs
    roots = [find(i) for i in range(n)]
    uniq = {r: k + 1 for k, r in enumerate(dict.fromkeys(roots))}
    labels = np.zeros((h, w), dtype=np.int32)
    for k in range(n):
        labels[rows_s[k], cols_s[k] : cols_e[k]] = uniq[roots[k]]
    return labels, len(uniq)


def _dilate(a: np.ndarray, size: int) -> np.ndarray:
    """Max over a ``size``×``size`` square (odd size), separably in NumPy: Pillow's MaxFilter is a
    rank filter costing size² per pixel, which alone took most of a second on a 12 MP photo."""
    r = size // 2
    out = a
    for _ in range(2):  # rows, then (transposed) columns
        n = out.shape[0]
        p = np.pad(out, [(r, r), (0, 0)], mode="edge")
        acc = p[0:n].copy()
        for k in range(1, 2 * r + 1):
            np.maximum(acc, p[k : k + n], out=acc)
        out = acc.T
    return np.ascontiguousarray(out)


def extract_ink(
    photo: bytes | str | os.PathLike[str], color: str = "red", *, straighten: bool = False
) -> ExtractedSeal:
    """Extract the red or blue seal impression from a photo or scan (PNG, JPEG or WebP bytes or
    a path) as a cropped RGBA PNG with a transparent, anti-aliased background.

    ``straighten=True`` also undoes the perspective of a round seal photographed at an angle and
    turns a crooked impression upright (:func:`_straightened`).

    Raises :class:`InkExtractError` (``photo_*`` codes for unusable files, ``no_ink`` when no
    impression of that colour is found)."""
    if color not in ("red", "blue"):
        raise InkExtractError(
            f"印油颜色无效 / ink colour must be red or blue, not {color!r}",
            code="ink_color",
            value=str(color),
        )
    img = _open(photo)
    w, h = img.size
    paper = _paper(img)

    # 1. find the impression on a small copy
    f = max(1, int(np.ceil(max(w, h) / DETECT_SIDE)))
    small = img.reduce(f) if f > 1 else img
    sw, sh = small.size
    small_paper = np.asarray(paper.resize((sw, sh), Image.Resampling.BILINEAR), dtype=np.float32)
    s, main, luma = _strength(np.asarray(small, dtype=np.float32), small_paper, color)
    strong = s > 0.2
    if int(strong.sum()) < 50:
        raise _no_ink(color)
    level = float(np.percentile(s[strong], 75))
    full = s >= level
    k_main = float(np.clip(np.median(main[full]), 0.2, 1.0))
    k_luma = float(np.clip(np.median(luma[full]), 0.0, 0.85))
    mask = s > 0.5 * level
    join = max(3, round(max(sw, sh) * 0.015)) | 1
    labels, count = _components(_dilate(mask, join))
    if count == 0:
        raise _no_ink(color)
    ink_per = np.bincount(labels[mask], minlength=count + 1)
    ink_per[0] = 0
    best = int(ink_per.argmax())
    ys, xs = np.nonzero(mask & (labels == best))
    if len(ys) < 50 or (xs.max() - xs.min()) < 12 or (ys.max() - ys.min()) < 12:
        raise _no_ink(color)
    margin = max(4, join)
    x0, x1 = max(0, xs.min() - margin) * f, min(sw, xs.max() + 1 + margin) * f
    y0, y1 = max(0, ys.min() - margin) * f, min(sh, ys.max() + 1 + margin) * f
    x1, y1 = min(w, x1), min(h, y1)

    # 2. full resolution inside the crop
    crop = img.crop((x0, y0, x1, y1))
    pw, ph = paper.size
    pbox = (x0 * pw / w, y0 * ph / h, x1 * pw / w, y1 * ph / h)
    crop_paper = paper.resize(crop.size, Image.Resampling.BILINEAR, box=pbox)
    rgb = np.asarray(crop, dtype=np.float32)
    s, _, luma = _strength(rgb, np.asarray(crop_paper, np.float32), color)
    del rgb
    # Colour says where ink is but JPEG keeps it at half resolution (4:2:0), which smears and
    # shifts edges by a pixel; luma is full resolution but cannot tell ink from grey print. So:
    # coverage from colour, widened by a pixel, capped by coverage from darkness.
    cov_c = _coverage(s, level, k_main)
    cov_c = _dilate(cov_c, 3)
    cov = np.minimum(cov_c, (1.0 - luma) / (1.0 - k_luma))
    alpha = np.clip((cov - 0.1) / 0.8, 0.0, 1.0)

    # 3. specks: ink components far smaller than the impression go, with their soft fringe
    core = alpha > 0.5
    labels, count = _components(core)
    if count:
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        sizes[0] = 0
        min_area = max(8, int(sizes.max() * 0.002))
        keep = (sizes >= min_area)[labels]
        alpha *= _dilate(keep, 5)

    # 4. tight crop around what is left, a small margin, re-coloured ink
    ys, xs = np.nonzero(alpha > 0.02)
    if len(ys) == 0:
        raise _no_ink(color)
    cw, ch = crop.size
    pad = max(2, round(max(cw, ch) * 0.02))
    bx0, bx1 = max(0, xs.min() - pad), min(cw, xs.max() + 1 + pad)
    by0, by1 = max(0, ys.min() - pad), min(ch, ys.max() + 1 + pad)
    box = (int(x0 + bx0), int(y0 + by0), int(x0 + bx1), int(y0 + by1))
    alpha = alpha[by0:by1, bx0:bx1]
    if straighten:
        alpha = _straightened(alpha)
    a8 = np.round(alpha * 255).astype(np.uint8)
    out = Image.new("RGBA", (a8.shape[1], a8.shape[0]), (*NAMED_COLORS[color], 0))
    out.putalpha(Image.fromarray(a8))
    buf = io.BytesIO()
    out.save(buf, format="PNG", compress_level=3)
    return ExtractedSeal(buf.getvalue(), box, color, straightened=straighten)


# --- straightening -------------------------------------------------------------------------------

STRAIGHTEN_SIDE = 320  # longer side of the copy on which outline, centre and symmetry are measured
ROUND_MIN_RATIO = 0.8  # an outline at least this round is a round seal seen at an angle
ALREADY_ROUND = 0.985  # ... and one this round was photographed from straight above
MAX_TILT_DEG = 30.0  # rotations searched either side of upright
SYMMETRY_SIDE = 200  # side of the blurred copy on which the mirror symmetry is scored


def _filled(mask: np.ndarray) -> np.ndarray:
    """The impression's outline filled in: the ink, closed by a small dilation, plus every hole
    not reachable from the border (the paper inside the ring)."""
    closed = _dilate(mask, 5)
    labels, count = _components(~closed)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return ~np.isin(labels, border[border > 0])


def _centre_mark(ink: np.ndarray, c: np.ndarray, radius: float) -> np.ndarray | None:
    """Where the seal's centre is in the photo: the centroid of the star (a solid ink blob,
    smaller than half the seal, whose centroid lies near the outline's centre), or ``None`` for
    a seal without one. Under perspective the outline's centre is not the image of the seal's
    centre; the star's is (to second order in the star's size)."""
    labels, count = _components(ink)
    if count == 0:
        return None
    ys, xs = np.nonzero(labels)
    lab = labels[ys, xs]
    n = np.bincount(lab, minlength=count + 1).astype(np.float64)
    n[0] = 1
    mx = np.bincount(lab, xs, minlength=count + 1) / n
    my = np.bincount(lab, ys, minlength=count + 1) / n
    best, best_d = None, 0.25 * radius
    for k in range(1, count + 1):
        if n[k] < 0.01 * radius * radius:
            continue
        sel = lab == k
        extent = max(np.ptp(xs[sel]), np.ptp(ys[sel]))
        d = float(np.hypot(mx[k] - c[0], my[k] - c[1]))
        if extent < radius and d < best_d:
            best, best_d = np.array([mx[k], my[k]]), d
    return best


def _ellipse(conic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre and shape matrix Q of the ellipse ``x'Cx = 0`` (3×3 conic): ``(x-c)'Q⁻¹(x-c) = 1``."""
    a, b, d = conic[:2, :2], conic[:2, 2], conic[2, 2]
    centre = -np.linalg.solve(a, b)
    k = float(b @ np.linalg.solve(a, b) - d)
    return centre, np.linalg.inv(a) * k


def _sym_root(q: np.ndarray) -> np.ndarray:
    """``det(Q)^¼ · Q^-½``: maps the ellipse of shape Q to the circle of the same area, with no
    rotation added (a symmetric matrix)."""
    vals, vecs = np.linalg.eigh(q)
    return np.sqrt(np.sqrt(np.linalg.det(q))) * (vecs @ np.diag(vals**-0.5) @ vecs.T)


def _rotation3(deg: float) -> np.ndarray:
    t = np.deg2rad(deg)
    return np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1.0]])


def _apply(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    p = np.c_[pts, np.ones(len(pts))] @ h.T
    return p[:, :2] / p[:, 2:3]


def _warp(
    a: Image.Image,
    h: np.ndarray,
    size: tuple[int, int],
    resample: Image.Resampling = Image.Resampling.BICUBIC,
) -> Image.Image:
    """``a`` mapped by the homography ``h`` (input → output pixels) onto a ``size`` canvas."""
    inv = np.linalg.inv(h)
    inv = inv / inv[2, 2]
    return a.transform(size, Image.Transform.PERSPECTIVE, tuple(inv.ravel()[:8]), resample)


def _symmetry(a: Image.Image, h: np.ndarray) -> float:
    """How left-right symmetric the image ``a`` is once mapped by ``h`` (on its own canvas):
    the ink it shares with its mirror image about the vertical through the canvas centre, as a
    share of its ink."""
    img = np.asarray(_warp(a, h, a.size, Image.Resampling.BILINEAR), np.float32)
    total = float(img.sum())
    return float(np.minimum(img, img[:, ::-1]).sum()) / total if total else 0.0


def _straightened(alpha: np.ndarray) -> np.ndarray:
    """The impression made upright and, if round, circular again (alpha in, alpha out).

    A round seal photographed at an angle is a projective image of a circle: an ellipse, whose
    own centre is *not* where the seal's centre is. So:

    1. the ellipse is measured by the moments of the filled outline (a filled ellipse's
       covariance is a quarter of its shape matrix), on a ~320 px copy;
    2. the seal's centre is found as the star's centroid; the polar line of that point with
       respect to the ellipse is the image of the line at infinity, and the homography that
       sends it back to infinity removes the perspective (affine rectification); a seal with
       no star skips this step and keeps the affine part only;
    3. the remaining ellipse becomes a circle of the same area by the symmetric map
       ``det(Q)^¼ · Q^-½`` (no rotation added);
    4. the rotation comes from the seal itself: Chinese seal layouts are mirror-symmetric about
       the vertical axis (arc text spread evenly, the star, the horizontal texts), so the angle
       within ±30° that makes the blurred impression most symmetric is upright, used only when
       clearly better than not turning.

    Outlines less round than ``ROUND_MIN_RATIO`` (invoice and foreign-invested ovals,
    rectangular seals) keep their shape, which is by design, not the camera's: they are only
    turned upright. The full-resolution alpha is warped once (bicubic).
    """
    h, w = alpha.shape
    f = max(1.0, max(w, h) / STRAIGHTEN_SIDE)
    src = Image.fromarray(np.round(alpha * 255).astype(np.uint8))
    small = src.resize((max(1, round(w / f)), max(1, round(h / f))), Image.Resampling.BOX)
    ink = np.asarray(small) > 127
    filled = _filled(ink)
    ys, xs = np.nonzero(filled)
    if len(ys) < 50:
        return alpha
    c = np.array([xs.mean(), ys.mean()])
    q = 4 * np.cov(np.stack([xs - c[0], ys - c[1]]).astype(np.float64))
    vals = np.linalg.eigvalsh(q)
    if vals.min() <= 0:
        return alpha
    g = np.array([[1, 0, -c[0]], [0, 1, -c[1]], [0, 0, 1.0]])  # outline centre at the origin
    ratio = float(np.sqrt(vals.min() / vals.max()))
    if ratio >= ROUND_MIN_RATIO:
        radius = float(np.sqrt(np.sqrt(np.linalg.det(q))))
        mark = _centre_mark(ink, c, radius)
        shape, tilted = q, ratio < ALREADY_ROUND
        if mark is not None and np.hypot(*(mark - c)) > 0.002 * radius:
            conic = np.zeros((3, 3))
            conic[:2, :2] = np.linalg.inv(q)
            conic[2, 2] = -1.0
            line = conic @ np.array([*(mark - c), 1.0])  # polar of the centre: the horizon
            hp = np.array([[1, 0, 0], [0, 1, 0], [line[0] / line[2], line[1] / line[2], 1.0]])
            denom = np.c_[np.array([[0, 0], [w, 0], [w, h], [0, h]]) / f - c, np.ones(4)] @ hp[2]
            if denom.min() > 0.5:  # the horizon is far outside the crop: a sane perspective
                hinv = np.linalg.inv(hp)
                centre, shape = _ellipse(hinv.T @ conic @ hinv)
                g = np.array([[1, 0, -centre[0]], [0, 1, -centre[1]], [0, 0, 1.0]]) @ hp @ g
                tilted = True
        if tilted:
            m = np.eye(3)
            m[:2, :2] = _sym_root(shape) / np.sqrt(np.sqrt(np.linalg.det(shape))) * radius
            g = m @ g

    # rotation by mirror symmetry, measured on a blurred 200 px copy of the corrected seal (so
    # glyph detail does not count and each tried angle costs a fraction of a millisecond)
    n = int(np.ceil(np.hypot(*small.size) * 1.2))
    centred = np.array([[1, 0, n / 2], [0, 1, n / 2], [0, 0, 1.0]])
    tiny = (
        _warp(small, centred @ g, (n, n))
        .resize((SYMMETRY_SIDE, SYMMETRY_SIDE), Image.Resampling.BOX)
        .filter(ImageFilter.GaussianBlur(1.5))
    )
    k = SYMMETRY_SIDE / 2
    about = np.array([[1, 0, k], [0, 1, k], [0, 0, 1.0]])

    def score(deg: float) -> float:
        return _symmetry(tiny, about @ _rotation3(deg) @ np.linalg.inv(about))

    coarse = {float(d): score(d) for d in np.arange(-MAX_TILT_DEG, MAX_TILT_DEG + 0.1, 2.0)}
    best = max(coarse, key=lambda d: coarse[d])
    fine = {float(d): score(d) for d in np.arange(best - 1.75, best + 1.8, 0.25)}
    best = max(fine, key=lambda d: fine[d])
    if fine[best] - coarse[0.0] < 0.005:
        best = 0.0
    if best == 0.0 and np.allclose(g[:2, :2], np.eye(2)) and not g[2, :2].any():
        return alpha  # nothing to correct: no resampling either

    # warp the full-resolution alpha once, onto a canvas that holds all of it, then re-crop
    full = _rotation3(best) @ g @ np.diag([1 / (w / small.width), 1 / (h / small.height), 1.0])
    full = np.diag([f, f, 1.0]) @ full  # back to full-resolution pixels
    corners = _apply(full, np.array([[0, 0], [w, 0], [w, h], [0, h]], float))
    lo = corners.min(axis=0)
    size = (int(np.ceil(np.ptp(corners[:, 0]))) + 2, int(np.ceil(np.ptp(corners[:, 1]))) + 2)
    if max(size) > 3 * max(w, h):
        return alpha
    shift = np.array([[1, 0, 1 - lo[0]], [0, 1, 1 - lo[1]], [0, 0, 1.0]])
    warped = np.asarray(_warp(src, shift @ full, size), np.float32) / 255
    ys, xs = np.nonzero(warped > 0.02)
    if len(ys) == 0:
        return alpha
    pad = max(2, round(max(size) * 0.02))
    y0, y1 = max(0, ys.min() - pad), min(size[1], ys.max() + 1 + pad)
    x0, x1 = max(0, xs.min() - pad), min(size[0], xs.max() + 1 + pad)
    return warped[y0:y1, x0:x1]


def _no_ink(color: str) -> InkExtractError:
    return InkExtractError(
        f"照片中未找到{'红色' if color == 'red' else '蓝色'}印迹 / no {color} seal impression "
        "found in the photo",
        code="no_ink",
        color=color,
    )
