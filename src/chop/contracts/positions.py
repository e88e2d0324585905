"""Designated positions (指定位置) and how they become ``chop.pdfsign`` marks.

A ``Position`` is stored in the engine's own coordinates (displayed-page millimetres from the
top-left), so turning it into a mark is a field-for-field copy: no conversion can drift between
what the initiator placed on the previews and what the signature stamps.
"""

from __future__ import annotations

from collections.abc import Iterable

from chop import pdfsign as ps
from chop.pdfsign.marks import Mark

from .models import Position

PositionForm = Position.Form


def _date(position: Position) -> ps.DateText | None:
    return ps.DateText(style="cn") if position.with_date else None


def mark_for(position: Position, seal: ps.SealAppearance) -> Mark:
    """The engine mark that stamps ``seal`` at ``position``."""
    size = position.size_mm
    if position.form == PositionForm.SINGLE:
        return ps.SingleMark(
            seal,
            page=int(position.page or 1),
            x_mm=float(position.x_mm or 0.0),
            y_mm=float(position.y_mm or 0.0),
            size_mm=size,
            date=_date(position),
        )
    if position.form == PositionForm.MULTI:
        return ps.MultiPageMark(
            seal,
            position.pages or "all",
            float(position.x_mm or 0.0),
            float(position.y_mm or 0.0),
            size_mm=size,
            date=_date(position),
        )
    if position.form == PositionForm.RIDING:
        return ps.RidingMark(
            seal,
            edge=position.edge or "right",  # type: ignore[arg-type]
            position_mm=position.along_mm,
            pages=position.pages or "all",
            size_mm=size,
        )
    if position.form == PositionForm.KEYWORD:
        return ps.KeywordMark(
            seal,
            position.keyword,
            occurrence=position.occurrence,  # type: ignore[arg-type]
            dx_mm=position.dx_mm,
            dy_mm=position.dy_mm,
            size_mm=size,
            date=_date(position),
        )
    raise ValueError(f"unknown position form {position.form!r}")


def marks_for(positions: Iterable[Position], seal: ps.SealAppearance) -> list[Mark]:
    """Every mark of a party's act, in the order the positions were placed."""
    return [mark_for(p, seal) for p in positions]


def describe(position: Position) -> dict:
    """The position as plain data: what a ``SigningAct`` records and the pages' script reads."""
    data: dict = {"id": position.pk, "form": position.form, "with_date": position.with_date}
    if position.size_mm is not None:
        data["size_mm"] = position.size_mm
    if position.form == PositionForm.SINGLE:
        data.update(page=position.page, x_mm=position.x_mm, y_mm=position.y_mm)
    elif position.form == PositionForm.MULTI:
        data.update(pages=position.pages, x_mm=position.x_mm, y_mm=position.y_mm)
    elif position.form == PositionForm.RIDING:
        data.update(edge=position.edge, along_mm=position.along_mm, pages=position.pages)
    else:
        data.update(
            keyword=position.keyword,
            occurrence=position.occurrence,
            dx_mm=position.dx_mm,
            dy_mm=position.dy_mm,
        )
    return data
