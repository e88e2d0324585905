"""The seal engine's refusals (``chop.sealart.SealSpecError`` codes) in the reader's language.

The platform only sends names through the engine's checks (company names, legal representatives'
names, personal signatures), so the texts speak of "the name" where that is the only case.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "empty": _("Enter the name."),
    "control": _("The name contains invisible control characters. Type it again."),
    "too_long": _("The name is too long to fit on a seal (at most 48 Chinese characters)."),
    "glyph": _("The seal font cannot draw these characters: %(chars)s. Remove them."),
    "does_not_fit": _("The name is too long to fit on the seal. Shorten it."),
    "legal_rep_name": _(
        "A legal representative's seal takes a name of 2–4 Chinese characters, or a name "
        "joined by the middle dot “·”."
    ),
    "too_many_chars": _("Too many characters for a square seal (%(length)s, at most %(limit)s)."),
    "out_of_range": _("A size of the seal is out of range (allowed %(lo)s–%(hi)s mm)."),
    "oval_shape": _("An oval seal must be wider than it is tall."),
    "taxpayer_id_missing": _("An invoice seal needs the taxpayer identification number."),
    "color": _("Choose red, blue, black or a hex colour such as #e0201b."),
    "kind": _("Unknown seal kind."),
    "opacity": _("The opacity must be between 0.05 and 1."),
    "aged_seed": _("The aged-look seed must be a whole number."),
    "output_format": _("Unsupported output format: use .png, .svg or .pdf."),
    "font_missing": _("The seal font is not installed on the server."),
    "font_file_missing": _("The configured seal font file does not exist."),
    "font_unreadable": _("The seal font cannot be read."),
    "imitates_official": _(
        "Only the official seal may read as an official seal (公章): change the text “%(text)s”."
    ),
    "reserved_purpose": _(
        "“%(text)s” is the purpose text of another kind of seal: make that kind of seal instead."
    ),
    "invalid": _("The name cannot be drawn on a seal."),
    # ink extraction from an uploaded photo of a stamped impression
    "photo_file_too_large": _("The photo file is too large (at most %(limit_mb)s MB)."),
    "photo_too_large": _("The photo has too many pixels (at most %(limit_mp)s megapixels)."),
    "photo_format": _("Upload the photo as PNG, JPEG or WebP."),
    "photo_unreadable": _("The photo cannot be read. Upload a PNG, JPEG or WebP image."),
    "ink_color": _("Choose red or blue for the ink colour."),
    "no_ink": _(
        "No seal impression of the chosen colour was found in the photo. Photograph the stamp "
        "on plain paper, in good light, filling most of the frame."
    ),
}
