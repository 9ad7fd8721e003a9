"""The admin: user accounts, and read-only views of the records whose changes go through the
services and pages that audit them (access requests, the outbox, number series, the trail)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from salesdesk import services
from salesdesk.models import AccessRequest, AuditEntry, NumberSeries, OutboxMessage, StaffProfile


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never changed here: a change made in the admin would leave no audit entry (an access
    request approved by nobody) or break an invariant (a number series rewound is no longer gapless)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StaffProfileInline(admin.StackedInline):
    """An administrator who adds a user account gives it its staff profile on the same page (through
    the service, audited); an existing profile is changed on the staff page, which logs it."""

    model = StaffProfile
    can_delete = False
    fields = ["name", "title", "mobile", "qq", "wechat", "email", "duties"]

    def has_change_permission(self, request, obj=None):
        return False


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class SalesdeskUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]

    def save_related(self, request, form, formsets, change):
        """The roles (groups) chosen on the form are given through `services.roles_assign`, which
        logs them before and after; everything else as Django saves it."""
        roles = form.cleaned_data.pop("groups", None)
        super().save_related(request, form, formsets, change)
        if roles is not None:
            services.roles_assign(user=form.instance, roles=[group.name for group in roles], by=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not StaffProfile:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []  # the change message reads them
        for inline in formset.forms:
            if inline.has_changed() and not inline.instance.pk:
                fields = {name: inline.cleaned_data.get(name) for name in StaffProfileInline.fields}
                formset.new_objects.append(services.staff_profile_ensure(user=form.instance, by=request.user, **fields))


@admin.register(StaffProfile)
class StaffProfileAdmin(ReadOnlyAdmin):
    """Changed on the staff page (/staff/), which logs every change."""

    list_display = ["name", "user", "title", "mobile"]
    search_fields = ["name", "user__username", "mobile"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_repr"]
    list_filter = ["action"]


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    """Decided on the access request page (/access/), which logs the decision."""

    list_display = ["created_at", "requester", "scope", "status", "valid_until"]
    list_filter = ["status", "scope"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Sent again or cancelled on the outbox page (/outbox/), which logs it."""

    list_display = ["created_at", "channel", "recipient", "state", "attempts"]
    list_filter = ["channel", "state"]


@admin.register(NumberSeries)
class NumberSeriesAdmin(ReadOnlyAdmin):
    """Advanced only by the numbering service: a series changed by hand is no longer gapless."""

    list_display = ["key", "last_value"]
