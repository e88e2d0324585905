"""Account pages: register, log in (password or one-time code), log out, reset password, and the
htmx endpoint that sends codes.

Existence of an account is only revealed to whoever controls the phone or address: login and
reset codes for unknown targets are decoys (same limits, same answer, nothing sent), and
"already registered" is only said after the registration code has been verified.
"""

from __future__ import annotations

import math
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, user_login_failed
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from chop.audit.events import client_ip, record

from . import otp, ratelimit
from .forms import CodeLoginForm, PasswordLoginForm, RegisterForm, ResetForm, SendCodeForm
from .models import User, UserManager
from .targets import Target, parse_target

BACKEND = "chop.accounts.backends.PhoneOrEmailBackend"


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _find_user(target: Target) -> User | None:
    return User.objects.filter(
        Q(login=target.value) | Q(phone=target.value) | Q(email__iexact=target.value)
    ).first()


def _canonical_login(raw: str) -> str:
    """One spelling per person, so axes counts "+86 138…" and "138…" as the same username."""
    try:
        return parse_target(raw).value
    except Exception:
        return UserManager.normalize_login(raw)


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _masked(raw: str) -> str:
    try:
        return parse_target(raw).masked
    except Exception:
        return raw[:3] + "***"


# --- lockout ------------------------------------------------------------------------------------


def lockout_message(request: HttpRequest, username: str) -> str:
    """Translated "locked, try again in N minutes (after HH:MM)" for ``username`` / this client."""
    now = timezone.now()
    cool_off = get_cool_off(request) or timedelta(minutes=15)
    ip = getattr(request, "axes_ip_address", None) or client_ip(request)
    last = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=ip)).aggregate(
        t=Max("attempt_time")
    )["t"]
    retry_at = (last or now) + cool_off
    minutes = max(1, math.ceil((retry_at - now).total_seconds() / 60))
    return ngettext(
        "Too many failed attempts. Login is locked for now: try again in %(minutes)s minute "
        "(after %(time)s), or reset your password.",
        "Too many failed attempts. Login is locked for now: try again in %(minutes)s minutes "
        "(after %(time)s), or reset your password.",
        minutes,
    ) % {"minutes": minutes, "time": timezone.localtime(retry_at).strftime("%H:%M")}


def _handle_locked(request: HttpRequest, username: str, method: str, *, newly: bool) -> str:
    """Audit the lock and return the message to show.

    Axes would otherwise replace our page with its own plain-text response (AxesMiddleware acts on
    ``request.axes_locked_out``); we show the login page with the message instead, so we clear it.
    ``newly`` says this very attempt tipped the account into the lock (audited once as
    ``account.locked``); attempts during the lock are audited as failures.
    """
    if newly:
        record("account.locked", request=request, login=_masked(username), method=method)
    else:
        record(
            "account.login_failed",
            request=request,
            login=_masked(username),
            method=method,
            reason="locked",
        )
    request.axes_locked_out = False
    return lockout_message(request, username)


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """For ``AXES_USERNAME_CALLABLE``: the canonical login whichever form the attempt came from.

    Our forms send ``login``; Django's admin login sends ``username``. Without this, admin
    failures are counted against no username (only the IP address).
    """
    raw = None
    for source in (credentials or {}, request.POST if request is not None else {}):
        raw = source.get(settings.AXES_USERNAME_FORM_FIELD) or source.get("username")
        if raw:
            break
    return _canonical_login(raw) if raw else None


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    """For ``AXES_LOCKOUT_CALLABLE``: axes' own lockout answer (e.g. on the admin login) as our
    login page with the translated message, instead of a bare English text response."""
    username = ""
    if credentials:
        username = credentials.get(settings.AXES_USERNAME_FORM_FIELD) or ""
    username = (
        username
        or request.POST.get(settings.AXES_USERNAME_FORM_FIELD, "")
        or request.POST.get("username", "")
    )
    form = PasswordLoginForm(initial={"login": username})
    message = lockout_message(request, _canonical_login(username) if username else "")
    return render(
        request,
        "accounts/login.html",
        {
            "tab": "password",
            "password_form": form,
            "code_form": CodeLoginForm(),
            "lockout": message,
            "title": _("Log in"),
        },
        status=429,
    )


# --- pages --------------------------------------------------------------------------------------


@sensitive_post_parameters("password", "password1", "password2", "code")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_next_url(request))
    tab = request.POST.get("method") or request.GET.get("tab") or "password"
    tab = tab if tab in ("password", "code") else "password"
    password_form = PasswordLoginForm(
        request.POST if tab == "password" and request.method == "POST" else None
    )
    code_form = CodeLoginForm(request.POST if tab == "code" and request.method == "POST" else None)
    status = 200
    sender = None

    if request.method == "POST" and tab == "code" and request.POST.get("action") == "send":
        # Without JavaScript the "Get code" button submits the whole form here.
        sender = _issue_from_post(request, otp.Purpose.LOGIN)
        code_form = CodeLoginForm(initial={"login": request.POST.get("login", "")})

    elif request.method == "POST" and tab == "password" and password_form.is_valid():
        username = _canonical_login(password_form.cleaned_data["login"])
        was_locked = AxesProxyHandler.is_locked(
            request, {settings.AXES_USERNAME_FORM_FIELD: username}
        )
        user = authenticate(
            request, login=username, password=password_form.cleaned_data["password"]
        )
        if user is not None:
            login(request, user)
            record("account.login", request=request, actor=user, method="password")
            return redirect(_next_url(request))
        if getattr(request, "axes_locked_out", False):
            password_form.add_error(
                None, _handle_locked(request, username, "password", newly=not was_locked)
            )
            status = 429
        else:
            record(
                "account.login_failed", request=request, login=_masked(username), method="password"
            )
            password_form.add_error(None, _("Incorrect mobile number, e-mail or password."))

    elif request.method == "POST" and tab == "code" and code_form.is_valid():
        result = _code_login(request, code_form)
        if isinstance(result, HttpResponse):
            return result
        status = result

    return render(
        request,
        "accounts/login.html",
        {
            "tab": tab,
            "password_form": password_form,
            "code_form": code_form,
            "sender": sender,
            "next": request.POST.get("next") or request.GET.get("next") or "",
            "title": _("Log in"),
        },
        status=status,
    )


def _code_login(request: HttpRequest, form: CodeLoginForm) -> HttpResponse | int:
    """Log in with a one-time code; failures count towards the same axes lockout as passwords."""
    target: Target = form.cleaned_data["login"]
    credentials = {settings.AXES_USERNAME_FORM_FIELD: target.value}
    window = ratelimit.hit(
        f"code-login:ip:{client_ip(request)}",
        limit=_limit("CHOP_CODE_LOGIN_PER_IP_PER_HOUR", 30),
        window=3600,
    )
    if not window.allowed:
        minutes = max(1, math.ceil(window.retry_after / 60))
        form.add_error(
            None,
            ngettext(
                "Too many attempts from your network. Please try again in %(minutes)s minute.",
                "Too many attempts from your network. Please try again in %(minutes)s minutes.",
                minutes,
            )
            % {"minutes": minutes},
        )
        return 429
    if AxesProxyHandler.is_locked(request, credentials):
        form.add_error(None, _handle_locked(request, target.value, "code", newly=False))
        return 429
    try:
        otp.verify_code(target, otp.Purpose.LOGIN, form.cleaned_data["code"])
    except otp.OtpError as exc:
        # Tell axes, exactly as a wrong password would: one failure counter for both ways in.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            form.add_error(None, _handle_locked(request, target.value, "code", newly=True))
            return 429
        record(
            "account.login_failed",
            request=request,
            login=target.masked,
            method="code",
            reason=type(exc).__name__,
        )
        form.add_error("code", str(exc))
        return 200
    user = _find_user(target)
    if user is None or not user.is_active:  # decoys never verify; this is a deleted/disabled user
        form.add_error(None, _("This account cannot log in."))
        return 200
    login(request, user, backend=BACKEND)
    record("account.login", request=request, actor=user, method="code")
    return redirect(_next_url(request))


@sensitive_post_parameters("password", "password1", "password2", "code")
@never_cache
def register_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = RegisterForm(request.POST or None)
    sender = None
    if request.method == "POST" and request.POST.get("action") == "send":
        # Without JavaScript the "Get code" button submits the whole form here.
        sender = _issue_from_post(request, otp.Purpose.REGISTER)
        form = RegisterForm(initial={"login": request.POST.get("login", "")})
    elif request.method == "POST" and form.is_valid():
        target: Target = form.cleaned_data["login"]
        try:
            otp.verify_code(target, otp.Purpose.REGISTER, form.cleaned_data["code"])
        except otp.OtpError as exc:
            form.add_error("code", str(exc))
        else:
            user = None
            if _find_user(target) is None:
                try:
                    with transaction.atomic():
                        user = User.objects.create_user(
                            target.value,
                            form.cleaned_data["password1"],
                            name=form.cleaned_data["name"],
                            # Later notifications go out in the language they signed up in.
                            language=get_language() or "",
                        )
                except IntegrityError:
                    user = None
            if user is None:
                # Said only now, to the person who just proved they hold this phone or address.
                form.add_error(
                    None,
                    _(
                        "An account with this mobile number or e-mail already exists. Log in, or reset your password."
                    ),
                )
            else:
                login(request, user, backend=BACKEND)
                record("account.registered", request=request, actor=user, obj=user, via=target.kind)
                messages.success(request, _("Welcome to Chop! Your account has been created."))
                return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "accounts/register.html",
        {
            "form": form,
            "sender": sender,
            "show_step2": request.method == "POST",
            "title": _("Register"),
        },
    )


@sensitive_post_parameters("password", "password1", "password2", "code")
@never_cache
def reset_view(request: HttpRequest) -> HttpResponse:
    form = ResetForm(request.POST or None)
    sender = None
    if request.method == "POST" and request.POST.get("action") == "send":
        sender = _issue_from_post(request, otp.Purpose.RESET)
        form = ResetForm(initial={"login": request.POST.get("login", "")})
    elif request.method == "POST" and form.is_valid():
        target: Target = form.cleaned_data["login"]
        try:
            otp.verify_code(target, otp.Purpose.RESET, form.cleaned_data["code"])
        except otp.OtpError as exc:
            form.add_error("code", str(exc))
        else:
            user = _find_user(target)
            if user is None:  # cannot happen with decoys; kept for a user deleted meanwhile
                form.add_error("code", str(otp.CodeExpired()))
            else:
                user.set_password(form.cleaned_data["password1"])
                user.save(update_fields=["password"])
                # A reset proves control of the phone/address: lift any lockout on the account.
                AxesProxyHandler.reset_attempts(username=user.login)
                if target.value != user.login:
                    AxesProxyHandler.reset_attempts(username=target.value)
                record("account.password_reset", request=request, actor=user, obj=user)
                messages.success(
                    request,
                    _("Your password has been changed. Please log in with the new password."),
                )
                return redirect("accounts:login")
    return render(
        request,
        "accounts/reset.html",
        {
            "form": form,
            "sender": sender,
            "show_step2": request.method == "POST",
            "title": _("Reset password"),
        },
    )


# --- sending codes ------------------------------------------------------------------------------


def _issue_from_post(request: HttpRequest, purpose: str) -> dict:
    """Validate, rate-limit and issue a code; return the context for ``_code_sender.html``."""
    form = SendCodeForm({"login": request.POST.get("login", ""), "purpose": purpose})
    ctx: dict = {"purpose": purpose, "ok": False, "message": "", "countdown": 0}
    burst = ratelimit.hit(
        f"send-code:ip:{client_ip(request)}",
        limit=_limit("CHOP_SEND_CODE_PER_IP_PER_MINUTE", 5),
        window=60,
    )
    if not burst.allowed:
        ctx["message"] = otp.TooSoon(burst.retry_after).message
        ctx["countdown"] = burst.retry_after
        return ctx
    if not form.is_valid():
        ctx["message"] = " ".join(form.errors.get("login", [])) or _(
            "Enter a mobile number or an e-mail address."
        )
        return ctx
    target: Target = form.cleaned_data["login"]
    # Registration codes always go out (the owner learns about an existing account only after
    # verifying); login and reset codes go out only to existing accounts, decoys otherwise.
    deliver = purpose == otp.Purpose.REGISTER or _find_user(target) is not None
    try:
        issued = otp.issue_code(target, purpose, request=request, deliver=deliver)
    except otp.TooSoon as exc:
        ctx.update(message=exc.message, countdown=exc.seconds)
        return ctx
    except otp.OtpError as exc:
        ctx["message"] = exc.message
        return ctx
    ctx.update(ok=True, countdown=issued.resend_in)
    if purpose == otp.Purpose.REGISTER:
        ctx["message"] = _(
            "A code has been sent to %(to)s. It is valid for %(minutes)s minutes."
        ) % {
            "to": issued.masked,
            "minutes": _limit("CHOP_OTP_TTL_SECONDS", 300) // 60,
        }
    else:
        ctx["message"] = _("If an account exists for %(to)s, a code has been sent to it.") % {
            "to": issued.masked
        }
    return ctx


@never_cache
@require_POST
def send_code_view(request: HttpRequest) -> HttpResponse:
    """htmx endpoint behind the "Get code" buttons; answers with the button and a status line."""
    purpose = request.POST.get("purpose", "")
    if purpose not in (otp.Purpose.REGISTER, otp.Purpose.LOGIN, otp.Purpose.RESET):
        return HttpResponse(status=400)
    ctx = _issue_from_post(request, purpose)
    return render(
        request, "accounts/_code_sender.html", {"sender": ctx, "purpose": purpose, "oob": True}
    )
