import django_filters
from django.utils.translation import gettext_lazy as _

from salesdesk.forms import style_fields
from salesdesk.models import AuditEntry, OutboxMessage


class StyledFilterSet(django_filters.FilterSet):
    @property
    def form(self):
        form = super().form
        style_fields(form.fields)
        return form


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
