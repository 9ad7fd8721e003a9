"""After-sales tickets: the Annex 8 form (附件八). The flow (routing, follow-ups, SLA clock,
sign-off, satisfaction) is built on these records."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

User = settings.AUTH_USER_MODEL


class TicketQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=[Ticket.Status.CLOSED, Ticket.Status.ARCHIVED])


class Ticket(models.Model):
    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint")
        REPAIR = "repair", _("Repair request")
        QUESTION = "question", _("Question")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        DISPATCHED = "dispatched", _("Dispatched")
        IN_PROGRESS = "in_progress", _("In progress")
        REPAIRED = "repaired", _("Repaired")
        CLOSED = "closed", _("Closed")
        ARCHIVED = "archived", _("Archived")

    class HandledBy(models.TextChoices):
        DEALER = "dealer", _("The local dealer")
        COMPANY = "company", _("The company's repair staff")

    number = models.CharField(_("ticket number"), max_length=30, unique=True)
    received_at = models.DateTimeField(_("received at"))
    caller_name = models.CharField(_("caller"), max_length=50)
    caller_phone = models.CharField(_("caller's phone"), max_length=20)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("customer")
    )
    region = models.ForeignKey("salesdesk.Region", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("region"))
    product_model = models.CharField(_("product model"), max_length=50)
    serial_number = models.CharField(_("serial number"), max_length=50, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REPAIR)
    problem = models.TextField(_("problem"))
    is_major = models.BooleanField(_("major issue"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED)
    handled_by = models.CharField(_("handled by"), max_length=10, choices=HandledBy.choices, blank=True)
    dealer = models.ForeignKey(
        "customers.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("dealer")
    )
    assignee = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("repairer"))
    first_contact_at = models.DateTimeField(_("customer first contacted at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("after-sales ticket")
        verbose_name_plural = _("after-sales tickets")
        indexes = [
            models.Index(fields=["status", "-received_at"]),
            models.Index(fields=["region", "-received_at"]),
            models.Index(fields=["customer", "-received_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5), name="ticket_satisfaction_1_to_5"
            ),
            models.CheckConstraint(condition=~Q(handled_by="dealer") | Q(dealer__isnull=False), name="ticket_dealer_route_names_dealer"),
            models.CheckConstraint(
                condition=~Q(status__in=["closed", "archived"]) | Q(closed_at__isnull=False), name="ticket_closed_has_time"
            ),
        ]

    def __str__(self):
        return self.number
