"""Ink extraction measured on realistic photos made from rendered seals.

Each case: a rendered seal's alpha (the true ink mask) is perspective-warped onto yellowed, textured
paper under a lighting gradient, a grey text line is printed across it, then the photo is blurred,
noised and JPEG-compressed. Extraction must find the ink with IoU ≥ 0.90 against the warped mask.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from chop.errors import ChopError
from chop.sealart import SealKind, SealSpec, extract_ink, official_seal_for, render

W, H = 1600, 1200

# (name, seal spec, colour, perspective corners jitter, light (left, right), tint, seed)
CASES = [
    ("red official, mild", "official", "red", 0.04, (1.0, 0.75), (250, 240, 215), 1),
    ("red official, dim + strong warp", "official", "red", 0.10, (0.95, 0.5), (240, 225, 190), 2),
    ("red contract, yellowed", "contract", "red", 0.07, (0.7, 1.0), (235, 215, 165), 3),
    ("blue official, mild", "official", "blue", 0.05, (1.0, 0.8), (248, 242, 225), 4),
    ("blue contract, dim + warp", "contract", "blue", 0.09, (0.6, 0.95), (238, 222, 185), 5),
]


def _spec(kind: str, color: str) -> SealSpec:
    if kind == "official":
        spec = official_seal_for("上海示例科技有限公司", bottom_text="3101150012345", size_mm=40)
        return SealSpec(**{**spec.__dict__, "color": color})
    return SealSpec(kind=SealKind.CONTRACT, name="北京示例贸易有限公司", size_mm=42, color=color)


def _perspective_coeffs(src, dst):
    """PIL's PERSPECTIVE maps output (dst) points to input (src) points."""
    a = []
    b = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return np.linalg.solve(np.array(a, float), np.array(b, float)).tolist()


def make_photo(kind, color, jitter, light, tint, seed):
    """Return (jpeg bytes, true ink mask HxW bool)."""
    rng = np.random.default_rng(seed)
    seal = Image.open(io.BytesIO(render(_spec(kind, color)).to_png(px=700)))
    seal = seal.convert("RGBA")
    sw, sh = seal.size
    ox, oy = 450 + int(rng.integers(-80, 80)), 250 + int(rng.integers(-60, 60))
    src = [(0, 0), (sw, 0), (sw, sh), (0, sh)]
    j = jitter * sw
    dst = [(ox + x + rng.uniform(-j, j), oy + y + rng.uniform(-j, j)) for x, y in src]
    coeffs = _perspective_coeffs(src, dst)
    warped = seal.transform((W, H), Image.PERSPECTIVE, coeffs, Image.BICUBIC)
    a = np.asarray(warped.getchannel("A"), np.float32) / 255
    truth = a > 0.5
    ink = np.asarray(warped.convert("RGB"), np.float32) / 255

    # paper: tint × lighting gradient × low-frequency texture × fibre noise
    xs = np.linspace(light[0], light[1], W, dtype=np.float32)
    ys = np.linspace(1.0, 0.9, H, dtype=np.float32)[:, None]
    grad = xs[None, :] * ys
    tex_small = rng.normal(0, 1, (H // 20, W // 20)).astype(np.float32)
    tex = np.asarray(Image.fromarray(tex_small).resize((W, H), Image.BICUBIC), np.float32)
    fibre = rng.normal(0, 0.02, (H, W)).astype(np.float32)
    paper = np.array(tint, np.float32) / 255 * (grad * (1 + 0.03 * tex + fibre))[..., None]

    # ink stamped on paper (multiply, with uneven pressure), then a grey printed line over it
    pressure = 0.8 + 0.2 * np.clip(tex * 0.5 + 0.5, 0, 1)
    cov = (a * pressure)[..., None]
    photo = paper * (1 - cov * (1 - ink))
    line = Image.new("L", (W, H), 0)
    font = ImageFont.load_default(size=46)
    ImageDraw.Draw(line).text(
        (150, oy + sh * 0.45), "Contract No. 2026-118 signed by both parties hereby", 255, font
    )
    la = np.asarray(line, np.float32)[..., None] / 255 * 0.65
    photo = photo * (1 - la)

    img = Image.fromarray(np.clip(photo * 255, 0, 255).astype(np.uint8))
    img = img.filter(ImageFilter.GaussianBlur(1.3))
    arr = np.asarray(img, np.float32) + rng.normal(0, 4, (H, W, 3))
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=72)  # 4:2:0 chroma, as phones save
    return buf.getvalue(), truth


def iou_of(result, truth):
    out = Image.open(io.BytesIO(result.png))
    assert out.mode == "RGBA"
    got = np.zeros(truth.shape, bool)
    x0, y0, x1, y1 = result.box
    got[y0:y1, x0:x1] = np.asarray(out.getchannel("A")) > 127
    return (got & truth).sum() / (got | truth).sum()


IOUS: dict[str, float] = {}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_extraction_iou_on_realistic_photos(case):
    name, kind, color, jitter, light, tint, seed = case
    photo, truth = make_photo(kind, color, jitter, light, tint, seed)
    result = extract_ink(photo, color=color)
    iou = iou_of(result, truth)
    IOUS[name] = iou
    print(f"IoU {name}: {iou:.3f}")
    assert iou >= 0.90, f"{name}: IoU {iou:.3f}"
    # anti-aliased: the edge has partial alpha, the background is fully transparent
    a = np.asarray(Image.open(io.BytesIO(result.png)).getchannel("A"))
    assert ((a > 0) & (a < 255)).sum() > 0.05 * (a == 255).sum()
    assert a[0, :].max() == 0 and a[:, 0].max() == 0


def test_wrong_colour_finds_no_ink():
    photo, _ = make_photo("official", "red", 0.04, (1.0, 0.8), (250, 240, 215), 7)
    with pytest.raises(ChopError) as info:
        extract_ink(photo, color="blue")
    assert info.value.code == "no_ink"


def test_photo_without_ink_is_refused():
    rng = np.random.default_rng(0)
    img = Image.new("RGB", (1200, 900), (240, 228, 200))
    ImageDraw.Draw(img).text(
        (100, 400), "Only printed text, no seal", (60, 60, 60), ImageFont.load_default(size=50)
    )
    arr = np.asarray(img, np.float32) + rng.normal(0, 5, (900, 1200, 3))
    buf = io.BytesIO()
    Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=70)
    with pytest.raises(ChopError) as info:
        extract_ink(buf.getvalue())
    assert info.value.code == "no_ink" and info.value.namespace == "sealart"
    assert "no red seal impression" in str(info.value)


def _png(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("make", "code"),
    [
        # 7000×6000 = 42 MP: refused from the header, before decoding
        (lambda: _png(Image.new("L", (7000, 6000), 255)), "photo_too_large"),
        (lambda: b"\x00" * (20 * 1024 * 1024 + 1), "photo_file_too_large"),
        (lambda: _png(Image.new("RGB", (100, 100), "white"), "GIF"), "photo_format"),
        (lambda: b"not an image at all", "photo_unreadable"),
        (lambda: _png(Image.new("RGB", (100, 100), "white"))[:60], "photo_unreadable"),
    ],
)
def test_unusable_files_are_refused_with_a_code(make, code):
    from chop.explain.sealart import MESSAGES

    with pytest.raises(ChopError) as info:
        extract_ink(make())
    assert info.value.code == code and info.value.namespace == "sealart"
    assert code in MESSAGES


def test_decompression_bomb_is_refused_without_decoding(monkeypatch):
    """A tiny file whose header claims a huge image (Pillow's own bomb check fires first)."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)
    with pytest.raises(ChopError) as info:
        extract_ink(_png(Image.new("L", (3000, 3000), 255)))
    assert info.value.code == "photo_too_large"


def test_ink_colour_must_be_red_or_blue():
    with pytest.raises(ChopError) as info:
        extract_ink(b"", color="green")
    assert info.value.code == "ink_color"


@pytest.mark.parametrize("code", ["no_ink", "photo_too_large", "photo_file_too_large"])
def test_extraction_refusals_are_translated(code):
    from django.utils import translation

    from chop.explain import explain
    from chop.sealart import InkExtractError

    err = InkExtractError("x", code=code, limit_mp=40, limit_mb=20, color="red")
    with translation.override("zh-hans"):
        zh = explain(err)
    with translation.override("en"):
        en = explain(err)
    assert zh != en and "%(" not in zh and "%(" not in en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and zh.endswith("。")


def test_cli_extract_writes_the_same_png(tmp_path, capsys):
    from chop.sealart.cli import main

    photo, _ = make_photo("official", "blue", 0.05, (1.0, 0.8), (248, 242, 225), 9)
    src = tmp_path / "photo.jpg"
    src.write_bytes(photo)
    out = tmp_path / "seal.png"
    assert main(["extract", str(src), "-o", str(out), "--color", "blue"]) == 0
    assert out.read_bytes() == extract_ink(photo, color="blue").png
    img = Image.open(out)
    assert img.mode == "RGBA" and img.getpixel((0, 0))[3] == 0
    assert "seal.png" in capsys.readouterr().out
    # no blue in a red-only photo: a clear error and exit code 2
    red, _ = make_photo("official", "red", 0.05, (1.0, 0.8), (248, 242, 225), 9)
    src.write_bytes(red)
    assert main(["extract", str(src), "-o", str(out), "--color", "blue"]) == 2
    assert "no blue seal impression" in capsys.readouterr().err


def test_truncated_photo_is_unreadable():
    photo, _ = make_photo("official", "red", 0.04, (1.0, 0.8), (250, 240, 215), 11)
    with pytest.raises(ChopError) as info:
        extract_ink(photo[: len(photo) // 2])
    assert info.value.code == "photo_unreadable"


def test_output_is_recoloured_and_phone_rotation_is_honoured():
    """The ink comes out in the engine's seal red; a photo saved sideways with an EXIF
    orientation tag (as phones do) is extracted upright, the same as the upright photo."""
    photo, _ = make_photo("official", "red", 0.0, (1.0, 0.9), (250, 240, 215), 12)
    upright = extract_ink(photo)
    out = Image.open(io.BytesIO(upright.png))
    r, g, b, a = out.getpixel((out.width // 2, out.height // 2 - 5))
    assert (r, g, b) == (224, 32, 27)
    sideways = Image.open(io.BytesIO(photo)).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": undoes the ROTATE_90 above
    buf = io.BytesIO()
    sideways.save(buf, format="JPEG", quality=95, exif=exif)
    turned = extract_ink(buf.getvalue())
    # same place in the upright photo (a 90° turn would move the off-centre seal's box)
    assert max(abs(p - q) for p, q in zip(turned.box, upright.box, strict=True)) <= 4
