"""Uploaded files never run (issue 8, item 1): type from content, photos re-encoded under random
names, active or encrypted PDFs refused, files served only with headers that stop execution."""

from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from chop import uploads
from chop.verification.models import CompanyVerification
from tests.conftest import log_in

from .conftest import png_bytes, upload
from .test_flows import post_company

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>fetch('/operator/approve-me');document.title='pwned'</script></body></html>"
POLYGLOT = png_bytes(900, 1200, "authorisation letter") + HTML
RANDOM_NAME = re.compile(r"^verification/letter/\d{4}/\d{2}/[0-9a-f]{32}\.(png|pdf|jpg|webp)$")


# ------------------------------------------------------------------------------ PDFs to refuse


def _pdf(modify=None, encrypt: str | None = None) -> bytes:
    """A one-page PDF written by pyHanko, ``modify(writer, generic, page)`` adding what a test needs."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

    w = PdfFileWriter()
    contents = w.add_object(generic.StreamObject(stream_data=b"BT 72 720 Td (letter) Tj ET"))
    page = PageObject(contents=contents, media_box=[0, 0, 595, 842])
    if modify is not None:
        modify(w, generic, page)
    w.insert_page(page)
    if encrypt is not None:
        w.encrypt(encrypt, "")  # owner password only: opens without one
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _n(generic, name):
    return generic.NameObject(name)


def _javascript(w, g, page):
    js = g.DictionaryObject(
        {_n(g, "/S"): _n(g, "/JavaScript"), _n(g, "/JS"): g.TextStringObject("app.alert(1)")}
    )
    names = g.ArrayObject([g.TextStringObject("x"), w.add_object(js)])
    w.root[_n(g, "/Names")] = g.DictionaryObject(
        {_n(g, "/JavaScript"): w.add_object(g.DictionaryObject({_n(g, "/Names"): names}))}
    )


def _open_action(w, g, page):
    uri = g.DictionaryObject(
        {_n(g, "/S"): _n(g, "/URI"), _n(g, "/URI"): g.TextStringObject("https://evil.example/")}
    )
    w.root[_n(g, "/OpenAction")] = w.add_object(uri)


def _launch(w, g, page):
    """A link annotation on the page, clicking it launches a program: found by walking the pages."""
    action = g.DictionaryObject(
        {_n(g, "/S"): _n(g, "/Launch"), _n(g, "/F"): g.TextStringObject("calc.exe")}
    )
    annot = g.DictionaryObject(
        {
            _n(g, "/Type"): _n(g, "/Annot"),
            _n(g, "/Subtype"): _n(g, "/Link"),
            _n(g, "/Rect"): g.ArrayObject([g.NumberObject(0)] * 4),
            _n(g, "/A"): action,
        }
    )
    page[_n(g, "/Annots")] = g.ArrayObject([w.add_object(annot)])


def _embedded(w, g, page):
    spec = g.DictionaryObject(
        {
            _n(g, "/Type"): _n(g, "/Filespec"),
            _n(g, "/F"): g.TextStringObject("payload.exe"),
            _n(g, "/EF"): g.DictionaryObject(
                {
                    _n(g, "/F"): w.add_object(
                        g.StreamObject({_n(g, "/Type"): _n(g, "/EmbeddedFile")}, stream_data=b"MZ")
                    )
                }
            ),
        }
    )
    tree = g.DictionaryObject(
        {_n(g, "/Names"): g.ArrayObject([g.TextStringObject("p"), w.add_object(spec)])}
    )
    w.root[_n(g, "/Names")] = g.DictionaryObject({_n(g, "/EmbeddedFiles"): w.add_object(tree)})


def _page_aa(w, g, page):
    """Additional actions (/AA) on the page: run when the page opens."""
    goto = g.DictionaryObject(
        {_n(g, "/S"): _n(g, "/GoTo"), _n(g, "/D"): g.ArrayObject([g.NumberObject(0)])}
    )
    page[_n(g, "/AA")] = g.DictionaryObject({_n(g, "/O"): goto})


@pytest.mark.parametrize(
    ("pdf", "code"),
    [
        (lambda: _pdf(_javascript), "pdf_javascript"),
        (lambda: _pdf(_open_action), "pdf_open_action"),
        (lambda: _pdf(_page_aa), "pdf_open_action"),
        (lambda: _pdf(_launch), "pdf_launch"),
        (lambda: _pdf(_embedded), "pdf_embedded"),
        (lambda: _pdf(encrypt="owner-only"), "pdf_encrypted"),
    ],
    ids=[
        "javascript",
        "open-action",
        "page-additional-action",
        "launch",
        "embedded-file",
        "owner-password",
    ],
)
def test_active_or_encrypted_pdfs_are_refused(pdf, code):
    data = pdf()
    with pytest.raises(ValidationError) as exc:
        uploads.clean_image_or_pdf(ContentFile(data, name="letter.pdf"))
    assert exc.value.code == code


def test_owner_password_pdf_is_refused_through_the_form(in_company, company):
    """pdfium opens an owner-password-only PDF without a password: it used to pass."""
    import pypdfium2 as pdfium

    data = _pdf(encrypt="owner-only")
    assert len(pdfium.PdfDocument(data)) == 1  # really opens without a password
    response = post_company(in_company, letter=upload("letter.pdf", data))
    assert response.status_code == 200
    assert "加密" in " ".join(response.context["form"].errors["letter"])
    assert not CompanyVerification.objects.exists()


def test_plain_pdf_letter_is_kept_under_a_random_name(in_company, company):
    data = _pdf()
    response = post_company(in_company, letter=upload("我的 授权书.pdf", data))
    assert response.status_code == 302
    case = CompanyVerification.objects.get()
    assert RANDOM_NAME.match(case.letter.name) and case.letter.name.endswith(".pdf")
    assert case.letter.open("rb").read() == data  # a PDF is kept byte for byte


# ------------------------------------------------------------------------ images and polyglots


def test_png_html_polyglot_named_html_is_reencoded_to_a_random_png(in_company, company):
    response = post_company(
        in_company, letter=upload("letter.html", POLYGLOT), licence=upload("licence.png")
    )
    assert response.status_code == 302
    case = CompanyVerification.objects.get()
    stored = case.letter.open("rb").read()
    assert RANDOM_NAME.match(case.letter.name) and case.letter.name.endswith(".png")
    assert "letter" not in case.letter.name.rsplit("/", 1)[1]
    assert b"<script" not in stored and b"<html" not in stored.lower()
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "PNG" and img.size == (900, 1200)
    assert RANDOM_NAME.match(case.licence.name.replace("/licence/", "/letter/"))


def test_type_comes_from_content_not_name():
    as_pdf_name = uploads.clean_image_or_pdf(ContentFile(png_bytes(), name="scan.pdf"))
    assert as_pdf_name.name.endswith(".png")
    with pytest.raises(ValidationError) as exc:
        uploads.clean_image(ContentFile(HTML, name="photo.png"))
    assert exc.value.code == "type"
    with pytest.raises(ValidationError):
        uploads.clean_image_or_pdf(ContentFile(b"GIF89a" + HTML, name="letter.gif"))


def test_photo_is_turned_upright_and_loses_its_exif():
    img = Image.new("RGB", (800, 400), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    exif[0x010F] = "SpyCam"  # camera maker
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    cleaned = uploads.clean_image(ContentFile(buf.getvalue(), name="id.jpg"))
    assert cleaned.name.endswith(".jpg")
    with Image.open(io.BytesIO(cleaned.read())) as out:
        assert out.size == (400, 800)
        assert not out.getexif() and "exif" not in out.info
    assert b"SpyCam" not in cleaned.open().read()


def test_html_hidden_in_image_metadata_is_dropped():
    """Comments, text chunks, XMP and ICC profiles can carry a page too: only pixels are kept."""
    from PIL import PngImagePlugin

    img = Image.new("RGB", (400, 300), (240, 240, 240))
    jpeg = io.BytesIO()
    img.save(jpeg, "JPEG", comment=HTML, icc_profile=b"<script>icc</script>" * 4)
    png = io.BytesIO()
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", HTML.decode())
    text.add_itxt("XML:com.adobe.xmp", HTML.decode())
    img.save(png, "PNG", pnginfo=text)
    for data, name in ((jpeg.getvalue(), "a.jpg"), (png.getvalue(), "a.png")):
        assert b"<script" in data
        cleaned = uploads.clean_image(ContentFile(data, name=name)).read()
        assert b"<script" not in cleaned and b"<html" not in cleaned, name


def test_oversized_file_is_refused_before_it_is_decoded(monkeypatch):
    def boom(*args, **kwargs):  # pragma: no cover - must not be reached
        raise AssertionError("decoded an oversized file")

    monkeypatch.setattr(Image, "open", boom)
    with pytest.raises(ValidationError) as exc:
        uploads.clean_image(
            ContentFile(b"\x89PNG\r\n\x1a\n" + bytes(2_000_000)), max_bytes=1_000_000
        )
    assert exc.value.code == "too_big"


# ------------------------------------------------------------------------------------- serving


def _hardened(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp
    assert "no-store" in response["Cache-Control"]


def test_case_file_serves_a_photo_inline_with_hardening_headers(
    in_company, company, client, operator
):
    post_company(in_company, letter=upload("letter.html", POLYGLOT))
    case = CompanyVerification.objects.get()
    log_in(client, operator)
    response = client.get(reverse("verification:file", args=["company", case.pk, "letter"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'inline; filename="company-{case.pk}-letter.png"'
    _hardened(response)


def test_case_file_pdf_and_unknown_files_are_attachments(in_company, company, client, operator):
    """A file stored before the fix under the client's name (``letter.html``) is never rendered."""
    post_company(in_company, letter=upload("letter.pdf", _pdf()))
    case = CompanyVerification.objects.get()
    log_in(client, operator)
    url = reverse("verification:file", args=["company", case.pk, "letter"])
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    _hardened(response)

    case.letter.save("letter.html", ContentFile(HTML), save=True)  # as the old code stored it
    response = client.get(url)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="company-{case.pk}-letter.bin"'
    _hardened(response)
    assert b"".join(response.streaming_content) == HTML


def test_case_file_is_for_operators_only(in_company, company):
    post_company(in_company)
    case = CompanyVerification.objects.get()
    response = in_company.get(reverse("verification:file", args=["company", case.pk, "letter"]))
    assert response.status_code in (403, 404)
