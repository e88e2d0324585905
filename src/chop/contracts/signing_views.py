"""The signing page and the signing password page (PRODUCT.md §4).

The signing page is reached by whoever acts for a party whose turn it is
(``access.parties_for(user, contract, state="to_sign")``); for anyone else every URL here is a
404, before any other check. It shows version 1 of the document, never a later one: a signer
sees what was sent, not the copy earlier signers have stamped (the act itself is still built on
the latest version). Its page images are the contract's own (``contract_page_image`` of version
1, which a party may see at its turn: ``permissions.can_see_version_as_party``); the pictures of
the seals it shows are served here, to whoever may choose them or ask for them.

The seals it offers for stamping are those ``permissions.may_stamp`` allows now, each with the
authorisation that allows it; the others are shown with the reason, and with "request approval"
when the refusal allows asking (the use request goes to ``chop.grants.requests``). The act asks
``may_stamp`` again inside its lock, so a page left open never stamps on a grant that has ended.
"""

from __future__ import annotations

import io
import json
import logging
import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from chop.audit.events import client_ip
from chop.grants import requests as requests_service
from chop.orgs.access import enter_space, membership_in
from chop.seals import exports
from chop.uploads import harden_file_headers

from . import intent, participants, positions, previews, signing
from .access import parties_for
from .models import Contract, DocumentVersion, Participant, SigningIntent

log = logging.getLogger(__name__)


# --- who is here ----------------------------------------------------------------------------


def _signer_parties(request, pk: int) -> tuple[Contract, list[Participant]]:
    """The contract and the parties the user may sign for now; 404 when there are none."""
    contract = get_object_or_404(Contract.objects.select_related("company", "created_by"), pk=pk)
    parties = parties_for(request.user, contract, state=Participant.State.TO_SIGN)
    if contract.state != Contract.State.SIGNING or not parties:
        raise Http404
    return contract, parties


def _party(request, parties: list[Participant]) -> Participant:
    wanted = request.POST.get("party") or request.GET.get("party")
    if wanted:
        for p in parties:
            if str(p.pk) == str(wanted):
                return p
        raise Http404
    return parties[0]


def _first_version(contract: Contract) -> DocumentVersion:
    version = contract.versions.filter(number=1).first()
    if version is None:
        raise Http404
    return version


# --- what the page shows --------------------------------------------------------------------


def _display_rect(page, rect) -> tuple[float, float, float, float]:
    """A user-space rectangle as (x, y, w, h) in displayed-page millimetres."""
    u0, v0 = page.to_display(rect[0], rect[1])
    u1, v1 = page.to_display(rect[2], rect[3])
    x, y = min(u0, u1), min(v0, v1)
    return (
        x * positions.MM_PER_PT,
        y * positions.MM_PER_PT,
        abs(u1 - u0) * positions.MM_PER_PT,
        abs(v1 - v0) * positions.MM_PER_PT,
    )


def designated_boxes(data: bytes, placed: list, seal) -> tuple[list, str]:
    """Where the positions ``placed`` put ``seal`` on the pages of the PDF ``data``: the
    engine's own layout (keyword positions resolved to their hits, riding seals cut into their
    strips), or an explanation when it cannot be laid out (e.g. a keyword missing from the
    document)."""
    if not placed:
        return [], ""
    from chop import pdfsign as ps
    from chop.explain import explain
    from chop.pdfsign.document import InputDocument
    from chop.pdfsign.layout import layout_marks

    look = signing.appearance(seal)
    marks = positions.marks_for(placed, look)
    try:
        doc = InputDocument(io.BytesIO(data))
        placements = layout_marks(doc, marks, timezone.now(), keyword_source=data)
    except ps.PdfSignError as exc:
        return [], explain(exc)
    boxes = []
    strip_no, strips = 0, 0
    for pl in placements:
        x, y, w, h = _display_rect(pl.page, pl.rect)
        box = {
            "page": pl.page.index + 1,
            "x": round(x, 2),
            "y": round(y, 2),
            "w": round(w, 2),
            "h": round(h, 2),
            "kind": pl.kind,
        }
        if pl.kind == "riding":
            # Which slice of the seal this strip shows, as the engine cuts it (equal strips per
            # page group; see chop.pdfsign.layout): the page draws the seal through the strip.
            page_w, page_h = (v * positions.MM_PER_PT for v in pl.page.display_size)
            # a left/right strip has the seal's full height, a top/bottom one its full width
            vertical = h * look.width_mm >= w * look.height_mm
            if vertical:
                extent = look.width_mm * h / look.height_mm
            else:
                extent = look.height_mm * w / look.width_mm
            if strips == 0 or strip_no >= strips:
                strips, strip_no = max(1, round(extent / max(w if vertical else h, 0.01))), 0
            k, n = strip_no, strips
            strip_no += 1
            if vertical:
                idx = k if x + w / 2 > page_w / 2 else n - 1 - k
                box.update(sx=round(idx * w, 2), sy=0.0, sw=round(w * n, 2), sh=round(h, 2))
            else:
                idx = n - 1 - k if y + h / 2 < page_h / 2 else k
                box.update(sx=0.0, sy=round(idx * h, 2), sw=round(w, 2), sh=round(h * n, 2))
        boxes.append(box)
    return boxes, ""


def _explain(choice: signing.SealChoice) -> str:
    """Why a seal is offered: by which authorisation (``may_stamp``'s answer), in a few words."""
    kind, auth = choice.decision.kind, choice.decision.authorisation
    if kind == "own":
        return _("Your own seal")
    if kind == "approval":
        return _("Approved request #%(n)d: one stamp") % {"n": auth.pk}
    parts = [_("By grant")]
    if auth.ends_at is not None:
        parts.append(
            _("until %(date)s") % {"date": timezone.localtime(auth.ends_at).strftime("%Y-%m-%d")}
        )
    else:
        parts.append(_("long-term"))
    if auth.uses_left is not None:
        parts.append(_("%(n)d uses left") % {"n": auth.uses_left})
    return _(", ").join(str(p) for p in parts)


def _seal_choices(party: Participant, user) -> tuple[list[dict], list[dict]]:
    """The seals offered for stamping (``may_stamp`` allows them, with why), and the others
    (refused: why, whether approval may be asked, the user's latest request for it)."""
    offered, others = [], []
    for choice in signing.seal_choices(party, user):
        if not choice.allowed:
            req = choice.request
            others.append(
                {
                    "seal": choice.seal,
                    "refusal": choice.decision,
                    "request": req,
                    "request_expired": req is not None and requests_service.is_expired(req),
                    "may_request": choice.decision.may_request,
                }
            )
            continue
        try:
            look = signing.appearance(choice.seal)
        except Exception:  # a seal whose picture cannot be read is not offered
            log.exception("seal %s cannot be drawn", choice.seal.pk)
            continue
        offered.append(
            {
                "seal": choice.seal,
                "why": _explain(choice),
                "w_mm": round(look.width_mm, 2),
                "h_mm": round(look.height_mm, 2),
            }
        )
    return offered, others


def _pages(contract: Contract, version: DocumentVersion) -> list[dict]:
    if version.preview_state != DocumentVersion.Previews.READY:
        return []
    pages = []
    for number in range(1, version.page_count + 1):
        w_mm, h_mm = positions.page_size_mm(version, number)
        width, height = previews.image_size(version, number, previews.PAGE)
        pages.append(
            {
                "number": number,
                "w_mm": round(w_mm, 2),
                "h_mm": round(h_mm, 2),
                "width": width,
                "height": height,
            }
        )
    return pages


def parse_free(raw: str | None) -> list[signing.FreeMark]:
    """The free placements the page's script posts: a JSON list of {page, x_mm, y_mm}."""
    if not raw:
        return []
    try:
        data = json.loads(raw)
        marks = [
            signing.FreeMark(int(d["page"]), float(d["x_mm"]), float(d["y_mm"]))
            for d in data[: signing.MAX_FREE_MARKS + 1]
        ]
    except (ValueError, TypeError, KeyError, IndexError):
        return []
    return [m for m in marks if math.isfinite(m.x_mm) and math.isfinite(m.y_mm)]


def _context(request, contract, parties, party, *, seal_id=None, error="", code_sent=None):
    version = _first_version(contract)
    choices, others = _seal_choices(party, request.user)
    chosen = None
    for c in choices:
        if seal_id is not None and str(c["seal"].pk) == str(seal_id):
            chosen = c
    if chosen is None and choices:
        chosen = choices[0]
    boxes_by_seal, layout_error = {}, ""
    placed = list(party.positions.all())
    data = b""
    if placed and choices:
        with version.file.open("rb") as fh:  # once, whatever the number of seals offered
            data = fh.read()
    for c in choices:
        boxes, problem = designated_boxes(data, placed, c["seal"])
        boxes_by_seal[c["seal"].pk] = boxes
        layout_error = layout_error or problem
    user = request.user
    free = parse_free(request.POST.get("free")) if request.method == "POST" else []
    return {
        "nav": "contracts",
        "contract": contract,
        "party": party,
        "parties": parties,
        "version": version,
        "pages": _pages(contract, version),
        "choices": choices,
        "others": others,
        "chosen": chosen,
        "reason_max": requests_service.REASON_MAX,
        "request_seal": str(request.POST.get("request_seal", "")),
        "request_reason": request.POST.get("reason", "") if request.method == "POST" else "",
        "can_decline": bool(
            parties_for(request.user, contract, state=Participant.State.TO_SIGN, decline=True)
        ),
        "designated": bool(placed),
        "boxes": [{**b, "seal": pk} for pk, boxes in boxes_by_seal.items() for b in boxes],
        "layout_error": layout_error,
        "free_json": json.dumps([{"page": f.page, "x_mm": f.x_mm, "y_mm": f.y_mm} for f in free]),
        "has_password": intent.has_password(user),
        "phone": bool(user.phone),
        "email": bool(user.email),
        "code_sent": code_sent,
        "method": request.POST.get("method") or ("password" if intent.has_password(user) else ""),
        "confirmed": intent.current(party, user),
        "error": error,
    }


# --- the views ------------------------------------------------------------------------------


@sensitive_post_parameters("password", "code")
@login_required
def contract_sign(request, pk: int):
    contract, parties = _signer_parties(request, pk)
    party = _party(request, parties)
    if party.company_id is not None and request.method == "GET":
        # The seals offered are the party's company's: the page is shown in that space.
        enter_space(request, party.company, membership_in(request.user, party.company_id))
    if request.method == "GET":
        participants.note_viewed(party, by=request.user, request=request)
        return render(request, "contracts/sign.html", _context(request, contract, parties, party))
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    seal_id = request.POST.get("seal")
    action = request.POST.get("action", "sign")
    ip = client_ip(request)
    if action in ("send_sms", "send_email"):
        channel = "sms" if action == "send_sms" else "email"
        try:
            issued = intent.send_code(party, request.user, channel, request=request)
        except intent.IntentError as exc:
            return _again(request, contract, parties, party, seal_id, exc.message)
        return render(
            request,
            "contracts/sign.html",
            _context(
                request,
                contract,
                parties,
                party,
                seal_id=seal_id,
                code_sent={"channel": channel, "masked": issued.masked},
            ),
        )
    if action == "request_approval":
        return _request_approval(request, contract, parties, party)
    # any seal that could stamp for the party: the act asks may_stamp and refuses with its reason
    # (a stale page that still offers a seal whose grant ended is refused there)
    seal = (
        signing.candidate_seals(party, request.user).filter(pk=seal_id).first()
        if (seal_id or "").isdigit()
        else None
    )
    if seal is None:
        return _again(
            request, contract, parties, party, seal_id, _("Choose the seal to sign with.")
        )
    try:
        confirmation = _confirm(request, party, ip)
        signing.sign(
            party,
            by=request.user,
            seal=seal,
            intent=confirmation,
            free=parse_free(request.POST.get("free")),
            ip=ip,
            device=request.META.get("HTTP_USER_AGENT", ""),
        )
    except (intent.IntentError, signing.SigningError) as exc:
        return _again(request, contract, parties, party, seal_id, exc.message)
    messages.success(
        request,
        _("Signed for %(party)s. The signed document is the contract's newest version.")
        % {"party": party.name},
    )
    return redirect("contract_detail", pk=contract.pk)


def _request_approval(request, contract, parties, party):
    """File a use request for a seal the user may not stamp with yet (用印申请)."""
    wanted = request.POST.get("request_seal", "")
    seal = (
        signing.candidate_seals(party, request.user).filter(pk=wanted).first()
        if wanted.isdigit()
        else None
    )
    if seal is None:
        return _again(request, contract, parties, party, None, _("Choose the seal to ask for."))
    try:
        requests_service.file(
            seal, contract, by=request.user, reason=request.POST.get("reason", ""), request=request
        )
    except requests_service.RequestError as exc:
        return _again(request, contract, parties, party, None, exc.message)
    messages.success(
        request,
        _(
            "Your request to use %(seal)s is sent to its approvers. You will be told when they decide."
        )
        % {"seal": seal.name},
    )
    return redirect(f"{reverse('contract_sign', args=[contract.pk])}?party={party.pk}")


def _confirm(request, party: Participant, ip) -> SigningIntent | None:
    """A confirmation of intent for this act: the password or code in the form, else one made
    a moment ago that no act has used yet."""
    method = request.POST.get("method", "")
    if method == "password" and request.POST.get("password"):
        return intent.confirm_by_password(party, request.user, request.POST["password"], ip)
    if method in ("sms", "email") and request.POST.get("code"):
        return intent.confirm_by_code(party, request.user, method, request.POST["code"], ip)
    return intent.current(party, request.user)


def _again(request, contract, parties, party, seal_id, error: str):
    return render(
        request,
        "contracts/sign.html",
        _context(request, contract, parties, party, seal_id=seal_id, error=error),
        status=400,
    )


@login_required
def contract_sign_seal_image(request, pk: int, seal: int):
    """A small picture of a seal the signer may choose here."""
    contract, parties = _signer_parties(request, pk)
    for party in parties:
        found = signing.candidate_seals(party, request.user).filter(pk=seal).first()
        if found is not None and found.image:
            break
    else:
        raise Http404
    response = harden_file_headers(
        HttpResponse(exports.preview_png(found), content_type="image/png")
    )
    response["Cache-Control"] = "private, max-age=300"
    return response


@sensitive_post_parameters("old", "new", "again", "code")
@login_required
def signing_password(request):
    """Set the signing password, or change it (the old one is asked for), or set a new one
    with a one-time code to the account's own phone or e-mail when the old one is forgotten."""
    user = request.user
    has = intent.has_password(user)
    error, reset_error, code_sent = "", "", None
    action = request.POST.get("action", "set")
    channel = request.POST.get("channel", "")
    if request.method == "POST":
        new, again = request.POST.get("new", ""), request.POST.get("again", "")
        try:
            if action == "send_reset" and has:
                code_sent = {
                    "channel": channel,
                    "masked": intent.send_reset_code(user, channel, request=request).masked,
                }
            elif new != again:
                raise intent.IntentError(
                    _("The two new signing passwords differ."), code="password.differ"
                )
            elif action == "reset" and has:
                intent.reset_signing_password(
                    user, channel, request.POST.get("code", ""), new, request=request
                )
                return _password_saved(request, changed=True)
            else:
                intent.set_signing_password(
                    user, new, old=request.POST.get("old") if has else None, request=request
                )
                return _password_saved(request, changed=has)
        except intent.IntentError as exc:
            if action in ("send_reset", "reset"):
                reset_error = exc.message
                if action == "reset":
                    code_sent = {"channel": channel, "masked": ""}
            else:
                error = exc.message
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(
        request,
        "contracts/signing_password.html",
        {
            "has_password": has,
            "error": error,
            "reset_error": reset_error,
            "code_sent": code_sent,
            "phone": bool(user.phone),
            "email": bool(user.email),
            "min_length": intent.MIN_LENGTH,
            "next": _safe_next(request.GET.get("next") or request.POST.get("next", "")),
        },
        status=400 if error or reset_error else 200,
    )


def _safe_next(back: str) -> str:
    """Only a path back to a contract page of this site (never another host)."""
    return back if back.startswith("/contracts/") and "//" not in back else ""


def _password_saved(request, *, changed: bool):
    messages.success(
        request,
        _("Your signing password is changed.") if changed else _("Your signing password is set."),
    )
    back = _safe_next(request.POST.get("next", ""))
    return redirect(back) if back else redirect("signing_password")
