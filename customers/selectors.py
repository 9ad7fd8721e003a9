"""Reads shared by pages: the dashboard's panels of the archives, the quick search's hits."""

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.filters import CUSTOMER_SEARCH, DEALER_SEARCH
from customers.models import Customer, Dealer
from customers.services import dealer_step_states
from salesdesk.access import can, visible
from salesdesk.search import Hit, find


def dashboard_figures(user):
    figures = {}
    if can(user, "archive.query", "dealers") or can(user, "dealer.intake"):
        dealers = visible(user, Dealer.objects.all(), "dealers")
        counts = {row["status"]: row["n"] for row in dealers.order_by().values("status").annotate(n=Count("pk"))}
        figures["dealers_by_status"] = [
            (status, label, counts[status]) for status, label in Dealer.Status.choices if counts.get(status)
        ]
        figures["dealers_by_grade"] = sorted(
            (row["grade"], row["n"])
            for row in dealers.filter(status=Dealer.Status.AUTHORIZED).order_by().values("grade").annotate(n=Count("pk"))
        )
    return figures


def work_queues(user, size=8):
    """What is waiting for this person: [(title, dealers, more)], only the queues they act on."""
    queues = []
    dealers = Dealer.objects.select_related("region", "submitted_by").only(
        "company", "status", "submitted_at", "created_at", "region__name", "submitted_by__username", "submitted_by__first_name"
    )

    def waiting_for(step):
        return dealers.filter(status__in=dealer_step_states(step))

    if can(user, "dealer.review"):
        queues.append((_("Intakes waiting for your signature"), waiting_for("approve").order_by("submitted_at")))
    if can(user, "dealer.file"):
        queues.append((_("Approved intakes to file"), waiting_for("file").order_by("reviewed_at")))
    if can(user, "dealer.authorize"):
        queues.append((_("Filed dealers waiting for authorization"), waiting_for("authorize").order_by("filed_at")))
    if can(user, "dealer.intake") and not can(user, "dealer.file"):
        mine = waiting_for("submit").filter(submitted_by=user).order_by("-pk")
        queues.append((_("Your drafts and returned intakes"), mine))
    result = []
    for title, rows in queues:
        rows = list(rows[: size + 1])
        result.append((title, rows[:size], len(rows) > size))
    return result


def queues_panel(user):
    queues = work_queues(user)
    return {"queues": queues} if queues else None


def figures_panel(user):
    figures = dashboard_figures(user)
    return figures or None


# The quick search (registered in CustomersConfig.ready) ---------------------------------------


def customer_hits(user, query, limit):
    """The newest `limit` customers `user` may see that match `query`; their numbers stay masked."""
    if not can(user, "archive.query", "customers"):
        return None
    customers = visible(user, Customer.objects.select_related("region").only("name", "phone", "id_card", "region__name"),
                        "customers")
    return [
        Hit(customer.name, reverse("customers:customer_detail", args=[customer.pk]), details=(customer.region.name,),
            record=customer, numbers=("phone", "id_card"))
        for customer in find(customers, query, **CUSTOMER_SEARCH).order_by("-pk")[:limit]
    ]


def dealer_hits(user, query, limit):
    """The newest `limit` dealers `user` may see that match `query` (a market developer: their own)."""
    if not can(user, "archive.query", "dealers"):
        return None
    dealers = visible(user, Dealer.objects.for_list(), "dealers")
    return [
        Hit(dealer.company, reverse("customers:dealer_detail", args=[dealer.pk]),
            details=tuple(filter(None, [dealer.get_status_display(), dealer.number, dealer.region.name, dealer.contact])),
            record=dealer, numbers=("contact_phone",))
        for dealer in find(dealers, query, **DEALER_SEARCH).order_by("-pk")[:limit]
    ]
