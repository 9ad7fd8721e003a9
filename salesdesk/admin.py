from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from salesdesk.models import AccessRequest, AuditEntry, NumberSeries, OutboxMessage, StaffProfile


class StaffProfileInline(admin.StackedInline):
    """An administrator who adds a user account gives it its staff profile on the same page."""

    model = StaffProfile
    can_delete = False
    fields = ["name", "title", "mobile", "qq", "wechat", "email", "duties"]


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class SalesdeskUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "title", "mobile"]
    search_fields = ["name", "user__username", "mobile"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_repr"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):
        return False  # the trail is read-only

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


admin.site.register(AccessRequest)
admin.site.register(NumberSeries)
admin.site.register(OutboxMessage)
