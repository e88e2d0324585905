"""The signature pages (扫码签名).

Desktop, signed in: ``/seals/signature/`` offers a QR code for the phone, a pad to draw on, and
the name in a Kai font. The QR code's token lives only in the desktop's session (the database
keeps its hash), so the QR image and the link under it can be shown again after a reload. The
page polls a small status fragment with htmx until the signature arrives.

Phone, not signed in: ``/s/<token>/``, where the token is the credential. It is rate-limited per
address, answers 404 for an unknown token and 410 for a used or expired one, and takes the form's
CSRF token like any other post.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chop.uploads import file_response, harden_file_headers

from . import signatures
from .models import Seal, SignatureLink
from .signature_forms import DrawnSignatureForm
from .signatures import SignatureError

SESSION_KEY = "chop.signature_link"


# --- desktop -------------------------------------------------------------------------------------


def _session_link(request) -> tuple[SignatureLink | None, str]:
    """The link this desktop session started, with its token, if it belongs to this user."""
    held = request.session.get(SESSION_KEY) or {}
    if not held.get("id") or not held.get("token"):
        return None, ""
    link = SignatureLink.objects.filter(pk=held["id"], user=request.user).first()
    if link is None or link.token_hash != signatures.hash_token(held["token"]):
        return None, ""
    return link, held["token"]


@login_required
def signature_new(request):
    """The desktop page. POST ``action=link`` starts a QR link, ``action=typed`` saves the
    name in a Kai font as the signature. A drawing arrives at :func:`signature_draw`."""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "link":
            link, token = signatures.start_link(request.user)
            request.session[SESSION_KEY] = {"id": link.pk, "token": token}
            return redirect(reverse("signature_new") + "#phone")
        if action == "typed":
            return _save_typed(request)
        if action == "personal_seal":
            return _save_personal_seal(request)
        return redirect("signature_new")

    identity = signatures.verified_identity(request.user)
    link, token = _session_link(request)
    state = signatures.link_state(link) if link else None
    if state == "expired":
        link = None
    name = signatures.signature_name(request.user, identity)
    return render(
        request,
        "seals/signature.html",
        {
            "nav": "seals",
            "current": signatures.current_signature(request.user),
            "personal_seal": signatures.current_personal_seal(request.user),
            "suffixes": signatures.PERSONAL_SEAL_SUFFIXES,
            "verified": identity is not None,
            "name": name,
            "link": link,
            "link_state": state,
            "link_url": signatures.link_url(token) if link and state == "open" else "",
            "minutes": int(signatures.LINK_LIFETIME.total_seconds() // 60),
        },
    )


def _save_typed(request):
    from chop.explain import explain
    from chop.sealart import SealSpecError

    name = signatures.signature_name(request.user)
    if not name.strip():
        messages.error(request, _("Your account has no name yet: verify your real name first."))
        return redirect("signature_new")
    try:
        png, spec = signatures.typed_png(name)
        signatures.save_signature(
            request.user, png, origin=Seal.Origin.TYPED, spec=spec, request=request
        )
    except SealSpecError as exc:
        messages.error(request, explain(exc))
        return redirect("signature_new")
    messages.success(request, _("Your signature is saved: your name in Kai script."))
    return redirect("signature_new")


def _save_personal_seal(request):
    try:
        seal = signatures.make_personal_seal(
            request.user, suffix=request.POST.get("suffix", ""), request=request
        )
    except signatures.SignatureError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("signature_new") + "#personal-seal")
    messages.success(request, _("Your personal seal %(name)s is made.") % {"name": seal.name})
    return redirect(reverse("signature_new") + "#personal-seal")


def _form_error(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@login_required
@require_POST
def signature_draw(request):
    """The desktop pad posts its PNG here (fetch); the answer is JSON for the pad module."""
    form = DrawnSignatureForm(request.POST, request.FILES)
    if not form.is_valid():
        return JsonResponse({"ok": False, "error": _form_error(form)}, status=400)
    signatures.save_signature(
        request.user, form.cleaned_data["signature"], origin=Seal.Origin.DRAWN, request=request
    )
    messages.success(request, _("Your handwritten signature is saved."))
    return JsonResponse({"ok": True, "redirect": reverse("signature_new")})


def _not_get(request) -> HttpResponse | None:
    """Views that take an id look their object up first (404 for anyone else's), then refuse
    other methods: a 405 must not tell a stranger that the id exists."""
    if request.method in ("GET", "HEAD"):
        return None
    return HttpResponseNotAllowed(["GET", "HEAD"])


@login_required
def signature_qr(request, pk: int):
    """The QR code of the session's open link, as SVG (an ``<img>``: no script, no inline data)."""
    import segno

    link, token = _session_link(request)
    if link is None or link.pk != pk or signatures.link_state(link) != "open":
        raise Http404
    if refused := _not_get(request):
        return refused
    out = io.BytesIO()
    segno.make(signatures.link_url(token), error="m").save(
        out, kind="svg", scale=6, border=2, xmldecl=False, dark="#1f2328", title=None
    )
    return harden_file_headers(HttpResponse(out.getvalue(), content_type="image/svg+xml"))


@login_required
def signature_status(request, pk: int):
    """The fragment the desktop page polls every 2 s; once the signature has arrived (or the link
    expired) the fragment it returns has no trigger, and polling stops."""
    link = get_object_or_404(SignatureLink.objects.select_related("seal"), pk=pk, user=request.user)
    if refused := _not_get(request):
        return refused
    response = render(
        request,
        "seals/signature_status.html",
        {"link": link, "link_state": signatures.link_state(link), "poll": True},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def signature_image(request, pk: int):
    """A person's own signature image (any state), for the signature page. Others: 404."""
    seal = get_object_or_404(
        Seal, pk=pk, owner=request.user, company__isnull=True, kind=Seal.Kind.SIGNATURE
    )
    if refused := _not_get(request):
        return refused
    if not seal.image:
        raise Http404
    return file_response(seal.image, download_name=f"signature-{seal.code}")


@login_required
@require_GET
def signature_typed_preview(request):
    """The name in Kai script, as the "render from the name" choice would save it."""
    from chop.sealart import SealSpecError

    name = signatures.signature_name(request.user)
    if not name.strip():
        raise Http404
    try:
        png, _spec = signatures.typed_png(name)
    except SealSpecError:
        raise Http404 from None
    response = harden_file_headers(HttpResponse(png, content_type="image/png"))
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- phone ---------------------------------------------------------------------------------------


def _gone(request, err: SignatureError):
    response = render(
        request,
        "seals/signature_gone.html",
        {"message": err.message, "code": err.code, "status": err.status},
        status=err.status,
    )
    return _phone_headers(response)


def _phone_headers(response):
    # the token is in the address: never send it on as a referrer, never keep the page
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _rate_limited(request) -> HttpResponse | None:
    from chop.accounts import ratelimit
    from chop.audit.events import client_ip

    window = ratelimit.hit(
        f"signature-link:ip:{client_ip(request)}",
        limit=settings.CHOP_SIGNATURE_LINK_PER_IP_PER_MINUTE,
        window=60,
    )
    if window.allowed:
        return None
    message = _("Too many attempts from your network. Please try again in a minute.")
    if request.method == "POST":
        response = JsonResponse({"ok": False, "error": message}, status=429)
    else:
        response = render(
            request,
            "seals/signature_gone.html",
            {"message": message, "code": "rate", "status": 429},
            status=429,
        )
    response["Retry-After"] = str(window.retry_after)
    return _phone_headers(response)


def signature_phone(request, token: str):
    """The phone's drawing pad. GET shows it; POST takes the drawing (JSON answer)."""
    limited = _rate_limited(request)
    if limited is not None:
        return limited
    try:
        link = signatures.open_link(token)
    except SignatureError as err:
        if request.method == "POST":
            return _phone_headers(
                JsonResponse({"ok": False, "error": str(err.message)}, status=err.status)
            )
        return _gone(request, err)
    if request.method == "POST":
        form = DrawnSignatureForm(request.POST, request.FILES)
        if not form.is_valid():
            return _phone_headers(
                JsonResponse({"ok": False, "error": _form_error(form)}, status=400)
            )
        try:
            signatures.save_signature(
                link.user,
                form.cleaned_data["signature"],
                origin=Seal.Origin.DRAWN,
                link=link,
                request=request,
            )
        except SignatureError as err:
            return _phone_headers(
                JsonResponse({"ok": False, "error": str(err.message)}, status=err.status)
            )
        return _phone_headers(
            JsonResponse(
                {"ok": True, "done": _("Done. Your signature is on your computer's screen now.")}
            )
        )
    if request.method != "GET":
        return HttpResponse(status=405)
    return _phone_headers(
        render(
            request,
            "seals/signature_phone.html",
            {"expires_at": link.expires_at, "person": link.user.display_name},
        )
    )
