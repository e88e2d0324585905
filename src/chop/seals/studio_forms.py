"""The studio's production form: one form class, its fields narrowed to what the chosen kind has.

Validation ends in the engine (``studio.check_design`` renders the spec that would be stored), and
each refusal is put beside the field it is about. The live preview binds the same form to the
query string, so the preview and the create step can never disagree.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chop.sealart import normalise_seal_text

from . import studio
from .studio import KINDS, StudioKind

MAX_TEXT = 60


def _number(step: str) -> forms.FloatField:
    return forms.FloatField(widget=forms.NumberInput(attrs={"step": step, "inputmode": "decimal"}))


class StudioForm(forms.Form):
    name = forms.CharField(
        label=_("Text on the arc"),
        max_length=MAX_TEXT,
        help_text=_("Usually the company's registered name."),
    )
    horizontal_text = forms.CharField(
        label=_("Horizontal text (横向文)"),
        max_length=20,
        required=False,
        help_text=_("Below the star, e.g. the seal's purpose."),
    )
    bottom_text = forms.CharField(
        label=_("Bottom text (下弦文)"),
        max_length=20,
        required=False,
        help_text=_("Along the bottom edge, e.g. a 13-digit anti-forgery number. Optional."),
    )
    taxpayer_id = forms.CharField(
        label=_("Taxpayer identification number"),
        max_length=20,
        help_text=_("Defaults to the company's unified social credit code."),
    )
    size_mm = _number("0.5")
    width_mm = _number("0.5")
    height_mm = _number("0.5")
    border_mm = _number("0.1")
    star = forms.BooleanField(label=_("Star"), required=False)
    color = forms.ChoiceField(label=_("Colour"), choices=studio.COLORS)
    font = forms.ChoiceField(label=_("Font"))
    aged = forms.BooleanField(
        label=_("Aged look (做旧)"),
        required=False,
        help_text=_("Wears the edges and strokes a little, like a real impression."),
    )
    aged_seed = forms.IntegerField(
        label=_("Wear pattern"), min_value=1, max_value=999, required=False
    )
    suffix = forms.ChoiceField(label=_("Ending"), choices=(("印", "印"), ("之印", "之印")))
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args, kind: StudioKind, company, legal_rep_name: str = "", **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind, self.company, self.legal_rep_name = kind, company, legal_rep_name
        self.spec = None
        self.design = None
        keep = set(kind.fields) | {"token"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        labels = {
            "size_mm": _("Size (mm)") if kind.shape != "round" else _("Diameter (mm)"),
            "width_mm": _("Width (mm)"),
            "height_mm": _("Height (mm)"),
            "border_mm": _("Border (mm)"),
        }
        for name, label in labels.items():
            if name in self.fields:
                self.fields[name].label = label
                rng = self._range(name)
                self.fields[name].widget.attrs.update({"min": f"{rng.lo:g}", "max": f"{rng.hi:g}"})
                self.fields[name].help_text = _("%(lo)s–%(hi)s mm") % {
                    "lo": f"{rng.lo:g}",
                    "hi": f"{rng.hi:g}",
                }
        if "font" in self.fields:
            self.fields["font"].choices = studio.available_fonts()
        if "horizontal_text" in self.fields and kind.engine.value == "foreign":
            self.fields["horizontal_text"].help_text = _(
                "Across the middle, e.g. the Chinese name for a bilingual seal. Optional."
            )
        if "horizontal_text" in self.fields and kind.slug == "custom":
            self.fields["horizontal_text"].label = _("Purpose text (横向文)")
            self.fields["horizontal_text"].help_text = _(
                "What the seal is for, e.g. 项目专用章. Not 公章: only the official seal reads so."
            )
        self.initial = {**self.defaults(), **self.initial}

    def _range(self, field: str) -> studio.Range:
        kind = self.kind
        rng = {"size_mm": kind.size, "width_mm": kind.width, "height_mm": kind.height}.get(
            field, kind.border
        )
        assert rng is not None
        return rng

    def defaults(self) -> dict:
        kind = self.kind
        fonts = [value for value, _label in studio.available_fonts()]
        out = {
            "name": self.company.name,
            "horizontal_text": kind.purpose,
            "taxpayer_id": self.company.uscc,
            "star": True,
            "color": "red",
            "font": "song" if "song" in fonts else (fonts[0] if fonts else ""),
            "aged_seed": 1,
            "suffix": "印",
            "border_mm": 1.2 if kind.slug == "custom" else kind.border.default,
        }
        for field, rng in (("size_mm", kind.size), ("width_mm", kind.width)):
            if rng is not None:
                out[field] = rng.default
        if kind.height is not None:
            out["height_mm"] = kind.height.default
        return {k: v for k, v in out.items() if k in self.fields}

    # ----------------------------------------------------------------------------- cleaning
    def _clean_text(self, field: str) -> str:
        return normalise_seal_text(self.cleaned_data.get(field) or "")

    def clean_name(self) -> str:
        return self._clean_text("name")

    def clean_horizontal_text(self) -> str:
        return self._clean_text("horizontal_text")

    def clean_bottom_text(self) -> str:
        return self._clean_text("bottom_text")

    def clean_taxpayer_id(self) -> str:
        return "".join(self._clean_text("taxpayer_id").split()).upper()

    def _clean_measure(self, field: str) -> float | None:
        value = self.cleaned_data.get(field)
        rng = self._range(field)
        if value is not None and not (rng.lo <= value <= rng.hi):
            raise forms.ValidationError(
                _("Choose between %(lo)s and %(hi)s mm."),
                code="out_of_range",
                params={"lo": f"{rng.lo:g}", "hi": f"{rng.hi:g}"},
            )
        return value

    def clean_size_mm(self):
        return self._clean_measure("size_mm")

    def clean_width_mm(self):
        return self._clean_measure("width_mm")

    def clean_height_mm(self):
        return self._clean_measure("height_mm")

    def clean_border_mm(self):
        return self._clean_measure("border_mm")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        w, h = data.get("width_mm"), data.get("height_mm")
        if self.kind.shape == "oval" and w is not None and h is not None and h >= w:
            self.add_error("height_mm", _("An oval seal must be wider than it is tall."))
            return data
        self.spec = studio.build_spec(self.kind, data, legal_rep_name=self.legal_rep_name)
        self.design = studio.check_design(self.kind, self.spec)
        for field, message in self.design.errors:
            self.add_error(field if field in self.fields else None, message)
        return data

    def error_map(self) -> dict[str, str]:
        """{field: first message} for the preview's JSON answer ("__all__" for the rest)."""
        return {field: str(errors[0]) for field, errors in self.errors.items()}


def kind_or_none(slug: str | None) -> StudioKind | None:
    return KINDS.get(slug or "")
