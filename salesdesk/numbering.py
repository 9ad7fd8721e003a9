"""One numbering service for every series (dealer resource, authorized dealer, ticket...).

A number is drawn inside the caller's transaction: the series row is locked until it commits, so
two requests never get the same number, and a rolled-back action gives its number back (gapless).
"""

from django.conf import settings
from django.db import transaction

from salesdesk.errors import DomainError
from salesdesk.models import NumberSeries


def series_key(kind, **parts):
    return ":".join([kind, *(f"{k}={parts[k]}" for k in sorted(parts))])


def next_number(kind, **parts):
    """The next number of the series `kind` + `parts`, formatted by SALESDESK_NUMBER_FORMATS[kind]."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that stores the number")
    fmt = settings.SALESDESK_NUMBER_FORMATS[kind]
    key = series_key(kind, **parts)
    NumberSeries.objects.bulk_create([NumberSeries(key=key)], ignore_conflicts=True)
    series = NumberSeries.objects.select_for_update().get(key=key)
    series.last_value += 1
    series.save(update_fields=["last_value"])
    try:
        return fmt.format(seq=series.last_value, **parts)
    except (KeyError, IndexError, ValueError) as exc:
        raise DomainError(f"Number format {fmt!r} for {kind} cannot be filled: {exc}") from exc
