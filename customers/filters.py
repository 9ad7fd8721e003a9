import django_filters
from django import forms
from django.core.cache import cache
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Dealer, Region
from customers.forms import staff_choices
from salesdesk.filters import StyledFilterSet
from salesdesk.widgets import OptionsSelect
from salesdesk.pii import normalize_id_card


CHOICES_TTL = 300  # seconds; saving a region or a user clears them at once (customers.signals)
REGION_CHOICES_KEY = "customers:region-choices"
USER_CHOICES_KEY = "customers:user-choices:{}"


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
        users = staff_choices(*roles).values_list("pk", "first_name", "username")
        return [(pk, first or username) for pk, first, username in users]

    return cache.get_or_set(USER_CHOICES_KEY.format(",".join(roles) or "all"), read, CHOICES_TTL)


def forget_choices():
    cache.delete_many([REGION_CHOICES_KEY, USER_CHOICES_KEY.format("all"), USER_CHOICES_KEY.format("developer")])


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


class DealerFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    region = RegionTreeFilter(label=_("Region"))
    status = django_filters.ChoiceFilter(choices=Dealer.Status.choices, label=_("Status"))
    grade = django_filters.ChoiceFilter(choices=Dealer.Grade.choices, label=_("Grade"))
    developer = UserFilter(field_name="developer", roles=("developer",), label=_("Market developer"))

    class Meta:
        model = Dealer
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.replace("-", "").replace(" ", "").isdigit():
            return queryset.filter(Q(contact_phone__startswith=value) | Q(legal_rep_phone__startswith=value) | Q(principal_phone__startswith=value))
        return queryset.filter(
            Q(company__icontains=value) | Q(contact__startswith=value) | Q(legal_rep__startswith=value)
            | Q(resource_number__iexact=value) | Q(card_number__iexact=value)
        )


class CustomerFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name, phone or ID-card number"))
    region = RegionTreeFilter(label=_("Region"))
    salesperson = UserFilter(field_name="salesperson", label=_("Salesperson"))

    class Meta:
        model = Customer
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        id_card = normalize_id_card(value)
        if len(id_card) == 18:
            return queryset.filter(id_card=id_card)
        if value.isdigit():
            return queryset.filter(phone__startswith=value)
        return queryset.filter(name__startswith=value)
