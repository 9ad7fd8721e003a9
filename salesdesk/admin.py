from django.contrib import admin

from salesdesk.models import AccessRequest, AuditEntry, NumberSeries, OutboxMessage, StaffProfile


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
