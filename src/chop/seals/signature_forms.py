"""The one form of the signature pages: a drawn signature, posted by the pad as a PNG file."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .signatures import MAX_UPLOAD_BYTES, SignatureError, clean_signature_png


class DrawnSignatureForm(forms.Form):
    """``signature``: the pad's PNG. Its cleaned value is the checked, re-encoded, cropped PNG
    bytes (see ``signatures.clean_signature_png``)."""

    signature = forms.FileField(
        label=_("Signature"),
        error_messages={"required": _("The pad is empty: draw your signature first.")},
    )

    def clean_signature(self) -> bytes:
        upload = self.cleaned_data["signature"]
        if getattr(upload, "size", 0) > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The drawing is too large to be a signature."), code="too_big")
        data = upload.read(MAX_UPLOAD_BYTES + 1)
        try:
            return clean_signature_png(data)
        except SignatureError as exc:
            raise ValidationError(exc.message, code=exc.code) from None
