"""Django admin for platform operators (``is_staff``); company people never see it."""

from django.contrib import admin

from .models import Company, Invitation, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "uscc"]
    readonly_fields = ["created_at", "created_by"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["user__login", "user__name", "company__name"]
    raw_id_fields = ["user", "company"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["target", "company", "role", "status", "created_at", "expires_at"]
    list_filter = ["status", "channel", "role"]
    search_fields = ["target", "company__name"]
    # The token is a bearer secret: operators see who was invited, never the link itself.
    exclude = ["token"]
    readonly_fields = ["created_at", "responded_at", "responded_by", "invited_by"]
