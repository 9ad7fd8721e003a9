"""Optimistic locking: a save names the version it was edited from; a stale one is refused."""

from django.db.models import F

from salesdesk.errors import ConflictError


def save_versioned(obj, *, expected_version):
    """Save `obj` only if nobody saved it since `expected_version`; call inside a transaction."""
    won = type(obj).objects.filter(pk=obj.pk, version=expected_version).update(version=F("version") + 1)
    if not won:
        raise ConflictError()
    obj.version = expected_version + 1
    obj.save()
