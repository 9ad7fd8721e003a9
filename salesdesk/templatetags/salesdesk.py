from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext

from salesdesk import audit, registry
from salesdesk.access import GRANTABLE
from salesdesk.pii import mask

register = template.Library()

@register.filter
def masked(value, field):
    return mask(field, value)


@register.simple_tag
def status_badge(obj, field="status"):
    value = getattr(obj, field)
    label = getattr(obj, f"get_{field}_display")()
    return format_html('<span class="badge text-bg-{}">{}</span>', registry.status_color(value), label)


@register.simple_tag
def grade_badge(grade):
    if not grade:
        return ""
    color = {"A": "success", "B": "primary", "C": "warning", "D": "secondary"}.get(grade, "secondary")
    return format_html('<span class="badge rounded-pill text-bg-{}">{}</span>', color, grade)


@register.inclusion_tag("includes/masked.html", takes_context=True)
def pii(context, obj, field):
    return {
        "obj": obj, "field": field, "value": getattr(obj, field), "model": obj._meta.label_lower,
        "can_unmask": context.get("can_unmask"), "reveal_title": gettext("Show in full (the view is logged)"),
    }


@register.simple_tag
def refusal_hint(action):
    """What the refused page suggests, for the action the policy refused (PermissionDenied names it):
    access requests open reading, so only a refused read is worth asking the manager for."""
    if action == "archive.export":
        return gettext(
            "Lists are exported by the sales-service clerks, the department manager and leadership. "
            "An access request opens the archives for reading only, never for export."
        )
    if not action or action in GRANTABLE:
        return gettext("If you need it for your work, ask the department manager for access.")
    return gettext("This is not part of your role in Salesdesk.")


@register.filter
def person_name(user):
    if not user:
        return "—"
    return user.get_full_name() or user.username


@register.filter
def action_label(action):
    return audit.action_label(action)


@register.filter
def changes_of(entry):
    """[(field label, before, after)] of an audit entry as a person reads them (empty as None);
    empty-to-empty lines left out."""
    return audit.change_lines(entry)


@register.filter
def data_of(entry):
    """[(label, value)] of what an audit entry notes: fields by their labels, a route by its page."""
    return audit.data_lines(entry)


@register.filter
def local_time(value, precision="minutes"):
    """An aware datetime in local time (Asia/Shanghai): 2026-01-02 00:30, or with "seconds"
    2026-01-02 00:30:00. Django's `date` filter does the same several times slower (a page of
    audit entries calls it twice a row)."""
    if not value:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S" if precision == "seconds" else "%Y-%m-%d %H:%M")


@register.filter
def yuan(value):
    """Money as Chinese users read it: ¥1,234,567.50 (Decimal, two places, never a float). Whatever a
    row holds shows: a value too large for its column in full, anything that is not a number as it is."""
    if value is None or value == "":
        return "—"
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if not number.is_finite():
            return str(value)
        return f"¥{number:,.2f}"
    except (InvalidOperation, ValueError, TypeError):
        return str(value)


@register.simple_tag
def import_status_label(status, kind=None):
    """A row's result in an import's preview, as a badge."""
    colors = {"new": "success", "updated": "primary", "added": "info", "unchanged": "secondary", "repeated": "secondary",
              "skipped": "secondary", "error": "danger"}
    return format_html('<span class="badge text-bg-{}">{}</span>', colors.get(status, "secondary"), import_status_text(status, kind))


@register.simple_tag
def import_status_text(status, kind=None):
    """A row's result in words, as the importer of `kind` words it."""
    labels = {"new": gettext("New"), "updated": gettext("Updated"), "unchanged": gettext("Unchanged"),
              "skipped": gettext("Skipped (already on file)"), "error": gettext("Error"),
              "added": gettext("Added to the record on file"), "repeated": gettext("Repeated in the file, counted once")}
    importer = registry.importers().get(kind)
    if importer is not None and status in importer.status_labels:
        return str(importer.status_labels[status])
    return labels.get(status, status)


@register.filter
def query_param(value, name):
    """`name=value` for a query string, the value URL-encoded as the `urlencode` filter does;
    "" when the value is empty: `{{ q|query_param:"q" }}` gives q=%E9%99%88."""
    if value in (None, ""):
        return ""
    return f"{name}={quote(str(value), safe='/')}"


@register.simple_tag(takes_context=True)
def sort_header(context, key, label, css=""):
    """A column heading that sorts the list by `key` (one of the view's `sortable`), ascending on
    the first click and descending on the next, keeping the filters; a plain heading otherwise."""
    if key not in context.get("sortable", {}):
        return format_html('<th class="{}">{}</th>', css, label)
    current = context.get("sort", "")
    query = context["request"].GET.copy()
    query.pop("page", None)
    query["sort"] = f"-{key}" if current == key else key
    arrow = {key: "bi-sort-up", f"-{key}": "bi-sort-down"}.get(current, "bi-arrow-down-up text-secondary opacity-50")
    aria = {key: "ascending", f"-{key}": "descending"}.get(current, "none")
    return format_html(
        '<th class="{}" aria-sort="{}"><a class="sd-sort text-reset text-decoration-none text-nowrap" href="?{}">{} <i class="bi {}"></i></a></th>',
        css, aria, query.urlencode(), label, arrow,
    )
