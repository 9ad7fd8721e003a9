"""The audit trail: one call per change, namespaced action names that read as sentences.

    audit.record(dealer, "customers.dealer.approved", by=user, changes=audit.diff(before, after))
"""

import datetime
import decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models

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
