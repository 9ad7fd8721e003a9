"""Carriers, shipments and their tracking events (the shipping register, 发送登记簿)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Carrier(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    contact = models.CharField(_("contact"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_preferred = models.BooleanField(_("preferred (定点) carrier"), default=False)
    rating = models.DecimalField(_("rating"), max_digits=3, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["-is_preferred", "name"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")

    def __str__(self):
        return self.name


class Shipment(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        IN_TRANSIT = "in_transit", _("In transit")
        DELIVERED = "delivered", _("Delivered, awaiting acceptance")
        ACCEPTED = "accepted", _("Accepted by the customer")

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("carrier"))
    waybill_number = models.CharField(_("waybill number"), max_length=40)
    shipped_on = models.DateField(_("shipped on"))
    dealer = models.ForeignKey(
        "customers.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("dealer")
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("customer")
    )
    region = models.ForeignKey("salesdesk.Region", on_delete=models.PROTECT, related_name="shipments", verbose_name=_("region"))
    goods = models.CharField(_("goods"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    promised_on = models.DateField(_("promised delivery date"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED)

    class Meta:
        ordering = ["-shipped_on", "-pk"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        indexes = [models.Index(fields=["status", "-shipped_on"])]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "waybill_number"], name="shipment_waybill_unique_per_carrier"),
            models.CheckConstraint(condition=Q(dealer__isnull=False) | Q(customer__isnull=False), name="shipment_has_consignee"),
        ]

    def __str__(self):
        return f"{self.carrier} {self.waybill_number}"


class ShipmentEvent(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    status = models.CharField(_("status"), max_length=12, choices=Shipment.Status.choices)
    location = models.CharField(_("location"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["shipment", "at"]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        indexes = [models.Index(fields=["shipment", "at"])]
