import datetime

import django_filters
from django import forms
from django.core.cache import cache
from django.db import connections, models
from django.db.models import Func, Value
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesdesk import registry
from salesdesk.access import users_with
from salesdesk.forms import FILTER_EMPTY_LABEL, style_fields
from salesdesk.models import AuditEntry, OutboxMessage, Region, Role
from salesdesk.widgets import OptionsSelect



class StyledFilterSet(django_filters.FilterSet):
    @property
    def form(self):
        form = super().form  # built once by django-filter, asked for several times per request
        if not getattr(form, "_salesdesk_styled", False):
            style_fields(form.fields, empty_label=FILTER_EMPTY_LABEL)
            form._salesdesk_styled = True
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


DAY_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # a widget is copied per form


def start_of_day(day):
    """The first moment of a local (Asia/Shanghai) day, aware: what `at` is compared with."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


SHORT_GRAMS = "salesdesk_short_grams"  # an SQL function of migration 0002 (PostgreSQL)


class RecordNameFilter(django_filters.CharFilter):
    """Any fragment of the record's name, in any case. On PostgreSQL a fragment of 3 characters or
    more is found through the trigram index on UPPER(object_repr); a shorter one (a given name, one
    character) has no trigram to look up, so it is found through the index of the names' 1- and
    2-character pieces: `salesdesk_short_grams(UPPER(object_repr)) @> ARRAY[UPPER(fragment)]`,
    which holds exactly when the fragment is in the name. Elsewhere a plain icontains."""

    def filter(self, queryset, value):
        value = (value or "").strip()
        if not value:
            return queryset
        if len(value) < 3 and connections[queryset.db].vendor == "postgresql":
            from django.contrib.postgres.fields import ArrayField

            grams = Func(Upper(self.field_name), function=SHORT_GRAMS, output_field=ArrayField(models.TextField()))
            return queryset.alias(record_grams=grams).filter(record_grams__contains=[Upper(Value(value))])
        return queryset.filter(**{f"{self.field_name}__icontains": value})


class AuditFilter(StyledFilterSet):
    """Every filter is a plain comparison on a column an index starts with: the action by its code
    (chosen by its label), the person by id, the days as a half-open range of local time on `at`
    (never `at__date`, which casts the column so no index applies), the record by a fragment of its
    name (GIN indexes on PostgreSQL, migration 0002)."""

    action = django_filters.ChoiceFilter(choices=registry.action_label_choices, label=_("Action"))
    actor = UserFilter(field_name="actor", label=_("By"))
    record = RecordNameFilter(field_name="object_repr", label=_("Record"))
    since = django_filters.DateFilter(method="filter_since", label=_("From"), widget=DAY_INPUT)
    until = django_filters.DateFilter(method="filter_until", label=_("To"), widget=DAY_INPUT)

    class Meta:
        model = AuditEntry
        fields = []

    def filter_since(self, queryset, name, day):
        return queryset.filter(at__gte=start_of_day(day))

    def filter_until(self, queryset, name, day):
        return queryset.filter(at__lt=start_of_day(day + datetime.timedelta(days=1)))


class OutboxFilter(StyledFilterSet):
    state = django_filters.ChoiceFilter(choices=OutboxMessage.State.choices, label=_("State"))
    channel = django_filters.ChoiceFilter(choices=OutboxMessage.Channel.choices, label=_("Channel"))
    recipient = django_filters.CharFilter(lookup_expr="startswith", label=_("Recipient"))

    class Meta:
        model = OutboxMessage
        fields = []
