"""Command line: ``python -m chop.sealart draw ... -o seal.png|svg|pdf``, ``... gallery DIR`` and
``... extract PHOTO -o seal.png [--color red|blue] [--straighten]`` (the same :func:`extract_ink` the app calls)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import SealKind, SealSpec, render
from .errors import SealSpecError
from .extract import InkExtractError, extract_ink


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m chop.sealart", description="Draw electronic seals (电子印章)."
    )
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("draw", help="draw one seal to .png, .svg or .pdf (format from the suffix)")
    d.add_argument("--kind", default="official", choices=[k.value for k in SealKind])
    d.add_argument("--name", required=True, help="company or person name (top arc)")
    d.add_argument(
        "--horizontal-text", help="横向文 under the star (special seals: the purpose text)"
    )
    d.add_argument("--bottom-text", help="下弦文, e.g. the 13-digit anti-forgery code")
    d.add_argument("--taxpayer-id", help="taxpayer id (invoice seals)")
    d.add_argument(
        "--size", type=float, dest="size_mm", help="diameter / side in mm (signature: text height)"
    )
    d.add_argument("--width", type=float, dest="width_mm", help="width in mm (ovals, rectangles)")
    d.add_argument(
        "--height", type=float, dest="height_mm", help="height in mm (ovals, rectangles)"
    )
    d.add_argument(
        "--color", default=None, help="red (default), blue, black or a hex colour like #c00000"
    )
    d.add_argument("--border", type=float, dest="border_mm", help="border width in mm")
    star = d.add_mutually_exclusive_group()
    star.add_argument(
        "--star", dest="star", action="store_true", default=None, help="draw the star"
    )
    star.add_argument("--no-star", dest="star", action="store_false", help="no star")
    d.add_argument("--star-size", type=float, dest="star_mm", help="star point-to-point size in mm")
    d.add_argument("--font", help='"song", "kai", a fontconfig family or a font file')
    d.add_argument(
        "--aged", type=int, dest="aged_seed", metavar="SEED", help="aged look from this seed"
    )
    d.add_argument("--opacity", type=float, default=1.0)
    d.add_argument("--text-height", type=float, dest="text_height_mm", help="arc text height in mm")
    d.add_argument(
        "--text-gap", type=float, dest="text_gap_mm", help="gap between border and text, mm"
    )
    d.add_argument("--suffix", help='legal-representative seals: "印", "之印" or ""')
    d.add_argument("--dpi", type=float, default=300, help="PNG resolution (default 300)")
    d.add_argument("--px", type=int, help="PNG: longer side in pixels (overrides --dpi)")
    d.add_argument("-o", "--output", required=True, help="output file: .png, .svg or .pdf")
    g = sub.add_parser(
        "gallery", help="write every kind at short, medium and long names, with index.html"
    )
    g.add_argument("directory")
    g.add_argument("--dpi", type=float, default=300)
    e = sub.add_parser(
        "extract", help="cut the seal impression out of a photo or scan into a transparent PNG"
    )
    e.add_argument("photo", help="PNG, JPEG or WebP photo of the stamped impression")
    e.add_argument("--color", default="red", choices=["red", "blue"], help="ink colour")
    e.add_argument("-o", "--output", required=True, help="output .png (RGBA)")
    e.add_argument(
        "--straighten",
        action="store_true",
        help="undo the perspective of a round seal photographed at an angle; turn it upright",
    )
    return p


SPEC_FIELDS = [
    "kind",
    "name",
    "horizontal_text",
    "bottom_text",
    "taxpayer_id",
    "size_mm",
    "width_mm",
    "height_mm",
    "color",
    "border_mm",
    "star",
    "star_mm",
    "font",
    "aged_seed",
    "opacity",
    "text_height_mm",
    "text_gap_mm",
    "suffix",
]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "gallery":
            from .gallery import write_gallery

            index = write_gallery(Path(args.directory), dpi=args.dpi)
            print(f"wrote {index}")
            return 0
        if args.command == "extract":
            if Path(args.output).suffix.lower() != ".png":
                raise SealSpecError(
                    "输出格式不支持 / unsupported output format: extract writes .png",
                    code="output_format",
                    format=Path(args.output).suffix.lower(),
                )
            result = extract_ink(args.photo, color=args.color, straighten=args.straighten)
            Path(args.output).write_bytes(result.png)
            w, h = result.size
            print(f"{args.output} ({w}×{h} px, cropped at {result.box[0]},{result.box[1]})")
            return 0
        out = Path(args.output)
        fmt = out.suffix.lower()
        if fmt not in (".png", ".svg", ".pdf"):
            raise SealSpecError(
                f"输出格式不支持 / unsupported output format {fmt or '(none)'}: use .png, .svg or .pdf",
                code="output_format",
                format=fmt,
            )
        kw = {k: getattr(args, k) for k in SPEC_FIELDS if getattr(args, k) is not None}
        drawing = render(SealSpec(**kw))
        if fmt == ".png":
            data = drawing.to_png(dpi=args.dpi, px=args.px, compress_level=6)
        elif fmt == ".svg":
            data = drawing.to_svg().encode("utf-8")
        else:
            data = drawing.to_pdf()
        out.write_bytes(data)
        print(f"{out} ({drawing.width_mm:g}×{drawing.height_mm:g} mm)")
        return 0
    except (SealSpecError, InkExtractError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
