import django_filters
from django import forms
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from salesdesk.access import users_with
from salesdesk.forms import style_fields
from salesdesk.models import AuditEntry, OutboxMessage, Region, Role
from salesdesk.widgets import OptionsSelect



class StyledFilterSet(django_filters.FilterSet):
    @property
    def form(self):
        form = super().form
        style_fields(form.fields)
        return form


CHOICES_TTL = 300  # seconds; saving a region or a user clears them at once (salesdesk.signals)
REGION_CHOICES_KEY = "salesdesk:region-choices"
USER_CHOICES_KEY = "salesdesk:user-choices:{}"


def region_choices():
    """(id, label) of every region, indented under its parent, read once and cached: every list
    page shows them, and regions change a few times a year."""

    def read():
        return [
            (pk, f"{'　' * max(0, path.count('/') - 2)}{name} ({code})")
            for pk, name, code, path in Region.objects.order_by("path").values_list("pk", "name", "code", "path")
        ]

    return cache.get_or_set(REGION_CHOICES_KEY, read, CHOICES_TTL)


def user_choices(*roles):
    def read():
        users = users_with(*roles).values_list("pk", "first_name", "username")
        return [(pk, first or username) for pk, first, username in users]

    return cache.get_or_set(USER_CHOICES_KEY.format(",".join(roles) or "all"), read, CHOICES_TTL)


def forget_choices():
    cache.delete_many([REGION_CHOICES_KEY, USER_CHOICES_KEY.format("all"), USER_CHOICES_KEY.format(Role.DEVELOPER)])


class OptionsFilter(django_filters.Filter):
    """An id chosen from a cached list of options (`options()` → [(id, label)]). The form field is
    a plain integer field, and the options are read only when the select renders."""

    field_class = forms.IntegerField

    def __init__(self, *args, options, **kwargs):
        kwargs.setdefault("widget", OptionsSelect(options=options))
        super().__init__(*args, **kwargs)


class UserFilter(OptionsFilter):
    """People by name."""

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, options=lambda: user_choices(*roles), **kwargs)


class RegionTreeFilter(OptionsFilter):
    """A region includes its sub-regions; an unknown region finds nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, options=region_choices, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        path = Region.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        subtree = Region.objects.filter(path__startswith=path).values_list("pk", flat=True)
        return qs.filter(region_id__in=list(subtree))


class AuditFilter(StyledFilterSet):
    actor = django_filters.CharFilter(field_name="actor__username", label=_("By (user name)"))
    action = django_filters.CharFilter(field_name="action", lookup_expr="startswith", label=_("Action starts with"))
    record = django_filters.CharFilter(field_name="object_repr", lookup_expr="icontains", label=_("Record"))
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label=_("From"))
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label=_("To"))

    class Meta:
        model = AuditEntry
        fields = []


class OutboxFilter(StyledFilterSet):
    state = django_filters.ChoiceFilter(choices=OutboxMessage.State.choices, label=_("State"))
    channel = django_filters.ChoiceFilter(choices=OutboxMessage.Channel.choices, label=_("Channel"))
    recipient = django_filters.CharFilter(lookup_expr="startswith", label=_("Recipient"))

    class Meta:
        model = OutboxMessage
        fields = []
