"""Account pages: register, log in (password or one-time code), log out, reset password, and the
htmx endpoint that sends codes.

Existence of an account is only revealed to whoever controls the phone or address: login and
reset codes for unknown targets are decoys (same limits, same answer, nothing sent), and
"already registered" is only said after the registration code has been verified.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from chop.audit.events import client_ip, record

from . import lockout, otp, ratelimit
from .forms import CodeLoginForm, PasswordLoginForm, RegisterForm, ResetForm, SendCodeForm
from .models import User, UserManager
from .targets import Target, parse_target

BACKEND = "chop.accounts.backends.PhoneOrEmailBackend"


def _find_user(target: Target) -> User | None:
    return User.objects.filter(
        Q(login=target.value) | Q(phone=target.value) | Q(email__iexact=target.value)
    ).first()


def _canonical_login(raw: str) -> str:
    """One spelling per person, so "+86 138…" and "138…" count as the same account."""
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


def _locked(
    request: HttpRequest, username: str, method: str, lock: lockout.Lock, *, newly: bool
) -> str:
    """Audit a lock and return the message to show.

    ``newly`` says this very attempt started the lock (audited once as ``account.locked``);
    attempts refused during a lock are audited as failures with reason ``locked`` (they are not
    counted by the lockout itself).
    """
    if newly:
        record(
            "account.locked",
            request=request,
            company=None,
            login=_masked(username),
            method=method,
            scope=lock.scope,
            seconds=lock.seconds,
        )
    else:
        record(
            "account.login_failed",
            request=request,
            company=None,
            login=_masked(username),
            method=method,
            reason="locked",
            scope=lock.scope,
        )
    return lock.message


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
        # LockoutBackend refuses a locked attempt before the password is checked; the signal
        # receivers count real failures and clear the streak on success (chop.accounts.signals).
        user = authenticate(
            request, login=username, password=password_form.cleaned_data["password"]
        )
        if user is not None:
            login(request, user)
            record("account.login", request=request, actor=user, company=None, method="password")
            return redirect(_next_url(request))
        refused = getattr(request, "chop_lock", None)
        started = getattr(request, "chop_new_lock", None)
        if refused is not None or started is not None:
            password_form.add_error(
                None,
                _locked(request, username, "password", refused or started, newly=refused is None),
            )
            status = 429
        else:
            record(
                "account.login_failed",
                request=request,
                company=None,
                login=_masked(username),
                method="password",
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
    """Log in with a one-time code; failures count towards the same (account, address) streak as
    passwords, but not towards the account's daily password cap: a code proves control of the
    phone or address, so it stays the owner's way in when strangers have used up that cap."""
    target: Target = form.cleaned_data["login"]
    ip = client_ip(request)
    window = ratelimit.hit(
        f"code-login:ip:{ip}",
        limit=settings.CHOP_CODE_LOGIN_PER_IP_PER_HOUR,
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
    lock = lockout.check(target.value, ip, lockout.CODE)
    if lock is not None:
        form.add_error(None, _locked(request, target.value, "code", lock, newly=False))
        return 429
    try:
        otp.verify_code(target, otp.Purpose.LOGIN, form.cleaned_data["code"])
    except otp.OtpError as exc:
        started = lockout.failed(target.value, ip, lockout.CODE)
        if started is not None:
            form.add_error(None, _locked(request, target.value, "code", started, newly=True))
            return 429
        record(
            "account.login_failed",
            request=request,
            company=None,
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
    record("account.login", request=request, actor=user, company=None, method="code")
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
                record(
                    "account.registered",
                    request=request,
                    actor=user,
                    company=None,
                    obj=user,
                    via=target.kind,
                )
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
                # A reset proves control of the phone/address: lift any lock on the account.
                lockout.clear_account(user)
                record(
                    "account.password_reset", request=request, actor=user, company=None, obj=user
                )
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
        limit=settings.CHOP_SEND_CODE_PER_IP_PER_MINUTE,
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
            "minutes": settings.CHOP_OTP_TTL_SECONDS // 60,
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
