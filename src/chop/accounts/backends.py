"""Authentication by mobile number or e-mail address plus password."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from chop.audit.events import client_ip

from . import lockout
from .models import User, UserManager


class LockoutBackend:
    """First in ``AUTHENTICATION_BACKENDS``: refuses a password attempt that a lock forbids
    (``chop.accounts.lockout``) before any password is checked, for our login page and Django's
    admin alike. The lock is left on ``request.chop_lock`` for the page to explain; raising
    ``PermissionDenied`` stops ``authenticate()`` from trying the other backends. It has no
    ``get_user``, so sessions and ``force_login`` use the backend that actually logs people in."""

    def authenticate(self, request, username=None, password=None, login=None, **kwargs):
        ident = login or username or kwargs.get(User.USERNAME_FIELD)
        if request is None or not ident or password is None:
            return None
        lock = lockout.check(ident, client_ip(request), lockout.PASSWORD)
        if lock is not None:
            request.chop_lock = lock
            raise PermissionDenied(lock.scope)
        return None


class PhoneOrEmailBackend(ModelBackend):
    """Finds the user by login, phone or e-mail, whichever the person typed."""

    def authenticate(self, request, username=None, password=None, login=None, **kwargs):
        ident = UserManager.normalize_login(
            login or username or kwargs.get(User.USERNAME_FIELD) or ""
        )
        if not ident or password is None:
            return None
        user = User.objects.filter(Q(login=ident) | Q(phone=ident) | Q(email__iexact=ident)).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
