"""Operator views of accounts. One-time codes are shown read-only: they are evidence of what was
sent and when, and only their hash is stored anyway."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import user_logged_in
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from chop.audit.events import record

from .models import OneTimeCode, User


class LockoutAwareAdminLoginForm(AdminAuthenticationForm):
    """The admin login under the same lockout as the site's (``LockoutBackend`` refuses locked
    attempts, the signal receivers count failures); this only says why, instead of
    "wrong password", when a lock refused the attempt or this failure started one."""

    def get_invalid_login_error(self):
        lock = getattr(self.request, "chop_lock", None) or getattr(
            self.request, "chop_new_lock", None
        )
        if lock is not None:
            return ValidationError(lock.message, code="locked")
        return super().get_invalid_login_error()


admin.site.login_form = LockoutAwareAdminLoginForm


@receiver(user_logged_in, dispatch_uid="chop.accounts.admin.audit_admin_login")
def _audit_admin_login(sender, request, user, **kwargs) -> None:
    """Logins through /admin/ are recorded like the site's own (which its views record)."""
    if request is None or not hasattr(request, "resolver_match") or request.resolver_match is None:
        return
    if request.resolver_match.view_name == "admin:login":
        record("account.login", request=request, actor=user, company=None, method="admin")


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("login",)

    def save(self, commit: bool = True) -> User:
        """Fill phone or e-mail from the login, as ``UserManager.create_user`` does."""
        user = super().save(commit=False)
        user.login = User.objects.normalize_login(user.login)
        if "@" in user.login:
            user.email = user.email or user.login
        else:
            user.phone = user.phone or user.login
        if commit:
            user.save()
            self._save_m2m()
        return user


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["-date_joined"]
    list_display = ["login", "name", "phone", "email", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_active", "is_superuser"]
    search_fields = ["login", "name", "phone", "email"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["login", "password"]}),
        (_("Person"), {"fields": ["name", "phone", "email", "language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["date_joined", "last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["login", "password1", "password2"]})]
    filter_horizontal = ["groups", "user_permissions"]


@admin.register(OneTimeCode)
class OneTimeCodeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "purpose", "target", "delivered", "attempts", "used_at", "ip"]
    list_filter = ["purpose", "delivered"]
    search_fields = ["target", "ip"]
    exclude = ["salt", "code_hash"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        """The rows are what the resend interval and daily caps count: deleting them would lift
        the limits (and erase the evidence of what was sent)."""
        return False
