"""Measuring helpers for the seal tests: ink masks from PNG bytes and from PDF rasterised by pdfium."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from chop.sealart import Drawing

DPI = 300
PX_PER_MM = DPI / 25.4


def png_alpha(drawing: Drawing, dpi: float = DPI) -> np.ndarray:
    """Alpha channel (0..1) of the PNG output, decoded from the PNG bytes like any consumer would."""
    img = Image.open(io.BytesIO(drawing.to_png(dpi=dpi)))
    assert img.mode == "RGBA"
    return np.asarray(img, dtype=np.float32)[..., 3] / 255.0


def pdf_ink(drawing: Drawing, dpi: float = DPI) -> np.ndarray:
    """Ink (0..1) of the standalone PDF rasterised by pdfium on white: 1 - the darkest channel's
    share of the colour's contrast, so it works for red, blue and black seals."""
    pdf = pdfium.PdfDocument(drawing.to_pdf())
    page = pdf[0]
    # pypdfium2 sizes the bitmap as ceil(page size × scale); keep float noise from adding a pixel
    bitmap = page.render(scale=dpi / 72 * (1 - 1e-7), fill_color=(255, 255, 255, 255))
    rgb = np.asarray(bitmap.to_pil().convert("RGB"), dtype=np.float32)
    pdf.close()
    colour = np.array(drawing.color, dtype=np.float32)
    ch = int(np.argmin(colour))  # the channel where ink differs most from white
    return np.clip((255 - rgb[..., ch]) / max(255 - colour[ch], 1), 0, 1)


def iou(a: np.ndarray, b: np.ndarray, threshold: float = 0.5) -> float:
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    ma, mb = a[:h, :w] > threshold, b[:h, :w] > threshold
    union = np.logical_or(ma, mb).sum()
    return float(np.logical_and(ma, mb).sum() / union) if union else 1.0
