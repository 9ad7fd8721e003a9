import django_filters
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Dealer
from salesdesk.filters import RegionTreeFilter, StyledFilterSet, UserFilter
from salesdesk.models import Role
from salesdesk.search import find

# The columns one search box looks in (salesdesk.search.find): any fragment of the names, 4+ digits
# of a phone, 4+ characters of an ID-card or dossier number. Indexed on PostgreSQL (migration 0004).
DEALER_SEARCH = {
    "text": ["search"], "phones": ["contact_phone", "legal_rep_phone", "principal_phone"],
    "numbers": ["resource_number", "card_number"],
}
CUSTOMER_SEARCH = {"text": ["search"], "phones": ["phone"], "id_cards": ["id_card"]}


class DealerFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name, pinyin, phone or dossier number"))
    region = RegionTreeFilter(label=_("Region"))
    status = django_filters.ChoiceFilter(choices=Dealer.Status.choices, label=_("Status"))
    grade = django_filters.ChoiceFilter(choices=Dealer.Grade.choices, label=_("Grade"))
    developer = UserFilter(field_name="developer", roles=(Role.DEVELOPER,), label=_("Market developer"))

    class Meta:
        model = Dealer
        fields = []

    def search(self, queryset, name, value):
        return find(queryset, value, **DEALER_SEARCH)


class CustomerFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name, pinyin, phone or ID-card number"))
    region = RegionTreeFilter(label=_("Region"))
    salesperson = UserFilter(field_name="salesperson", label=_("Salesperson"))

    class Meta:
        model = Customer
        fields = []

    def search(self, queryset, name, value):
        return find(queryset, value, **CUSTOMER_SEARCH)
