"""The command line: draw to each format, clear errors with a non-zero exit, the gallery."""

from __future__ import annotations

import io
import subprocess
import sys
import xml.etree.ElementTree as ET

from PIL import Image

from chop.sealart.cli import main


def test_draw_png_svg_pdf(tmp_path, capsys):
    base = [
        "draw",
        "--kind",
        "official",
        "--name",
        "上海示例科技有限公司",
        "--bottom-text",
        "3101150012345",
        "--size",
        "40",
    ]
    assert main([*base, "-o", str(tmp_path / "seal.png"), "--dpi", "150"]) == 0
    img = Image.open(io.BytesIO((tmp_path / "seal.png").read_bytes()))
    assert img.mode == "RGBA" and img.size == (236, 236)
    assert main([*base, "-o", str(tmp_path / "seal.svg"), "--color", "blue", "--aged", "5"]) == 0
    root = ET.fromstring((tmp_path / "seal.svg").read_text().split("?>", 1)[1])
    assert root.get("width") == "40mm"
    assert main([*base, "-o", str(tmp_path / "seal.pdf"), "--opacity", "0.8"]) == 0
    assert (tmp_path / "seal.pdf").read_bytes().startswith(b"%PDF-1.7")
    assert "40×40 mm" in capsys.readouterr().out


def test_bad_input_exits_non_zero_with_a_message(tmp_path, capsys):
    assert main(["draw", "--name", "", "-o", str(tmp_path / "x.png")]) == 2
    assert "must not be empty" in capsys.readouterr().err
    assert (
        main(["draw", "--name", "示例公司", "--color", "pink-ish", "-o", str(tmp_path / "x.png")])
        == 2
    )
    assert "invalid colour" in capsys.readouterr().err
    assert main(["draw", "--name", "示例公司", "-o", str(tmp_path / "x.jpg")]) == 2
    assert "unsupported output format .jpg" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_module_entry_point(tmp_path):
    out = tmp_path / "sig.png"
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "chop.sealart",
            "draw",
            "--kind",
            "signature",
            "--name",
            "王小明",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert out.stat().st_size > 1000
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "chop.sealart",
            "draw",
            "--name",
            "示例",
            "--size",
            "500",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "20–60 mm" in bad.stderr


def test_gallery_writes_every_kind(tmp_path):
    assert main(["gallery", str(tmp_path), "--dpi", "60"]) == 0
    index = (tmp_path / "index.html").read_text()
    for kind in (
        "official",
        "contract",
        "finance",
        "hr",
        "finance_square",
        "invoice",
        "foreign",
        "legal_rep_square",
        "legal_rep_rect",
        "signature",
    ):
        for length in ("short", "medium", "long"):
            assert (tmp_path / f"{kind}-{length}.png").exists(), (kind, length)
            assert f'src="{kind}-{length}.png"' in index
    assert 'class="err"' not in index
