"""Cached choice lists (the filter bars) are forgotten as soon as a region or a user changes."""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save


def forget(**kwargs):
    from customers.filters import forget_choices

    forget_choices()


def forget_roles(sender, instance, action, reverse, pk_set, **kwargs):
    """A user's groups changed (either side of the relation): their cached roles go."""
    from salesdesk.access import forget_roles as forget

    if action.startswith("post_"):
        forget(pk_set or [] if reverse else [instance.pk])


def connect():
    from customers.models import Region

    User = get_user_model()
    for model in (Region, User):
        post_save.connect(forget, sender=model, dispatch_uid=f"forget-choices-save-{model.__name__}")
        post_delete.connect(forget, sender=model, dispatch_uid=f"forget-choices-delete-{model.__name__}")
    m2m_changed.connect(forget, sender=User.groups.through, dispatch_uid="forget-choices-groups")
    m2m_changed.connect(forget_roles, sender=User.groups.through, dispatch_uid="forget-roles-groups")
