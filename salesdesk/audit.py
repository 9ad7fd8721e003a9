"""The audit trail: one call per change, namespaced action names that read as sentences.

    audit.record(access_request, "salesdesk.access_request.approved", by=user, changes=audit.diff(before, after))
"""

import datetime
import decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from salesdesk import registry
from salesdesk.models import AuditEntry
from salesdesk.pii import SENSITIVE_FIELDS, mask


def _plain(value):
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime, decimal.Decimal)):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


def snapshot(obj, fields=None):
    """The current values of `fields` (default: every concrete, non-internal field)."""
    names = fields or [
        f.name for f in obj._meta.concrete_fields if not f.primary_key and f.name not in {"version", "updated_at"}
    ]
    values = {}
    for name in names:
        value = _plain(getattr(obj, name))
        if name in SENSITIVE_FIELDS and value:
            value = mask(name, value)  # the trail never holds a full ID-card or phone number
        values[name] = value
    return values


def diff(before, after):
    """{field: [before, after]} for every field whose value changed."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def record(obj, action, *, by, changes=None, data=None):
    content_type = ContentType.objects.get_for_model(obj) if obj is not None else None
    return AuditEntry.objects.create(
        actor=by if by is not None and by.is_authenticated else None,
        action=action,
        content_type=content_type,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes or {},
        data=data or {},
    )


def action_label(action):
    """How an action reads to a person (labels registered by each app); an unknown one shows its name."""
    return registry.action_label(action)


DERIVED_FIELD_LABELS = {
    "birthday_legal_rep": _("Legal representative's birthday"),
    "birthday_principal": _("Principal's birthday"),
    "birthday_contact": _("Main contact's birthday"),
    "birthday_customer": _("Birthday"),
    "purchase": _("Purchase"),
    "purchase_id": _("Purchase no."),
    "amount": _("Amount"),
    "field": _("Field"),
    "via": _("Via"),
    "rows": _("Rows"),
    "new": _("New"),
    "updated": _("Updated"),
    "unchanged": _("Unchanged"),
    "skipped": _("Skipped (already on file)"),
    "error": _("Errors"),
    "purchases": _("Purchases"),
    "kind": _("What"),
    "file": _("File"),
    "format": _("Format"),
    "filters": _("Filters"),
    "version": _("Version"),
    "change_note": _("Change note"),
}


def field_label(entry, name):
    """The verbose name of a changed field, in the reader's language."""
    if name in DERIVED_FIELD_LABELS:
        return DERIVED_FIELD_LABELS[name]
    model = entry.content_type.model_class() if entry.content_type_id else None
    if model is not None:
        try:
            return model._meta.get_field(name).verbose_name
        except Exception:  # a derived entry such as birthday_legal_rep is not a model field
            pass
    return name
