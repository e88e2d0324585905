"""Operator views of accounts. One-time codes are shown read-only: they are evidence of what was
sent and when, and only their hash is stored anyway."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .models import OneTimeCode, User


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
