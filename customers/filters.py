import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Dealer
from salesdesk.filters import RegionTreeFilter, StyledFilterSet, UserFilter
from salesdesk.models import Role
from salesdesk.pii import normalize_id_card


class DealerFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    region = RegionTreeFilter(label=_("Region"))
    status = django_filters.ChoiceFilter(choices=Dealer.Status.choices, label=_("Status"))
    grade = django_filters.ChoiceFilter(choices=Dealer.Grade.choices, label=_("Grade"))
    developer = UserFilter(field_name="developer", roles=(Role.DEVELOPER,), label=_("Market developer"))

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
