from django import template
from django.utils.html import format_html

from salesdesk import registry
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
    from django.utils.translation import gettext

    return {
        "obj": obj, "field": field, "value": getattr(obj, field), "model": obj._meta.label_lower,
        "can_unmask": context.get("can_unmask"), "reveal_title": gettext("Show in full (the view is logged)"),
    }


@register.filter
def person_name(user):
    if not user:
        return "—"
    return user.get_full_name() or user.username


@register.filter
def action_label(action):
    from salesdesk.audit import action_label as label

    return label(action)


@register.filter
def changes_of(entry):
    """[(field label, before, after)] of an audit entry."""
    from salesdesk.audit import field_label

    return [(field_label(entry, name), pair[0], pair[1]) for name, pair in entry.changes.items()]


@register.filter
def data_of(entry):
    from salesdesk.audit import field_label

    return [(field_label(entry, name), value) for name, value in entry.data.items()]


@register.filter
def yuan(value):
    """Money as Chinese users read it: ¥1,234,567.50 (Decimal, two places, never a float)."""
    if value is None or value == "":
        return "—"
    from decimal import Decimal

    return f"¥{Decimal(value):,.2f}"


@register.simple_tag
def import_status_label(status):
    from django.utils.translation import gettext

    labels = {"new": gettext("New"), "updated": gettext("Updated"), "unchanged": gettext("Unchanged"),
              "skipped": gettext("Skipped (already on file)"), "error": gettext("Error")}
    colors = {"new": "success", "updated": "primary", "unchanged": "secondary", "skipped": "secondary", "error": "danger"}
    return format_html('<span class="badge text-bg-{}">{}</span>', colors.get(status, "secondary"), labels.get(status, status))


@register.filter
def query_param(value, name):
    """`name=value` for a query string, the value URL-encoded as the `urlencode` filter does;
    "" when the value is empty: `{{ q|query_param:"q" }}` gives q=%E9%99%88."""
    if value in (None, ""):
        return ""
    from urllib.parse import quote

    return f"{name}={quote(str(value), safe='/')}"
