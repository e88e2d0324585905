"""Designated positions (指定位置) and how they become ``chop.pdfsign`` marks.

A ``Position`` is stored in the engine's own coordinates (displayed-page millimetres from the
top-left), so turning it into a mark is a field-for-field copy: no conversion can drift between
what the initiator placed on the previews and what the signature stamps.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from chop import pdfsign as ps
from chop.audit.events import record
from chop.explain import explain
from chop.pdfsign.document import InputDocument
from chop.pdfsign.marks import Mark

from .models import Position
from .states import lock_contract

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


# --- placing positions on a draft ------------------------------------------------------------------
#
# The initiator places positions on the draft's current version; the server checks every value
# again, whatever the editor sent, so a position that is stored is one the engine can stamp.
#
# Sizes: ``size_mm`` is the seal's width. Left empty, a company party's seal is drawn 40 mm wide
# (an LLC's official seal, PRODUCT.md §2) and a person's signature or personal seal 20 mm wide.
# The box checked against the page is square (size × size): round and oval seals and personal
# seals (square, or 20×10) are never taller than wide, and a handwritten signature is wider than
# high. A date under the seal adds its line (3.5 mm text + 1 mm gap, ``chop.pdfsign.DateText``).

MM_PER_PT = 25.4 / 72
MIN_SIZE_MM = 10.0
MAX_SIZE_MM = 80.0
COMPANY_SIZE_MM = 40.0
PERSON_SIZE_MM = 20.0
DATE_LINE_MM = 4.5
MAX_KEYWORD = 100
MAX_OFFSET_MM = 200.0
# The engine lets a seal stick out of the page by 1 pt (about 0.35 mm) before refusing it.
EDGE_TOLERANCE_MM = 0.35
MAX_POSITIONS_PER_PARTY = 20


class PositionError(Exception):
    """A position that cannot be stored: ``code`` for programs, ``message`` for the user,
    ``field`` the form field it concerns (or "")."""

    def __init__(self, message, *, code: str, field: str = "") -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field


def default_size(participant) -> float:
    """The seal width used when the initiator leaves the size empty (see the note above)."""
    return COMPANY_SIZE_MM if participant.kind == "company" else PERSON_SIZE_MM


def page_size_mm(version, page: int) -> tuple[float, float]:
    """Displayed width and height of 1-based ``page`` in millimetres."""
    w, h = version.page_size(page)
    return w * MM_PER_PT, h * MM_PER_PT


def box_height(size: float, with_date: bool) -> float:
    return size + (DATE_LINE_MM if with_date else 0.0)


def _number(data: dict, name: str, *, required: bool, label) -> float | None:
    raw = data.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise PositionError(
                _("Enter %(what)s.") % {"what": label}, code="position.missing", field=name
            )
        return None
    try:
        value = float(str(raw).strip().replace(",", "."))
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise PositionError(
            _("%(what)s must be a number.") % {"what": label},
            code="position.not_a_number",
            field=name,
        )
    return round(value, 2)


def _flag(value) -> bool:
    return str(value).strip().lower() in {"1", "true", "on", "yes"} if value is not None else False


def _spec(data: dict) -> str:
    """The page ranges as typed, "all" when empty (全部 is how a Chinese user says it)."""
    spec = str(data.get("pages") or "").strip().lower().replace(" ", "").replace("，", ",")
    return "all" if spec in ("", "全部", "所有") else spec


def _pages(spec: str, page_count: int) -> list[int]:
    try:
        return ps.parse_page_ranges(spec, page_count)
    except ps.MarkError as exc:
        raise PositionError(explain(exc), code="position.bad_pages", field="pages") from exc


def _check_box(version, page: int, x: float, y: float, size: float, height: float) -> None:
    w, h = page_size_mm(version, page)
    t = EDGE_TOLERANCE_MM
    if x < -t or y < -t or x + size > w + t or y + height > h + t:
        raise PositionError(
            _(
                "The seal (%(size)s mm) at %(x)s, %(y)s mm would lie outside page %(page)s "
                "(%(w)s × %(h)s mm)."
            )
            % {
                "size": _fmt(size),
                "x": _fmt(x),
                "y": _fmt(y),
                "page": page,
                "w": _fmt(w),
                "h": _fmt(h),
            },
            code="position.off_page",
            field="x_mm",
        )


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def clean(participant, version, data: dict) -> dict:
    """The model field values of a position from submitted ``data`` (strings or numbers), or
    :class:`PositionError` with the first problem. Checked against ``version`` (the current
    document): pages exist, the seal lies on them, the keyword is in it."""
    form = str(data.get("form") or PositionForm.SINGLE)
    if form not in PositionForm.values:
        raise PositionError(_("Choose how the seal is placed."), code="position.form", field="form")
    size = _number(data, "size_mm", required=False, label=_("the size"))
    if size is None:
        size = default_size(participant)
    if not MIN_SIZE_MM <= size <= MAX_SIZE_MM:
        raise PositionError(
            _("The seal size must be between %(min)s and %(max)s mm.")
            % {"min": _fmt(MIN_SIZE_MM), "max": _fmt(MAX_SIZE_MM)},
            code="position.size",
            field="size_mm",
        )
    with_date = _flag(data.get("with_date")) and form != PositionForm.RIDING
    out: dict = {
        "form": form,
        "size_mm": size,
        "with_date": with_date,
        "page": None,
        "pages": "",
        "x_mm": None,
        "y_mm": None,
        "edge": "",
        "along_mm": None,
        "keyword": "",
        "occurrence": Position.Occurrence.FIRST,
        "dx_mm": 0.0,
        "dy_mm": 0.0,
    }
    count = version.page_count
    height = box_height(size, with_date)
    if form in (PositionForm.SINGLE, PositionForm.MULTI):
        x = _number(data, "x_mm", required=True, label=_("the distance from the left"))
        y = _number(data, "y_mm", required=True, label=_("the distance from the top"))
        assert x is not None and y is not None
        if form == PositionForm.SINGLE:
            page = _number(data, "page", required=True, label=_("the page"))
            if page is None or page != int(page) or not 1 <= page <= count:
                raise PositionError(
                    _("Choose a page from 1 to %(count)s.") % {"count": count},
                    code="position.page",
                    field="page",
                )
            pages = [int(page)]
            out["page"] = int(page)
        else:
            spec = _spec(data)
            pages = _pages(spec, count)
            out["pages"] = spec
        for p in pages:
            _check_box(version, p, x, y, size, height)
        out.update(x_mm=x, y_mm=y)
    elif form == PositionForm.RIDING:
        edge = str(data.get("edge") or Position.Edge.RIGHT)
        if edge not in Position.Edge.values:
            raise PositionError(_("Choose an edge."), code="position.edge", field="edge")
        spec = _spec(data)
        pages = _pages(spec, count)
        if len(pages) < 2:
            raise PositionError(
                _("A riding seal needs at least two pages."),
                code="position.riding_pages",
                field="pages",
            )
        along = _number(data, "along_mm", required=False, label=_("the position along the edge"))
        if along is not None:
            for p in pages:
                w, h = page_size_mm(version, p)
                length = h if edge in (Position.Edge.RIGHT, Position.Edge.LEFT) else w
                half = size / 2
                if not half - EDGE_TOLERANCE_MM <= along <= length - half + EDGE_TOLERANCE_MM:
                    raise PositionError(
                        _(
                            "On page %(page)s the seal's centre must be between %(lo)s and "
                            "%(hi)s mm along the edge."
                        )
                        % {"page": p, "lo": _fmt(half), "hi": _fmt(length - half)},
                        code="position.along",
                        field="along_mm",
                    )
        out.update(edge=edge, pages=spec, along_mm=along)
    else:
        keyword = str(data.get("keyword") or "").strip()
        if not keyword:
            raise PositionError(
                _("Enter the text to place the seal on."), code="position.keyword", field="keyword"
            )
        if len(keyword) > MAX_KEYWORD:
            raise PositionError(
                _("The text can be at most %(n)s characters.") % {"n": MAX_KEYWORD},
                code="position.keyword_long",
                field="keyword",
            )
        occurrence = str(data.get("occurrence") or Position.Occurrence.FIRST)
        if occurrence not in Position.Occurrence.values:
            raise PositionError(
                _("Choose which hits to use."), code="position.occurrence", field="occurrence"
            )
        dx = _number(data, "dx_mm", required=False, label=_("the offset to the right")) or 0.0
        dy = _number(data, "dy_mm", required=False, label=_("the offset down")) or 0.0
        if abs(dx) > MAX_OFFSET_MM or abs(dy) > MAX_OFFSET_MM:
            raise PositionError(
                _("An offset can be at most %(n)s mm.") % {"n": _fmt(MAX_OFFSET_MM)},
                code="position.offset",
                field="dx_mm",
            )
        hits = keyword_hits(version, keyword)
        if not hits:
            raise PositionError(
                _("The text “%(keyword)s” is not in the document.") % {"keyword": keyword},
                code="position.keyword_not_found",
                field="keyword",
            )
        # The engine keeps a seal at a hit on the page, but not the date line under it.
        for seal in keyword_seals(hits, version, occurrence=occurrence, dx=dx, dy=dy, size=size):
            _check_box(version, seal["page"], seal["x_mm"], seal["y_mm"], size, height)
        out.update(keyword=keyword, occurrence=occurrence, dx_mm=dx, dy_mm=dy)
    return out


def keyword_hits(version, keyword: str) -> list[dict]:
    """Where ``keyword`` is in ``version``: one dict per hit with the 1-based page and the text's
    box in displayed-page mm (``x_mm, y_mm`` top-left, ``w_mm, h_mm``), in reading order.

    The engine finds text in PDF user space; the page's CropBox and /Rotate turn it into what the
    previews show, exactly as the signing layout does (``PageInfo.to_display``)."""
    keyword = (keyword or "").strip()
    if not keyword:
        return []
    with version.file.open("rb") as fh:
        try:
            found = ps.find_keyword(fh, keyword)
            if not found:
                return []
            fh.seek(0)
            doc = InputDocument(fh)
        except ps.PdfSignError:
            return []
        out = []
        for hit in found:
            page = doc.pages[hit.page - 1]
            ax, ay = page.to_display(hit.rect[0], hit.rect[1])
            bx, by = page.to_display(hit.rect[2], hit.rect[3])
            out.append(
                {
                    "page": hit.page,
                    "x_mm": round(min(ax, bx) * MM_PER_PT, 2),
                    "y_mm": round(min(ay, by) * MM_PER_PT, 2),
                    "w_mm": round(abs(bx - ax) * MM_PER_PT, 2),
                    "h_mm": round(abs(by - ay) * MM_PER_PT, 2),
                    "text": hit.text,
                }
            )
    return out


def keyword_seals(
    hits: list[dict], version, *, occurrence: str, dx: float, dy: float, size: float
) -> list[dict]:
    """Where the engine will put the seal for the chosen ``hits``: centred on each hit, moved by
    the offsets, then kept on the page (``chop.pdfsign`` layout); boxes in displayed mm."""
    if occurrence == Position.Occurrence.FIRST:
        hits = hits[:1]
    elif occurrence == Position.Occurrence.LAST:
        hits = hits[-1:]
    out = []
    for hit in hits:
        w, h = page_size_mm(version, hit["page"])
        x = hit["x_mm"] + hit["w_mm"] / 2 - size / 2 + dx
        y = hit["y_mm"] + hit["h_mm"] / 2 - size / 2 + dy
        x = min(max(x, 0.0), max(w - size, 0.0))
        y = min(max(y, 0.0), max(h - size, 0.0))
        out.append({"page": hit["page"], "x_mm": round(x, 2), "y_mm": round(y, 2), "size_mm": size})
    return out


def _draft(contract):
    locked = lock_contract(contract.pk)
    if not locked.is_draft:
        raise PositionError(
            _("Positions can be changed only while the contract is a draft."),
            code="position.not_draft",
        )
    return locked


def _current(contract):
    version = contract.current_version()
    if version is None:
        raise PositionError(_("Upload the document first."), code="position.no_document")
    return version


def _audit(action: str, contract, position: Position, *, by, request, **extra) -> None:
    record(
        action,
        request=request,
        actor=by,
        company=contract.company,
        obj=contract,
        participant=position.participant_id,
        name=position.participant.name,
        position=position.pk,
        **describe(position),
        **extra,
    )


def add(contract, participant, data: dict, *, by, request=None) -> Position:
    """Place a new position for ``participant`` on the draft ``contract``."""
    with transaction.atomic():
        locked = _draft(contract)
        if participant.contract_id != locked.pk:
            raise PositionError(_("Choose a party of this contract."), code="position.party")
        party = locked.participants.get(pk=participant.pk)
        if party.positions.count() >= MAX_POSITIONS_PER_PARTY:
            raise PositionError(
                _("A party can have at most %(n)s positions.") % {"n": MAX_POSITIONS_PER_PARTY},
                code="position.too_many",
            )
        values = clean(party, _current(locked), data)
        position = Position.objects.create(participant=party, **values)
        _audit("contract.position_added", locked, position, by=by, request=request)
    return position


def update(position: Position, data: dict, *, by, request=None) -> Position:
    """Change ``position`` (moved, resized, another form): every value is checked again."""
    with transaction.atomic():
        locked = _draft(position.participant.contract)
        fresh = Position.objects.select_related("participant").get(
            pk=position.pk, participant__contract=locked
        )
        values = clean(fresh.participant, _current(locked), data)
        changed = [k for k, v in values.items() if getattr(fresh, k) != v]
        for k, v in values.items():
            setattr(fresh, k, v)
        fresh.save()
        if changed:
            _audit(
                "contract.position_changed", locked, fresh, by=by, request=request, fields=changed
            )
    return fresh


def remove(position: Position, *, by, request=None) -> None:
    """Take ``position`` off the draft (its party may end up non-designated)."""
    with transaction.atomic():
        locked = _draft(position.participant.contract)
        fresh = Position.objects.select_related("participant").get(
            pk=position.pk, participant__contract=locked
        )
        _audit("contract.position_removed", locked, fresh, by=by, request=request)
        fresh.delete()


def data_of(position: Position) -> dict:
    """The position as the editor's form submits it (strings and numbers), for ``clean``."""
    d = describe(position)
    d["with_date"] = position.with_date
    if position.page is not None:
        d["page"] = position.page
    return d


def problems(contract) -> list[tuple[str, str]]:
    """What stops the contract's positions from being stamped on its current version, as
    ``(code, message)``: a keyword no longer in the document, a page that no longer exists, a
    seal that no longer fits. Sending refuses while there is one (``sending.send_problems``)."""
    version = contract.current_version()
    if version is None:
        return []
    out = []
    for position in Position.objects.filter(participant__contract=contract).select_related(
        "participant"
    ):
        try:
            clean(position.participant, version, data_of(position))
        except PositionError as exc:
            out.append(
                (
                    f"send.{exc.code}",
                    _("A position of %(name)s: %(problem)s")
                    % {"name": position.participant.name, "problem": exc.message},
                )
            )
    return out


# --- what the editor draws -------------------------------------------------------------------------


def boxes(position: Position, version, hits: dict | None = None) -> list[dict]:
    """The rectangles ``position`` covers on ``version``'s displayed pages, in mm: the seal box
    (with its date line) on each page of a single or multi-page position, each page's strip of a
    riding seal, the seal at each chosen keyword hit. Nothing for what no longer fits (``problems``
    reports it). ``hits`` caches keyword searches across positions."""
    size = position.size_mm or default_size(position.participant)
    height = box_height(size, position.with_date)
    count = version.page_count
    out: list[dict] = []
    try:
        if position.form == PositionForm.SINGLE:
            if position.page and 1 <= position.page <= count:
                out.append({"page": position.page, "x_mm": position.x_mm, "y_mm": position.y_mm})
        elif position.form == PositionForm.MULTI:
            for p in ps.parse_page_ranges(position.pages or "all", count):
                out.append({"page": p, "x_mm": position.x_mm, "y_mm": position.y_mm})
        elif position.form == PositionForm.RIDING:
            return _riding_boxes(position, version, size)
        else:
            cache = hits if hits is not None else {}
            if position.keyword not in cache:
                cache[position.keyword] = keyword_hits(version, position.keyword)
            for seal in keyword_seals(
                cache[position.keyword],
                version,
                occurrence=position.occurrence,
                dx=position.dx_mm,
                dy=position.dy_mm,
                size=size,
            ):
                out.append({"page": seal["page"], "x_mm": seal["x_mm"], "y_mm": seal["y_mm"]})
    except ps.MarkError:
        return []
    for box in out:
        box.update(w_mm=size, h_mm=height)
    return out


def _riding_boxes(position: Position, version, size: float) -> list[dict]:
    from chop.pdfsign.layout import riding_groups

    pages = ps.parse_page_ranges(position.pages or "all", version.page_count)
    edge = position.edge or Position.Edge.RIGHT
    out = []
    for group in riding_groups(pages, size, 4.0):
        strip = size / len(group)
        for p in group:
            w, h = page_size_mm(version, p)
            if edge in (Position.Edge.RIGHT, Position.Edge.LEFT):
                centre = position.along_mm if position.along_mm is not None else h / 2
                x = w - strip if edge == Position.Edge.RIGHT else 0.0
                box = {"x_mm": x, "y_mm": centre - size / 2, "w_mm": strip, "h_mm": size}
            else:
                centre = position.along_mm if position.along_mm is not None else w / 2
                y = 0.0 if edge == Position.Edge.TOP else h - strip
                box = {"x_mm": centre - size / 2, "y_mm": y, "w_mm": size, "h_mm": strip}
            out.append({"page": p, **{k: round(v, 2) for k, v in box.items()}})
    return out


def _pages_text(spec: str) -> str:
    return _("all pages") if spec in ("", "all") else _("pages %(pages)s") % {"pages": spec}


def label(position: Position) -> str:
    """A short line saying where the position is, for the lists and the audit."""
    size = _fmt(position.size_mm or default_size(position.participant))
    if position.form == PositionForm.SINGLE:
        text = _("Page %(page)s, %(x)s mm from the left, %(y)s mm from the top") % {
            "page": position.page,
            "x": _fmt(position.x_mm or 0),
            "y": _fmt(position.y_mm or 0),
        }
    elif position.form == PositionForm.MULTI:
        text = _("%(pages)s, %(x)s mm from the left, %(y)s mm from the top") % {
            "pages": _pages_text(position.pages),
            "x": _fmt(position.x_mm or 0),
            "y": _fmt(position.y_mm or 0),
        }
    elif position.form == PositionForm.RIDING:
        text = _("Riding seal on the %(edge)s, %(pages)s") % {
            "edge": Position.Edge(position.edge or "right").label,
            "pages": _pages_text(position.pages),
        }
        if position.along_mm is not None:
            text += _(", centre at %(along)s mm") % {"along": _fmt(position.along_mm)}
    else:
        text = _("At “%(keyword)s” (%(which)s)") % {
            "keyword": position.keyword,
            "which": Position.Occurrence(position.occurrence).label,
        }
        if position.dx_mm or position.dy_mm:
            text += _(", moved %(dx)s mm right and %(dy)s mm down") % {
                "dx": _fmt(position.dx_mm),
                "dy": _fmt(position.dy_mm),
            }
    text += _(" · %(size)s mm") % {"size": size}
    if position.with_date:
        text += _(" · with the date")
    return text
