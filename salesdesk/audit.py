"""The audit trail: one call per change, namespaced action names that read as sentences.

    audit.record(access_request, "salesdesk.access_request.approved", by=user, changes=audit.diff(before, after))

Bulk writes build unsaved entries, one a record, and save them together:

    audit.record_many([audit.entry(Region, "salesdesk.region.created", by=user, object_id=pk, object_repr=name,
                                   changes=audit.diff({}, values)) for pk, name, values in created])
"""

import datetime
import decimal
import json
import re

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from salesdesk import registry
from salesdesk.bulk import Loader
from salesdesk.models import AuditEntry
from salesdesk.pii import SENSITIVE_FIELDS, mask

BATCH = 2000  # entries per INSERT of `record_many`
NOT_RECORDED = {"version", "updated_at", "search"}  # bookkeeping: the search column follows the names


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
        f.name for f in obj._meta.concrete_fields if not f.primary_key and f.name not in NOT_RECORDED
    ]
    return {name: _recorded(name, getattr(obj, name)) for name in names}


def _recorded(name, value):
    """A value as the trail holds it: plain, and masked if it is personal (the trail never holds a
    full ID-card or phone number)."""
    if not isinstance(value, (str, int, type(None))):  # most values are plain already: a bulk import records one a cell
        value = _plain(value)
    if value and name in SENSITIVE_FIELDS:
        value = mask(name, value)
    return value


def diff(before, after):
    """{field: [before, after]} for every field whose value changed."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def record(obj, action, *, by, changes=None, data=None):
    recorded = entry(obj, action, by=by, changes=changes, data=data)
    recorded.save(force_insert=True)
    return recorded


def entry(obj_or_model, action, *, by, changes=None, data=None, object_id=None, object_repr=None):
    """An unsaved entry about `obj_or_model` (a record, a model when the record is named by
    `object_id` and `object_repr`, or None), its `changes` held like `snapshot` holds values."""
    obj = obj_or_model if isinstance(obj_or_model, models.Model) else None
    if object_id is None:
        object_id = obj.pk if obj is not None else ""
    if object_repr is None:
        object_repr = str(obj) if obj is not None else ""
    return AuditEntry(
        actor=by if by is not None and by.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj_or_model) if obj_or_model is not None else None,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        changes={name: [_recorded(name, before), _recorded(name, after)] for name, (before, after) in (changes or {}).items()},
        data=data or {},
    )


def record_many(entries):
    """Saves unsaved entries (from `entry`, any iterable) in bulk: on PostgreSQL by COPY as they
    come (an import writes one a row), elsewhere by bulk_create in batches."""
    if connection.vendor != "postgresql":
        AuditEntry.objects.bulk_create(entries, batch_size=BATCH)
        return
    Loader().load("salesdesk.AuditEntry", ["at", "actor", "action", "content_type", "object_id", "object_repr", "changes", "data"], (
        (e.at, e.actor_id, e.action, e.content_type_id, e.object_id, e.object_repr, _json(e.changes), _json(e.data))
        for e in entries
    ))


def _json(value):
    return json.dumps(value, ensure_ascii=False)  # the text COPY sends; the database keeps the same JSON


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
    "unmasked": _("Personal data in full"),
}


def field_label(entry, name):
    """The verbose name of a changed field, in the reader's language."""
    if name in DERIVED_FIELD_LABELS:
        return DERIVED_FIELD_LABELS[name]
    model = entry.content_type.model_class() if entry is not None and entry.content_type_id else None
    if model is not None:
        try:
            return model._meta.get_field(name).verbose_name
        except Exception:  # a derived entry such as birthday_legal_rep is not a model field
            pass
    return name


# Showing entries -----------------------------------------------------------------------------
# What the audit page shows a person: labels for field and route names, people's names for user
# names, local time for the UTC datetimes `snapshot` keeps, and no line that says nothing.

PAGE_KINDS = {  # the last word of a route name, and the page it names
    "list": _("%(model)s list"),
    "detail": _("%(model)s page"),
    "edit": _("%(model)s edit page"),
    "create": _("New %(model)s page"),
    "card": _("%(model)s card"),
}
ROUTE_TITLES = {"import": _("Spreadsheet import")}  # routes that name no model
FILTER_LABELS = {"q": _("Search"), "region": _("Region"), "status": _("Status"), "grade": _("Grade")}  # of an export
PEOPLE_KEY = "salesdesk:people-names"
PEOPLE_TTL = 300  # seconds: a renamed person shows the new name in the trail within five minutes
_STORED_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?")


def route_title(route):
    """The page a route name stands for, as a person calls it: "<app>.region_edit" → 区域编辑页 (the
    model from the route's app and name, the kind of page from its last word: list, detail, edit,
    create, card); a route that says neither is shown as it is."""
    route = str(route)
    if route in ROUTE_TITLES:
        return ROUTE_TITLES[route]
    app_label, dot, name = route.replace(":", ".").partition(".")
    model_name, underscore, kind = name.rpartition("_")
    if not (dot and underscore and kind in PAGE_KINDS):
        return route
    try:
        model = apps.get_model(app_label, model_name.replace("_", ""))
    except LookupError:
        return route
    return PAGE_KINDS[kind] % {"model": model._meta.verbose_name}


def field_labels(entry, names):
    """"legal_rep_phone,principal_phone" → 法人电话、负责人电话."""
    return "、".join(str(field_label(entry, name.strip())) for name in str(names).split(",") if name.strip())


def people_names():
    """{user name: full name (the user name if none)} of everyone, cached: entries name people in
    their changes (decided_by, salesperson…) by user name."""

    def read():
        return {
            username: f"{first} {last}".strip() or username
            for username, first, last in get_user_model().objects.values_list("username", "first_name", "last_name")
        }

    return cache.get_or_set(PEOPLE_KEY, read, PEOPLE_TTL)


def _empty(value):
    return value is None or value == "" or value == [] or value == {}


def _model_field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def display_value(value, field=None):
    """A value of `changes` or `data` as a person reads it: a choice by its label, a person by name,
    a stored (UTC) datetime in local time, yes or no; None when it is empty."""
    if _empty(value):
        return None
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if field is not None and field.is_relation and field.related_model is get_user_model():
        return people_names().get(value, value)
    if field is not None and field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, str) and _STORED_DATETIME.fullmatch(value):
        moment = parse_datetime(value.replace("Z", "+00:00"))
        if moment is not None:
            if timezone.is_naive(moment):
                moment = moment.replace(tzinfo=datetime.timezone.utc)
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list):
        return "、".join(str(display_value(item) or "—") for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{FILTER_LABELS.get(key, key)}: {display_value(item) or '—'}" for key, item in value.items())
    return value


def change_lines(entry):
    """[(field label, before, after)] of an entry's changes, as a person reads them (empty values
    as None); a field that went from empty to empty says nothing and is left out."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    lines = []
    for name, pair in (entry.changes or {}).items():
        before, after = (list(pair) + [None, None])[:2] if isinstance(pair, (list, tuple)) else (None, pair)
        if _empty(before) and _empty(after):
            continue
        field = _model_field(model, name)
        lines.append((field_label(entry, name), display_value(before, field), display_value(after, field)))
    return lines


def data_lines(entry):
    """[(label, value)] of what an entry notes besides its changes: the fields viewed by their
    labels, the route by its page's title, an import by its kind; empty values left out."""
    kinds = None
    lines = []
    for name, value in (entry.data or {}).items():
        if _empty(value):
            continue
        if name == "field":
            value = field_labels(entry, value)
        elif name == "via":
            value = route_title(value)
        elif name == "kind":
            kinds = kinds or dict(registry.import_kind_choices())
            value = kinds.get(value, value)
        else:
            value = display_value(value)
        lines.append((field_label(entry, name), value))
    return lines
