"""Django admin for platform operators (``is_staff``); company people never see it.

Read-only: every change to a company, its members or invitations goes through
``chop.orgs.services`` so it is permission-checked and written to the audit log. An edit made
here would bypass both.
"""

from django.contrib import admin

from .models import Company, Invitation, Membership


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "joined_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Company)
class CompanyAdmin(ReadOnlyAdmin):
    list_display = ["name", "uscc", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "uscc"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "company", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["user__login", "user__name", "company__name"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["masked_target", "company", "role", "status", "created_at", "expires_at"]
    list_filter = ["status", "channel", "role"]
    search_fields = ["target", "company__name"]
    # The token is a bearer secret: operators see who was invited, never the link itself.
    exclude = ["token"]
