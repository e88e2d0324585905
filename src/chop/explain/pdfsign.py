"""zh/en text for ``chop.pdfsign`` refusals (``PdfSignError.code`` → template with params)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "invalid": _("The document could not be signed."),
    "encrypted_pdf": _("This PDF is password protected: remove the protection and try again."),
    "malformed_pdf": _("This PDF is damaged: open it in a PDF tool, save it again and retry."),
    "bad_mark": _("A seal position does not fit this document."),
    "signer_unusable": _("The signing key or certificate cannot be used."),
    "unreadable_pdf": _(
        "This file cannot be read as a PDF: open it in a PDF tool, save it again and retry."
    ),
    "truncated_pdf": _("This file is truncated or is not a PDF."),
    "broken_object": _("A part of this PDF that signing must update is damaged."),
    "broken_page_tree": _("The page structure of this PDF is damaged."),
    "catalog_not_indirect": _("The structure of this PDF is damaged (document catalog)."),
    "page_tree_root_not_indirect": _("The page structure of this PDF is damaged."),
    "page_tree_loop": _("The page structure of this PDF is damaged (it contains a loop)."),
    "page_tree_node_not_dict": _("The page structure of this PDF is damaged."),
    "page_tree_direct_kid": _("The page structure of this PDF is damaged."),
    "page_without_mediabox": _("Page %(page)s of this PDF has no page size."),
    "unreadable_box": _("A page of this PDF has an unreadable size."),
    "no_pages": _("This PDF has no pages."),
    "no_xref": _("This PDF has no cross-reference section."),
    "text_unsearchable": _("The text of this PDF cannot be searched."),
    "empty_keyword": _("Enter the text to place the seal on."),
    "keyword_not_found": _("The text “%(keyword)s” is not in the document."),
    "seal_size_not_positive": _("The seal size must be greater than zero."),
    "seal_without_content": _("The seal image is missing."),
    "seal_off_page": _("The seal on page %(page)s would lie outside the page."),
    "riding_needs_two_pages": _("A riding seal needs at least two pages."),
    "riding_seal_too_small": _("The seal is too small to be split across these pages."),
    "unknown_riding_edge": _("Unknown edge “%(edge)s” for the riding seal."),
    "page_out_of_range": _("Page %(page)s does not exist: the document has %(page_count)s pages."),
    "unknown_mark_type": _("Unknown kind of seal position."),
    "bad_page_range": _("Cannot read the page range “%(range)s” (use for example 1-3,5)."),
    "page_range_backwards": _("The page range “%(range)s” runs backwards."),
    "page_range_outside": _("The page range “%(range)s” is outside pages 1–%(page_count)s."),
    "page_range_empty": _("The page range “%(range)s” selects no pages."),
    "unknown_level": _("Unknown signature level “%(level)s” (use one of %(levels)s)."),
    "level_needs_tsa": _("Signature level %(level)s needs a timestamp authority."),
    "level_needs_validation_context": _(
        "Signature level %(level)s needs revocation data, which could not be prepared."
    ),
    "bad_field_name": _("A signature field name must not be empty or contain “.”."),
    "field_name_taken": _("The document already has a field named “%(field_name)s”."),
    "certified_no_changes": _(
        "This document is certified with no changes allowed: it cannot be signed again."
    ),
    "certified_document": _(
        "This document is certified by its author and only allows its own signature fields: "
        "a seal cannot be added."
    ),
    "signature_too_large": _("The signature is larger than the space reserved for it."),
    "provenance_too_large": _(
        "The record of who authorised this stamp is %(size)s bytes; at most %(limit)s fit in a "
        "signature."
    ),
    "provenance_not_json": _("The record of who authorised this stamp cannot be written."),
    "tsa_unreachable": _("The timestamp authority did not answer. Try again later."),
    "ltv_validation_data_failed": _(
        "The revocation data for long-term validation could not be collected."
    ),
    "archive_timestamp_failed": _("The archive timestamp could not be added."),
    "signer_no_certificate": _("The signing key has no certificate."),
    "signer_no_sha256": _("The signing key cannot sign with SHA-256."),
    "signer_failed": _("The signing key could not sign."),
    "cannot_open": _("The file cannot be opened."),
    "cannot_write": _("The signed file cannot be written."),
    "cli_svg_seal": _("SVG seals are not read directly: export the seal as PDF or PNG."),
    "cli_bad_seal_file": _("The seal must be a PNG or a one-page PDF."),
    "cli_bad_position": _("The position must be X,Y in millimetres."),
    "cli_bad_pkcs12": _("The key file cannot be opened: wrong password or not a PKCS#12 file."),
    "cli_bad_provenance": _("The provenance file must hold one JSON object."),
    "cli_no_position": _("Say where the seal goes."),
    "cli_level_needs_tsa": _(
        "Signature level %(level)s needs a timestamp: give a timestamp authority with --tsa, "
        "or sign at level B-B."
    ),
}
