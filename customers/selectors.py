"""Reads shared by pages: the dashboard's figures."""

from django.db.models import Count

from customers.models import Dealer
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
