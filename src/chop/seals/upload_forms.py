"""The upload form: which seal the impression is, its ink colour, and the photo.

The photo goes through ``chop.uploads`` (type from content, ≤ 20 MB and ≤ 40 MP, decoded and
written again under a random name); before that, a file with another file appended after the
image (an HTML page, a script, an archive) is refused with a clear message, not just cleaned.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from chop.uploads import MB, UploadField

from .models import Seal
from .upload import COLORS, UPLOAD_KINDS, appended_payload

MAX_PHOTO_BYTES = 20 * MB
MAX_PHOTO_PIXELS = 40_000_000


class PhotoField(UploadField):
    """A phone photo or scan of the impression; polyglots refused before re-encoding."""

    def clean(self, data, initial=None):
        size = getattr(data, "size", None)
        if data and hasattr(data, "read") and size is not None and size <= MAX_PHOTO_BYTES:
            data.seek(0)
            raw = data.read()
            data.seek(0)
            if appended_payload(raw):
                raise ValidationError(
                    _(
                        "This image has another file hidden after it (for example a web page "
                        "or an archive). Upload the photo exactly as the camera saved it."
                    ),
                    code="polyglot",
                )
        return super().clean(data, initial)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of seal"),
        choices=[(k.value, k.label) for k in UPLOAD_KINDS],
        initial=Seal.Kind.CONTRACT,
        help_text=_(
            "An uploaded official seal replaces the current one only after a platform operator "
            "approves it."
        ),
    )
    purpose = forms.CharField(
        label=_("Purpose text"),
        max_length=20,
        required=False,
        help_text=_("For an other seal: what it is for, as printed on it (e.g. 质检专用章)."),
    )
    name = forms.CharField(
        label=_("Name on the seal"),
        max_length=100,
        help_text=_("As it reads on the impression; usually the company name."),
    )
    color = forms.ChoiceField(
        label=_("Ink colour"),
        choices=[("red", _("Red")), ("blue", _("Blue"))],
        initial="red",
        widget=forms.RadioSelect,
    )
    straighten = forms.BooleanField(
        label=_("Straighten the impression (photographed at an angle)"),
        required=False,
        initial=True,
    )
    photo = PhotoField(
        label=_("Photo or scan of the impression"),
        help_text=_("PNG, JPEG or WebP, at most 20 MB and 40 megapixels."),
        checks={"max_bytes": MAX_PHOTO_BYTES, "max_pixels": MAX_PHOTO_PIXELS},
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_purpose(self) -> str:
        return " ".join(self.cleaned_data.get("purpose", "").split())

    def clean(self):
        from chop.explain import explain
        from chop.sealart import check_purpose

        data = super().clean()
        kind, name = data.get("kind"), data.get("name")
        purpose = data.get("purpose", "")
        if data.get("color") not in COLORS:
            return data
        if kind == Seal.Kind.CUSTOM and not purpose:
            self.add_error("purpose", _("Enter the purpose text printed on the seal."))
        if kind and name:
            err = check_purpose(kind, name, purpose if kind == Seal.Kind.CUSTOM else None)
            if err is not None:
                field = "purpose" if err.params.get("part") == "horizontal_text" else "name"
                self.add_error(field, explain(err))
        if kind != Seal.Kind.CUSTOM:
            data["purpose"] = ""
        return data
