import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Dealer, Region
from customers.forms import UserChoiceField, staff_choices
from salesdesk.filters import StyledFilterSet
from salesdesk.pii import normalize_id_card


class UserFilter(django_filters.ModelChoiceFilter):
    field_class = UserChoiceField  # people by name, not by user name


class RegionTreeFilter(django_filters.ModelChoiceFilter):
    """A region includes its sub-regions."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(region__path__startswith=value.path)


class DealerFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    region = RegionTreeFilter(queryset=Region.objects.all(), label=_("Region"))
    status = django_filters.ChoiceFilter(choices=Dealer.Status.choices, label=_("Status"))
    grade = django_filters.ChoiceFilter(choices=Dealer.Grade.choices, label=_("Grade"))
    developer = UserFilter(queryset=staff_choices("developer"), label=_("Market developer"))

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
    region = RegionTreeFilter(queryset=Region.objects.all(), label=_("Region"))
    salesperson = UserFilter(queryset=staff_choices(), label=_("Salesperson"))

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
