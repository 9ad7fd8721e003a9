"""Reads shared by pages: the dashboard's panels of the archives."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from customers.models import Dealer
from customers.services import dealer_step_states
from salesdesk.access import can, visible


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
