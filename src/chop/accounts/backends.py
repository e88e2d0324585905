"""Authentication by mobile number or e-mail address plus password."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .models import User, UserManager


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
