"""Optimistic locking: a save names the version it was edited from; a stale one is refused."""

from django.db.models import F

from salesdesk import audit
from salesdesk.errors import ConflictError


def save_versioned(obj, *, expected_version):
    """Save `obj` only if nobody saved it since `expected_version`; call inside a transaction."""
    won = type(obj).objects.filter(pk=obj.pk, version=expected_version).update(version=F("version") + 1)
    if not won:
        raise ConflictError()
    obj.version = expected_version + 1
    obj.save()


def update_versioned(obj, *, data, expected_version):
    """Apply `data` to `obj`, save it under the optimistic lock, and return the audit diff."""
    before = audit.snapshot(obj)
    for field, value in data.items():
        setattr(obj, field, value)
    save_versioned(obj, expected_version=expected_version)
    return audit.diff(before, audit.snapshot(obj))
